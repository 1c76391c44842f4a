// The batched read-modify-write of many aggregated or notification feeds (`modifyMany`): reads
// coalesced into one pipeline per round, one sfModifyManyV1 call per batch of feeds (per hash
// slot on a cluster) that writes each feed only if its version is the one read.
import { InvalidArgumentError } from '@sf/activity';
import type { ChainableCommander } from 'ioredis';
import type {
  BatchedTimelineChange,
  ModifyManyOptions,
  ModifyManyResult,
  TimelineChange,
  TimelineItem,
  TimelineQuery,
} from '@sf/feeds';
import { markersArgs } from './args.js';
import type { RedisStorageContext } from './context.js';
import { RedisReplyError } from './errors.js';
import { groupBy } from './group.js';
import { type BatchCommand, RedisRunner } from './redis-runner.js';
import { scriptReply } from './lua/scripts.js';
import { keySlot } from './slot.js';

/** Feeds per `sfModifyManyV1` call: bounds how long one script call keeps Redis busy. */
const FEEDS_PER_SCRIPT = 200;
const DEFAULT_ATTEMPTS = 3;

/** What the batched path needs from the timeline storage it works for. */
export interface BatchedModifyTarget<T extends TimelineItem> {
  /**
   * Decodes members read from a timeline (and remembers each item's exact member); a member in
   * `shared` is not decoded again: the feeds of a batch share its item (read-only).
   */
  decode(feedKey: string, key: string, members: readonly string[], shared: Map<string, T>): T[];
  /** `score, member` pairs of items to add. */
  pairs(items: readonly T[]): string[];
  /** The exact members to remove for items a mutate asked to remove. */
  membersToRemove(items: readonly T[], read: readonly T[]): string[];
  /** A read the batch does not coalesce (filters, oldest first): the storage's own `get`. */
  get(feedKey: string, query: TimelineQuery): Promise<T[]>;
}

/** One feed's state during an attempt: the version read before its first read, and what it read. */
interface FeedRead<T> {
  version: string | undefined;
  items: T[];
}

interface PendingRead {
  feedKey: string;
  /** Read the version first (the feed's first read of this attempt). */
  version: boolean;
  /** `ZREVRANGE start stop`, or null for a version-only read. */
  range: { start: number; stop: number } | null;
  resolve: (reply: { version?: string; members?: string[] }) => void;
  reject: (error: unknown) => void;
}

function checkAttempts(attempts: number | undefined): number {
  if (attempts === undefined) return DEFAULT_ATTEMPTS;
  if (!Number.isSafeInteger(attempts) || attempts < 1) {
    throw new InvalidArgumentError(`attempts must be a positive integer, got ${String(attempts)}`, {
      path: 'options.attempts',
      value: attempts,
    });
  }
  return attempts;
}

/**
 * Runs `modifyMany` for one timeline storage. Per attempt: every pending feed's `mutate` runs;
 * their reads, issued in the same turn of the event loop, go out in one pipeline (each feed's
 * first read preceded by a GET of its version); then all their changes go out in one pipeline
 * of sfModifyManyV1 calls. Feeds that changed meanwhile go round again; feeds a `modify` holds
 * locked are left to the caller (its own `modify` waits for the lock).
 */
export class BatchedModify<T extends TimelineItem> {
  readonly #context: RedisStorageContext;
  readonly #target: BatchedModifyTarget<T>;
  readonly #channel: string | null;

  constructor(
    context: RedisStorageContext,
    target: BatchedModifyTarget<T>,
    channel: string | null,
  ) {
    this.#context = context;
    this.#target = target;
    this.#channel = channel;
  }

  async run(
    feedKeys: readonly string[],
    maxLength: number,
    options: ModifyManyOptions,
    mutate: (
      key: string,
      read: (query: TimelineQuery) => Promise<T[]>,
    ) => Promise<BatchedTimelineChange<T>>,
  ): Promise<ModifyManyResult<T>> {
    const attempts = checkAttempts(options.attempts);
    const result: ModifyManyResult<T> = { written: new Map(), skipped: [] };
    let pending = [...new Set(feedKeys)];
    // Followers' feeds hold many equal entries: each distinct member is decoded once per call.
    const decoded = new Map<string, T>();
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      const reads = new Map<string, FeedRead<T>>();
      const reader = new CoalescedReader(this.#context, this.#target, reads, decoded);
      const changes = await Promise.all(
        pending.map((feedKey) =>
          mutate(feedKey, (query) => reader.read(feedKey, query)).then((change) => ({
            feedKey,
            change,
          })),
        ),
      );
      pending = await this.#write(changes, reads, maxLength, result);
    }
    result.skipped.push(...pending);
    return result;
  }

