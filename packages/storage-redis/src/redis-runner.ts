import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import {
  RedisReplyError,
  RedisUnavailableError,
  isUnavailable,
  toStorageError,
  type RedisOperationContext,
} from './errors.js';
import {
  type ScriptArgs,
  type ScriptKeys,
  type ScriptName,
  type ScriptReply,
  scriptReply,
  scripts,
} from './lua/scripts.js';
import { groupBy } from './group.js';
import { keySlot } from './slot.js';

/** The ioredis clients this package works with: a single node (or Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** What `defineCommand` adds to a client or pipeline: KEYS count, KEYS, then ARGV. */
type ScriptMethod = (
  this: unknown,
  numberOfKeys: number,
  ...keysAndArgs: (string | number)[]
) => unknown;

function isScriptMethod(value: unknown): value is ScriptMethod {
  return typeof value === 'function';
}

/** The method `defineCommand` added under a script's name (ioredis does not type them). */
function scriptMethod(target: object, name: ScriptName): ScriptMethod {
  const method: unknown = Reflect.get(target, scripts[name].name);
  if (!isScriptMethod(method))
    throw new Error(`script ${scripts[name].name} is not registered on this client or pipeline`);
  return method;
}

const registered = new WeakSet<object>();

function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const script of Object.values(scripts)) {
    // Another copy of this package (same version) may have registered it already.
    if (!isScriptMethod(Reflect.get(client, script.name))) {
      client.defineCommand(script.name, { lua: script.lua });
    }
  }
  registered.add(client);
}

/** One command of a grouped batch: the key that routes it, and how to add it to a pipeline. */
export interface BatchCommand {
  /** A key of the command (all keys of one command must share a hash slot). */
  key: string;
  enqueue(pipeline: ChainableCommander): void;
}

/**
 * Runs commands and scripts on a client with this package's error mapping: connection problems
 * become `RedisUnavailableError`, error replies `RedisReplyError`; pipelines are checked command
 * by command, so a partly failed pipeline is never reported as a success.
 */
export class RedisRunner {
  readonly client: RedisClient;
  readonly isCluster: boolean;
  /** The slot-map reload in progress (cluster), and when the last one started. */
  #refreshing: Promise<void> | undefined;
  #lastRefresh = 0;

  constructor(client: RedisClient) {
    this.client = client;
    this.isCluster = (client as { isCluster?: boolean }).isCluster === true;
    registerScripts(client);
  }

  /** Runs one call (a command or several independent ones), mapping errors. */
  async call<T>(
    context: RedisOperationContext,
    run: (client: RedisClient) => Promise<T>,
  ): Promise<T> {
    try {
      return await run(this.client);
    } catch (error) {
      if (isNoScript(error)) {
        // The server lost its script cache (SCRIPT FLUSH, failover): ioredis re-sends the source next time.
        try {
          return await run(this.client);
        } catch (retryError) {
          throw this.#failed(retryError, context);
        }
      }
      throw this.#failed(error, context);
    }
  }

  /**
   * Starts independent calls together, so they share one round trip. On a single node their
   * writes are corked into one socket write (what a pipeline gains, without building one).
   */
  all<T>(
    context: RedisOperationContext,
    runs: readonly ((client: RedisClient) => Promise<T>)[],
  ): Promise<T[]> {
    const stream = this.isCluster ? undefined : (this.client as Redis).stream;
    const corked =
      stream !== undefined &&
      stream !== null &&
      typeof stream.cork === 'function' &&
      stream.writable;
    if (corked) stream.cork();
    try {
      return Promise.all(runs.map((run) => this.call(context, run)));
    } finally {
      if (corked) stream.uncork();
    }
  }

  /** Calls a script: `keys` first, then `args`; its reply is checked and typed (see lua/scripts.ts). */
  async script<N extends ScriptName>(
    context: RedisOperationContext,
    name: N,
    keys: ScriptKeys<N>,
    args: ScriptArgs<N>,
  ): Promise<ScriptReply<N>> {
    const raw = await this.call(context, (client) =>
      Promise.resolve(scriptMethod(client, name).call(client, keys.length, ...keys, ...args)),
    );
    return scriptReply(name, raw, context);
  }

