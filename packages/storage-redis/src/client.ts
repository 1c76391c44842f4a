import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { RedisReplyError, toStorageError, type RedisOperationContext } from './errors.js';
import { addMany } from './lua/add-many-n.js';
import { commit } from './lua/commit-2.js';
import { markers } from './lua/markers-2.js';
import { range } from './lua/range-1.js';
import { unlock } from './lua/unlock-1.js';
import { keySlot } from './slot.js';

/** The ioredis clients this package works with: a single node (or Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

/** The Lua scripts, registered on each client with `defineCommand` under versioned names. */
export const scripts = { addMany, range, commit, unlock, markers } as const;
export type ScriptName = keyof typeof scripts;

type ScriptCall = (numberOfKeys: number, ...args: (string | number)[]) => Promise<unknown>;
type PipelineScriptCall = (numberOfKeys: number, ...args: (string | number)[]) => ChainableCommander;

const registered = new WeakSet<object>();

function registerScripts(client: RedisClient): void {
  if (registered.has(client)) return;
  for (const script of Object.values(scripts)) {
    // Another copy of this package (same version) may have registered it already.
    if (typeof (client as unknown as Record<string, unknown>)[script.name] !== 'function') {
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

  constructor(client: RedisClient) {
    this.client = client;
    this.isCluster = (client as { isCluster?: boolean }).isCluster === true;
    registerScripts(client);
  }

  /** Runs one call (a command or several independent ones), mapping errors. */
  async call<T>(context: RedisOperationContext, run: (client: RedisClient) => Promise<T>): Promise<T> {
    try {
      return await run(this.client);
    } catch (error) {
      if (isNoScript(error)) {
        // The server lost its script cache (SCRIPT FLUSH, failover): ioredis re-sends the source next time.
        try {
          return await run(this.client);
        } catch (retryError) {
          throw toStorageError(retryError, context);
        }
      }
      throw toStorageError(error, context);
    }
  }

  /**
   * Starts independent calls together, so they share one round trip. On a single node their
   * writes are corked into one socket write (what a pipeline gains, without building one).
   */
  all<T>(context: RedisOperationContext, runs: readonly ((client: RedisClient) => Promise<T>)[]): Promise<T[]> {
    const stream = this.isCluster ? undefined : (this.client as Redis).stream;
    const corked = stream !== undefined && stream !== null && typeof stream.cork === 'function' && stream.writable;
    if (corked) stream.cork();
    try {
      return Promise.all(runs.map((run) => this.call(context, run)));
    } finally {
      if (corked) stream.uncork();
    }
  }

  /** Calls a script: `keys` first, then `args`. */
  script<T>(context: RedisOperationContext, name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<T> {
    return this.call(context, (client) => {
      const call = (client as unknown as Record<string, ScriptCall>)[scripts[name].name]!;
      return call.call(client, keys.length, ...keys, ...args) as Promise<T>;
    });
  }

  /** Adds a script call to a pipeline. */
  static enqueueScript(
    pipeline: ChainableCommander,
    name: ScriptName,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): void {
    const call = (pipeline as unknown as Record<string, PipelineScriptCall>)[scripts[name].name];
    if (typeof call !== 'function') throw new Error(`script ${scripts[name].name} is not registered on this pipeline`);
    call.call(pipeline, keys.length, ...keys, ...args);
  }

  /**
   * Runs commands whose keys all share one hash slot (or any keys on a single node) in one
   * pipeline: one round trip. Returns the replies in order.
   */
  async pipeline(context: RedisOperationContext, build: (pipeline: ChainableCommander) => void): Promise<unknown[]> {
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
   */
  async batch(context: RedisOperationContext, commands: readonly BatchCommand[]): Promise<unknown[]> {
    if (commands.length === 0) return [];
    if (!this.isCluster) {
      return this.call(context, async (client) => {
        const pipeline = client.pipeline();
        for (const command of commands) command.enqueue(pipeline);
        return checkReplies(context, await pipeline.exec(), commands.length);
      });
    }
    const cluster = this.client as Cluster;
    const groups = new Map<string, number[]>();
    commands.forEach((command, index) => {
      const slot = keySlot(command.key);
      const node = cluster.slots[slot]?.join(',') ?? `slot:${slot}`;
      let group = groups.get(node);
      if (!group) groups.set(node, (group = []));
      group.push(index);
    });
    const replies = new Array<unknown>(commands.length);
    const failures: unknown[] = [];
    await Promise.all(
      [...groups.values()].map(async (indexes) => {
        try {
          const groupReplies = await this.runGroup(context, commands, indexes);
          indexes.forEach((commandIndex, i) => (replies[commandIndex] = groupReplies[i]));
        } catch (error) {
          failures.push(error);
        }
      }),
    );
    if (failures.length > 0) throw failures[0];
    return replies;
  }

  private async runGroup(context: RedisOperationContext, commands: readonly BatchCommand[], indexes: number[]): Promise<unknown[]> {
    const run = async (subset: number[]) =>
      this.call(context, async (client) => {
        const pipeline = client.pipeline();
        for (const index of subset) commands[index]!.enqueue(pipeline);
        return checkReplies(context, await pipeline.exec(), subset.length);
      });
    try {
      return await run(indexes);
    } catch (error) {
      // The slot map changed between grouping and sending (resharding, failover): send the
      // commands one slot at a time instead.
      if (!(error instanceof RedisReplyError) || !/same slot/.test(error.message)) throw error;
      const bySlot = new Map<number, number[]>();
      for (const index of indexes) {
        const slot = keySlot(commands[index]!.key);
        let group = bySlot.get(slot);
        if (!group) bySlot.set(slot, (group = []));
        group.push(index);
      }
      const replies = new Map<number, unknown>();
      await Promise.all(
        [...bySlot.values()].map(async (subset) => {
          const subsetReplies = await run(subset);
          subset.forEach((index, i) => replies.set(index, subsetReplies[i]));
        }),
      );
      return indexes.map((index) => replies.get(index));
    }
  }
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
    throw new RedisReplyError(context, `expected ${expected} replies from the pipeline, got ${replies.length}`);
  }
  const results = new Array<unknown>(replies.length);
  for (let i = 0; i < replies.length; i++) {
    const [error, result] = replies[i]!;
    if (error) throw error;
    results[i] = result;
  }
  return results;
}