  /** Writes the changes; returns the feeds that changed since their read (to do again). */
  async #write(
    changes: ReadonlyArray<{ feedKey: string; change: BatchedTimelineChange<T> }>,
    reads: ReadonlyMap<string, FeedRead<T>>,
    maxLength: number,
    result: ModifyManyResult<T>,
  ): Promise<string[]> {
    const keys = this.#context.keys;
    const cluster = this.#context.runner.isCluster;
    // Feeds with markers and without go in separate calls (the stride of KEYS differs).
    const writes: Array<{
      feedKey: string;
      change: TimelineChange<T>;
      keys: string[];
      block: (string | number)[];
    }> = [];
    for (const { feedKey, change } of changes) {
      if (change.add.length === 0 && change.remove.length === 0) {
        result.written.set(feedKey, { change: { add: change.add, remove: change.remove } });
        continue;
      }
      const read = reads.get(feedKey);
      const feedKeys = [keys.timeline(feedKey), keys.version(feedKey), keys.lock(feedKey)];
      const remove = this.#target.membersToRemove(change.remove, read?.items ?? []);
      const pairs = this.#target.pairs(change.add);
      const block: (string | number)[] = [
        read === undefined ? '*' : (read.version ?? ''),
        remove.length,
        ...remove,
        pairs.length,
        ...pairs,
      ];
      if (change.markers) {
        const { key, update, maxLength: markersMaxLength } = change.markers;
        feedKeys.push(...keys.markers(key, false));
        // markersArgs: [maxLength, channel, key, clear flags, groups]: the block takes the key,
        // the maxLength, then the apply-markers arguments.
        const [, , , ...markerArgs] = markersArgs(update, markersMaxLength, this.#channel, key);
        block.push(key, markersMaxLength, ...markerArgs);
      }
      if (cluster && feedKeys.some((key) => keySlot(key) !== keySlot(feedKeys[0]!))) {
        // One script cannot touch keys of several slots: the caller writes it with modify.
        result.skipped.push(feedKey);
        continue;
      }
      writes.push({
        feedKey,
        change: { add: change.add, remove: change.remove },
        keys: feedKeys,
        block,
      });
    }
    const batches: Array<typeof writes> = [];
    const groups = groupBy(
      writes,
      (write) => `${write.keys.length}:${cluster ? keySlot(write.keys[0]!) : 0}`,
    );
    for (const group of groups.values()) {
      for (let start = 0; start < group.length; start += FEEDS_PER_SCRIPT)
        batches.push(group.slice(start, start + FEEDS_PER_SCRIPT));
    }
    const context = { operation: 'timeline.modifyMany' };
    const commands: BatchCommand[] = batches.map((batch) => {
      const stride = batch[0]!.keys.length as 3 | 5;
      const batchKeys = batch.flatMap((write) => write.keys);
      const args: [number, 3 | 5, string, ...(string | number)[]] = [
        maxLength,
        stride,
        this.#channel ?? '',
      ];
      for (const write of batch) args.push(write.block.length, ...write.block);
      return {
        key: batchKeys[0]!,
        enqueue: (pipeline: ChainableCommander) =>
          RedisRunner.enqueueScript(pipeline, 'modifyMany', batchKeys, args),
      };
    });
    const replies = await this.#context.runner.batch(context, commands);
    const conflicts: string[] = [];
    batches.forEach((batch, index) => {
      const outcomes = scriptReply('modifyMany', replies[index], context);
      if (outcomes.length !== batch.length) {
        throw new RedisReplyError(
          context,
          `expected ${batch.length} outcomes from sfModifyManyV1, got ${outcomes.length}`,
        );
      }
      batch.forEach((write, i) => {
        const outcome = outcomes[i]!;
        if (outcome === 'changed') conflicts.push(write.feedKey);
        // A locked writer is at work on it: waiting for its lock (the caller's modify) beats
        // reading it again now.
        else if (outcome === 'locked') result.skipped.push(write.feedKey);
        else if (outcome === 'written') result.written.set(write.feedKey, { change: write.change });
        else result.written.set(write.feedKey, { change: write.change, counts: outcome });
      });
    });
    return conflicts;
  }
}