  /** Adds a script call to a pipeline; type its reply with `scriptReply(name, reply, context)`. */
  static enqueueScript<N extends ScriptName>(
    pipeline: ChainableCommander,
    name: N,
    keys: ScriptKeys<N>,
    args: ScriptArgs<N>,
  ): void {
    scriptMethod(pipeline, name).call(pipeline, keys.length, ...keys, ...args);
  }

  /**
   * Runs commands whose keys all share one hash slot (or any keys on a single node) in one
   * pipeline: one round trip. Returns the replies in order.
   */
  async pipeline(
    context: RedisOperationContext,
    build: (pipeline: ChainableCommander) => void,
  ): Promise<unknown[]> {
    return this.call(context, async (client) => {
      const pipeline = client.pipeline();
      build(pipeline);
      const expected = pipeline.length;
      return checkReplies(context, await pipeline.exec(), expected);
    });
  }

  /**
   * Runs independent commands with as few round trips as the deployment allows: one pipeline on
   * a single node; on a cluster one pipeline per node (commands grouped by the node serving
   * their slot), sent in parallel. Returns the replies in the commands' order; throws if any
   * command failed (after all of them ran).
   *
   * On a cluster the grouping uses the client's slot map, which can be out of date: after a
   * failover or a resharding a group reaches a node that no longer serves its slots and every
   * command of it is answered `MOVED <slot> <node>` (or `ASK`). ioredis follows a redirection
   * of a pipeline only when every command got the very same one, which a pipeline over many
   * slots never does, and it does not reload its slot map then, so the same stale grouping
   * would fail again on every call, for good (drill 1 in RELIABILITY.md). So the redirected
   * commands, which did not run, are sent again here: first regrouped by node after the slot
   * map was reloaded (`CLUSTER SLOTS`), then, if still redirected, one pipeline per slot (which
   * ioredis follows itself). Commands that ran are never sent twice. Any other failure that hints
   * at a changed topology (connection closed, `CLUSTERDOWN`, ...) reloads the slot map in the
   * background before it is thrown, so that the caller's retry is grouped right.
   */
  async batch(
    context: RedisOperationContext,
    commands: readonly BatchCommand[],
  ): Promise<unknown[]> {
    if (commands.length === 0) return [];
    if (!this.isCluster) {
      return this.call(context, async (client) => {
        const pipeline = client.pipeline();
        for (const command of commands) command.enqueue(pipeline);
        return checkReplies(context, await pipeline.exec(), commands.length);
      });
    }
    const replies = new Array<unknown>(commands.length);
    let pending = commands.map((_, index) => index);
    let lastRedirection: unknown;
    for (let round = 0; round < BATCH_ROUNDS; round++) {
      const groups =
        round < BATCH_ROUNDS - 1
          ? this.#groupByNode(commands, pending)
          : groupBySlot(commands, pending);
      const again: number[] = [];
      const failures: unknown[] = [];
      await Promise.all(
        groups.map(async (indexes) => {
          let results: [error: Error | null, result: unknown][];
          try {
            results = await this.#send(context, commands, indexes);
          } catch (error) {
            // Refused before anything was sent: the group's slots are not one group of the
            // client's slot map any more (it changed between grouping and sending).
            if (
              error instanceof Error &&
              /same slot/.test(error.message) &&
              round < BATCH_ROUNDS - 1
            )
              again.push(...indexes);
            else failures.push(error);
            return;
          }
          results.forEach(([error, result], i) => {
            const index = indexes[i]!;
            if (!error) replies[index] = result;
            else if (notRun(error)) {
              again.push(index);
              if (isRedirection(error)) lastRedirection = error;
            } else failures.push(error);
          });
        }),
      );
      if (failures.length > 0) {
        if (again.length > 0) void this.refreshSlots();
        throw this.#failed(failures[0], context);
      }
      if (again.length === 0) return replies;
      pending = again.sort((a, b) => a - b);
      if (round < BATCH_ROUNDS - 1) await this.refreshSlots();
    }
    void this.refreshSlots();
    throw new RedisUnavailableError(
      context,
      lastRedirection ??
        new Error(
          `the cluster's slot map kept changing while ${pending.length} commands were sent`,
        ),
    );
  }