/**
 * The `read` of every mutate of one attempt: requests made in the same turn of the event loop go
 * out in one pipeline (one per node on a cluster); a feed's first read is preceded by a GET of
 * its version, in the same pipeline and slot, so the version read is never newer than the data.
 */
class CoalescedReader<T extends TimelineItem> {
  readonly #context: RedisStorageContext;
  readonly #target: BatchedModifyTarget<T>;
  readonly #reads: Map<string, FeedRead<T>>;
  readonly #decoded: Map<string, T>;
  #queue: PendingRead[] = [];
  #scheduled = false;

  constructor(
    context: RedisStorageContext,
    target: BatchedModifyTarget<T>,
    reads: Map<string, FeedRead<T>>,
    decoded: Map<string, T>,
  ) {
    this.#context = context;
    this.#target = target;
    this.#reads = reads;
    this.#decoded = decoded;
  }

  async read(feedKey: string, query: TimelineQuery): Promise<T[]> {
    const first = !this.#reads.has(feedKey);
    const state: FeedRead<T> = this.#reads.get(feedKey) ?? { version: undefined, items: [] };
    this.#reads.set(feedKey, state);
    const plain =
      query.filter === undefined &&
      (query.order ?? 'desc') === 'desc' &&
      Number.isSafeInteger(query.offset) &&
      query.offset >= 0 &&
      (query.limit === null || (Number.isSafeInteger(query.limit) && query.limit >= 0));
    let items: T[];
    if (plain) {
      const range =
        query.limit === 0
          ? null
          : {
              start: query.offset,
              stop: query.limit === null ? -1 : query.offset + query.limit - 1,
            };
      if (range === null && !first) return [];
      const reply = await this.#enqueue(feedKey, first, range);
      if (first) state.version = reply.version;
      const key = this.#context.keys.timeline(feedKey);
      items =
        range === null ? [] : this.#target.decode(feedKey, key, reply.members ?? [], this.#decoded);
    } else {
      if (first) state.version = (await this.#enqueue(feedKey, true, null)).version;
      items = await this.#target.get(feedKey, query);
    }
    state.items.push(...items);
    return items;
  }

  #enqueue(
    feedKey: string,
    version: boolean,
    range: PendingRead['range'],
  ): Promise<{ version?: string; members?: string[] }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ feedKey, version, range, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    const queue = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    const keys = this.#context.keys;
    const commands: BatchCommand[] = [];
    for (const request of queue) {
      if (request.version) {
        const versionKey = keys.version(request.feedKey);
        commands.push({ key: versionKey, enqueue: (pipeline) => void pipeline.get(versionKey) });
      }
      if (request.range) {
        const key = keys.timeline(request.feedKey);
        const { start, stop } = request.range;
        commands.push({ key, enqueue: (pipeline) => void pipeline.zrevrange(key, start, stop) });
      }
    }
    const context = { operation: 'timeline.modifyMany.read' };
    let replies: unknown[];
    try {
      replies = await this.#context.runner.batch(context, commands);
    } catch (error) {
      for (const request of queue) request.reject(error);
      return;
    }
    let index = 0;
    for (const request of queue) {
      const reply: { version?: string; members?: string[] } = {};
      try {
        if (request.version) {
          const version = replies[index++];
          if (version !== null && typeof version !== 'string')
            throw new RedisReplyError(
              context,
              `expected a version, got ${JSON.stringify(version)}`,
            );
          reply.version = version ?? '';
        }
        if (request.range) {
          const members = replies[index++];
          if (!Array.isArray(members) || !members.every((m) => typeof m === 'string'))
            throw new RedisReplyError(
              context,
              `expected a list of members, got ${JSON.stringify(members)?.slice(0, 200)}`,
            );
          reply.members = members;
        }
      } catch (error) {
        request.reject(error);
        continue;
      }
      request.resolve(reply);
    }
  }
}