  /**
   * Reloads a Cluster client's slot map (`CLUSTER SLOTS` from one of its nodes); resolves when
   * that is done or failed, or after REFRESH_WAIT_MS. Concurrent callers share one reload, and
   * reloads start at most every MIN_REFRESH_INTERVAL_MS (a failing cluster is not flooded with
   * connections). Does nothing on a single node.
   */
  refreshSlots(): Promise<void> {
    if (!this.isCluster) return Promise.resolve();
    this.#refreshing ??= (async () => {
      const wait = this.#lastRefresh + MIN_REFRESH_INTERVAL_MS - Date.now();
      if (wait > 0) await sleep(wait);
      this.#lastRefresh = Date.now();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, REFRESH_WAIT_MS);
        timer.unref();
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        try {
          (this.client as Cluster).refreshSlotsCache(done);
        } catch {
          done();
        }
      });
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  /** Maps a failure; on a cluster, one that hints at a changed topology reloads the slot map (not awaited). */
  #failed(error: unknown, context: RedisOperationContext): Error {
    if (this.isCluster && hintsAtTopologyChange(error)) void this.refreshSlots();
    return toStorageError(error, context);
  }

  /** Groups commands by the nodes the client's slot map gives their slots. */
  #groupByNode(commands: readonly BatchCommand[], indexes: readonly number[]): number[][] {
    const slots = (this.client as Cluster).slots;
    return [
      ...groupBy(indexes, (index) => {
        const slot = keySlot(commands[index]!.key);
        return slots[slot]?.join(',') ?? `slot:${slot}`;
      }).values(),
    ];
  }

  /** Sends some commands in one pipeline; returns each one's error or reply (not checked). */
  async #send(
    context: RedisOperationContext,
    commands: readonly BatchCommand[],
    indexes: readonly number[],
  ): Promise<[error: Error | null, result: unknown][]> {
    const pipeline = this.client.pipeline();
    for (const index of indexes) commands[index]!.enqueue(pipeline);
    const replies = await pipeline.exec();
    if (replies === null) throw new RedisReplyError(context, 'the pipeline was discarded');
    if (replies.length !== indexes.length) {
      throw new RedisReplyError(
        context,
        `expected ${indexes.length} replies from the pipeline, got ${replies.length}`,
      );
    }
    return replies;
  }
}

/** Rounds of a cluster batch: by node, by node again after a slot-map reload, then by slot. */
const BATCH_ROUNDS = 3;

/** Longest wait for a slot-map reload before a batch sends its redirected commands anyway. */
const REFRESH_WAIT_MS = 2000;

/** Shortest time between the starts of two slot-map reloads. */
const MIN_REFRESH_INTERVAL_MS = 100;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Groups commands by hash slot (ioredis follows a pipeline's redirection when it has one slot). */
function groupBySlot(commands: readonly BatchCommand[], indexes: readonly number[]): number[][] {
  return [...groupBy(indexes, (index) => keySlot(commands[index]!.key)).values()];
}

/** `MOVED <slot> <node>` or `ASK <slot> <node>`: the slot is served (or being moved) elsewhere. */
export function isRedirection(error: unknown): boolean {
  return error instanceof Error && /^(MOVED|ASK) \d+ /.test(error.message);
}

/** A reply that says the command did not run at all, so sending it again cannot apply it twice. */
function notRun(error: unknown): boolean {
  return isRedirection(error) || isNoScript(error);
}

/** Failures after which the client's slot map may be out of date. */
function hintsAtTopologyChange(error: unknown): boolean {
  return (
    isRedirection(error) ||
    isUnavailable(error) ||
    (error instanceof Error && /same slot/.test(error.message))
  );
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Throws the first per-command error of a pipeline's replies; returns the plain replies. */
export function checkReplies(
  context: RedisOperationContext,
  replies: [error: Error | null, result: unknown][] | null,
  expected: number,
): unknown[] {
  if (replies === null) throw new RedisReplyError(context, 'the pipeline was discarded');
  if (expected >= 0 && replies.length !== expected) {
    throw new RedisReplyError(
      context,
      `expected ${expected} replies from the pipeline, got ${replies.length}`,
    );
  }
  const results = new Array<unknown>(replies.length);
  for (let i = 0; i < replies.length; i++) {
    const [error, result] = replies[i]!;
    if (error) throw error;
    results[i] = result;
  }
  return results;
}
