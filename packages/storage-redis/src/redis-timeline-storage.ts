// Over 400 lines by choice: one class implements the TimelineStorage contract for Redis; its
// pipelined reads, the tie ordering of aggregated pages and the locked read-modify-write share
// the runner, serializer and member cache held in private fields. Lua lives in ./lua, ties in
// ./ties.ts.
import { InvalidArgumentError } from '@sf/activity';
import type { ChainableCommander } from 'ioredis';
import { InvalidQueryError } from '@sf/feeds';
import { indexedValuesOf, isEmptyWhere } from '@sf/feeds/backend';
import type { TimelineDimension, TimelineIndex, TimelineWhere } from '@sf/feeds/backend';
import type {
  CachedPage,
  ModifyMany,
  TimelineChange,
  TimelineItem,
  TimelineKind,
  TimelineOrder,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWriteOptions,
} from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import { randomUUID } from 'node:crypto';
import { RedisRunner, checkReplies, type BatchCommand } from './redis-runner.js';
import type { FailedEntry, RedisStorageContext } from './context.js';
import { RedisConfigurationError, RedisReplyError } from './errors.js';
import { ReplyCode, lockError } from './lua/codes.js';
import { scriptReply } from './lua/scripts.js';
import { rangeArgs } from './args.js';
import { orderTies } from './ties.js';
import { boundsOf, checkId } from './ids.js';
import { acquireLock, releaseLock } from './lock.js';
import { groupBy } from './group.js';
import { keySlot } from './slot.js';
import type { TimelineLayout, TimelineScores } from './layout.js';
import { BatchedModify } from './batched-modify.js';

/** Keys per `sfAddManyV1` call: bounds how long one script call keeps Redis busy. */
const KEYS_PER_SCRIPT = 200;

function checkQuery(query: TimelineQuery): { offset: number; limit: number | null } {
  const offset = query.offset ?? 0;
  const limit = query.limit ?? null;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidQueryError(`offset must be a non-negative integer, got ${String(offset)}`, {
      path: 'query.offset',
      value: offset,
    });
  }
  if (limit !== null && (!Number.isSafeInteger(limit) || limit < 0)) {
    throw new InvalidQueryError(
      `limit must be a non-negative integer or null, got ${String(limit)}`,
      { path: 'query.limit', value: limit },
    );
  }
  return { offset, limit };
}

/** The scripts' maxLength argument: -1 = no trim. */
function checkMaxLength(maxLength: number | undefined): number {
  if (maxLength === undefined) return -1;
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
    throw new InvalidArgumentError(
      `maxLength must be a non-negative integer, got ${String(maxLength)}`,
      {
        path: 'options.maxLength',
        value: maxLength,
      },
    );
  }
  return maxLength;
}

function toInteger(reply: unknown, context: { operation: string; key?: string }): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw new RedisReplyError(context, `expected an integer reply, got ${JSON.stringify(reply)}`);
}

function toStrings(reply: unknown, context: { operation: string; key?: string }): string[] {
  if (Array.isArray(reply) && reply.every((member) => typeof member === 'string')) return reply;
  throw new RedisReplyError(
    context,
    `expected a list of members, got ${JSON.stringify(reply)?.slice(0, 200)}`,
  );
}

/**
 * A feed as a Redis sorted set, as Stream Framework keeps it: the member is the serialized item
 * (for flat feeds: the serialization id), the score the serialization id as a number (in the
 * compact layout, an integer made from it: see layout.ts).
 *
 * - Pages are `ZREVRANGE`/`ZRANGE`; filtered pages run `sfRangeV1`, which compares ids exactly
 *   at the bounds (26-digit ids do not fit a double).
 * - `add` and `addToMany` add and trim in one script call (`sfAddManyV1`); `addToMany` sends one
 *   call per 200 feeds (per hash slot on a cluster), all in one pipeline per node.
 * - `modify` takes a per-feed lock (token + expiry), reads, lets the caller compute the change,
 *   then writes it with `sfCommitV1`, which checks the lock is still held and releases it.
 *   Removed items are removed by the exact member read from Redis. It also increments the
 *   feed's version key, which `modifyMany` checks.
 * - `modifyMany` (aggregated and notification timelines, when the backend has batched writes
 *   on): see ./batched-modify.ts.
 */
export class RedisTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #serializer: Serializer<T>;
  readonly #context: RedisStorageContext;
  /** The exact member each item returned by a read was decoded from. */
  readonly #members = new WeakMap<object, string>();
  /** Flat timelines hold ids as members; aggregated ones hold serialized aggregations. */
  readonly #flat: boolean;
  /** The name of the serializer's format, to tell a keyspace in another format from corrupt entries. */
  readonly #format: string | undefined;
  /** Scores from ids, in the backend's layout (layout.ts). */
  readonly #scores: TimelineScores;
  /** The batched read-modify-write of many feeds; absent for flat timelines or when turned off. */
  readonly modifyMany?: ModifyMany<T>;
  /** Flat timelines declaring `index`: every write goes through `sfIndexedV1`. */
  readonly #index: TimelineIndex | undefined;

  /** `batched`: offer `modifyMany` (aggregated kinds only), publishing marker counts on `channel`. */
  constructor(
    context: RedisStorageContext,
    options: TimelineStorageOptions<T>,
    batched?: { channel: string | null },
  ) {
    this.name = options.name;
    this.kind = options.kind;
    this.#serializer = options.serializer;
    this.#context = context;
    this.#flat = options.kind === 'flat';
    this.#format = options.format;
    this.#scores = context.layout.scores(this.#flat);
    const index = options.index;
    this.#index =
      this.#flat && index !== undefined && (index.verb || index.field !== null) ? index : undefined;
    if (batched && !this.#flat) {
      const runner = new BatchedModify<T>(
        context,
        {
          decode: (feedKey, key, members, shared) => this.#decode(feedKey, key, members, shared),
          pairs: (items) => this.#pairs(items),
          membersToRemove: (items, read) => this.#membersToRemove(items, read),
          get: (feedKey, query) => this.get(feedKey, query),
        },
        batched.channel,
      );
      this.modifyMany = async (keys, options, mutate) => {
        if (!this.#layout.ready) await this.#layout.check();
        return runner.run(keys, checkMaxLength(options.maxLength), options, mutate);
      };
    }
  }

  get #layout(): TimelineLayout {
    return this.#context.layout;
  }

  get #runner(): RedisRunner {
    return this.#context.runner;
  }

  #key(feedKey: string): string {
    return this.#context.keys.timeline(feedKey);
  }

  /** `score, member` pairs of items (duplicates by member collapse). */
  #pairs(items: readonly T[]): string[] {
    const pairs: string[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      let member = this.#members.get(item);
      if (member === undefined) {
        member = this.#serializer.dumps(item);
        // Encode once: a batched fanout writes the same new item to many feeds.
        if (!this.#flat && typeof item === 'object' && item !== null)
          this.#members.set(item, member);
      }
      if (seen.has(member)) continue;
      seen.add(member);
      pairs.push(this.#scores.score(checkId(item.serializationId, 'serializationId')), member);
    }
    return pairs;
  }

  /** `shared`: items already decoded from the same member, reused (the batched path's cache). */
  #decode(feedKey: string, key: string, members: readonly string[], shared?: Map<string, T>): T[] {
    const items: T[] = [];
    const failed: FailedEntry[] = [];
    for (const member of members) {
      const known = shared?.get(member);
      if (known !== undefined) {
        items.push(known);
        continue;
      }
      let item: T;
      try {
        item = this.#serializer.loads(member);
      } catch (error) {
        failed.push({ entry: member, value: member, cause: error });
        continue;
      }
      if (!this.#flat && typeof item === 'object' && item !== null) this.#members.set(item, member);
      shared?.set(member, item);
      items.push(item);
    }
    this.#context.failedEntries(
      key,
      { kind: this.kind, format: this.#format, decoded: items.length, feedKey },
      failed,
    );
    return items;
  }

  /** The index suffixes of an item (`v:<verb id>`, `f:<value>`, `vf:<verb id>:<value>`), as JSON. */
  #suffixes(item: T): string {
    const values = indexedValuesOf(item, this.#index);
    const suffixes: string[] = [];
    if (values.verb !== undefined) suffixes.push(`v:${values.verb}`);
    if (values.field !== undefined) suffixes.push(`f:${values.field}`);
    if (values.verb !== undefined && values.field !== undefined)
      suffixes.push(`vf:${values.verb}:${values.field}`);
    return suffixes.length === 0 ? '' : JSON.stringify(suffixes);
  }

  /** `score, member, suffixes` triples of items for `sfIndexedV1` (duplicates collapse). */
  #indexedTriples(items: readonly T[]): string[] {
    const triples: string[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const member = this.#serializer.dumps(item);
      if (seen.has(member)) continue;
      seen.add(member);
      triples.push(
        this.#scores.score(checkId(item.serializationId, 'serializationId')),
        member,
        this.#suffixes(item),
      );
    }
    return triples;
  }

  /** The index key a filtered read uses: the pair index when both dimensions are given. */
  #whereKey(feedKey: string, where: TimelineWhere): string {
    const base = this.#context.keys.indexBase(feedKey);
    if (where.verb !== undefined && where.field !== undefined)
      return `${base}vf:${where.verb}:${where.field}`;
    return where.verb !== undefined ? `${base}v:${where.verb}` : `${base}f:${where.field}`;
  }

  /** One `sfIndexedV1` call per slot group and chunk of feeds, in one pipeline per node. */
  async #indexedWrite(
    operation: string,
    op: 'add' | 'remove' | 'trim' | 'delete',
    feedKeys: readonly string[],
    maxLength: number,
    items: readonly string[],
  ): Promise<number> {
    const byKey = new Map<string, string>();
    for (const feedKey of new Set(feedKeys))
      byKey.set(this.#key(feedKey), this.#context.keys.indexBase(feedKey));
    const commands: BatchCommand[] = [];
    for (const group of this.#slotGroups([...byKey.keys()])) {
      for (let start = 0; start < group.length; start += KEYS_PER_SCRIPT) {
        const chunk = group.slice(start, start + KEYS_PER_SCRIPT);
        const args = [op, maxLength, ...chunk.map((key) => byKey.get(key)!), ...items] as const;
        commands.push({
          key: chunk[0]!,
          enqueue: (pipeline: ChainableCommander) =>
            RedisRunner.enqueueScript(pipeline, 'indexed', chunk, args),
        });
      }
    }
    const context = {
      operation,
      key: byKey.size === 1 ? [...byKey.keys()][0] : undefined,
    };
    const replies = await this.#runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + scriptReply('indexed', reply, context), 0);
  }

  /** Entries per indexed value, from the counts `sfIndexedV1` keeps (`HGETALL`, one round trip). */
  async countBy(feedKey: string, dimension: TimelineDimension): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    if (!this.#index) return counts;
    const key = `${this.#context.keys.indexBase(feedKey)}counts`;
    const all = await this.#runner.call({ operation: 'timeline.countBy', key }, (client) =>
      client.hgetall(key),
    );
    const prefix = dimension === 'verb' ? 'v:' : 'f:';
    for (const [suffix, count] of Object.entries(all)) {
      const value = Number(count);
      if (suffix.startsWith(prefix) && value > 0) counts.set(suffix.slice(prefix.length), value);
    }
    return counts;
  }

  async add(
    feedKey: string,
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    const maxLength = checkMaxLength(options.maxLength);
    if (items.length === 0) return 0;
    if (!this.#layout.ready) await this.#layout.check();
    if (this.#index)
      return this.#indexedWrite(
        'timeline.add',
        'add',
        [feedKey],
        maxLength,
        this.#indexedTriples(items),
      );
    const key = this.#key(feedKey);
    const pairs = this.#pairs(items);
    const context = { operation: 'timeline.add', key };
    return this.#runner.script(context, 'addMany', [key], [maxLength, ...pairs]);
  }

  async addToMany(
    feedKeys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    const maxLength = checkMaxLength(options.maxLength);
    if (feedKeys.length === 0 || items.length === 0) return 0;
    if (!this.#layout.ready) await this.#layout.check();
    if (this.#index)
      return this.#indexedWrite(
        'timeline.addToMany',
        'add',
        feedKeys,
        maxLength,
        this.#indexedTriples(items),
      );
    const pairs = this.#pairs(items);
    const args = [maxLength, ...pairs] as const;
    const keys = [...new Set(feedKeys)].map((feedKey) => this.#key(feedKey));
    const commands: BatchCommand[] = [];
    for (const group of this.#slotGroups(keys)) {
      for (let start = 0; start < group.length; start += KEYS_PER_SCRIPT) {
        const chunk = group.slice(start, start + KEYS_PER_SCRIPT);
        commands.push({
          key: chunk[0]!,
          enqueue: (pipeline: ChainableCommander) =>
            RedisRunner.enqueueScript(pipeline, 'addMany', chunk, args),
        });
      }
    }
    const context = {
      operation: 'timeline.addToMany',
      key: keys.length === 1 ? keys[0] : undefined,
    };
    const replies = await this.#runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + scriptReply('addMany', reply, context), 0);
  }

  /** Keys grouped by cluster slot (one group on a single node), so one script may touch each group. */
  #slotGroups(keys: readonly string[]): string[][] {
    if (!this.#runner.isCluster) return [[...keys]];
    return [...groupBy(keys, keySlot).values()];
  }

  /** Removal commands for one timeline: by member for flat feeds, by score for aggregated ones. */
  #enqueueRemoval(pipeline: ChainableCommander, key: string, ids: readonly string[]): number {
    if (this.#flat) {
      pipeline.zrem(key, ...ids);
      return 1;
    }
    for (const id of ids) pipeline.zremrangebyscore(key, id, id);
    return ids.length;
  }

  async removeIds(feedKey: string, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const unique = [...new Set(ids.map((id) => checkId(id, 'id')))];
    if (this.#index)
      return this.#indexedWrite('timeline.removeIds', 'remove', [feedKey], -1, unique);
    const key = this.#key(feedKey);
    const context = { operation: 'timeline.removeIds', key };
    const replies = await this.#runner.pipeline(context, (pipeline) =>
      this.#enqueueRemoval(pipeline, key, unique),
    );
    return replies.reduce<number>((sum, reply) => sum + toInteger(reply, context), 0);
  }

  async removeIdsFromMany(feedKeys: readonly string[], ids: readonly string[]): Promise<number> {
    if (ids.length === 0 || feedKeys.length === 0) return 0;
    const unique = [...new Set(ids.map((id) => checkId(id, 'id')))];
    if (this.#index)
      return this.#indexedWrite('timeline.removeIdsFromMany', 'remove', feedKeys, -1, unique);
    const commands: BatchCommand[] = [];
    for (const feedKey of new Set(feedKeys)) {
      const key = this.#key(feedKey);
      if (this.#flat) {
        commands.push({ key, enqueue: (pipeline) => void pipeline.zrem(key, ...unique) });
      } else {
        for (const id of unique)
          commands.push({
            key,
            enqueue: (pipeline) => void pipeline.zremrangebyscore(key, id, id),
          });
      }
    }
    const context = { operation: 'timeline.removeIdsFromMany' };
    const replies = await this.#runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + toInteger(reply, context), 0);
  }

  async get(feedKey: string, query: TimelineQuery): Promise<T[]> {
    const { offset, limit } = checkQuery(query);
    if (limit === 0) return [];
    if (!this.#layout.ready) await this.#layout.check();
    const where = query.where;
    if (!isEmptyWhere(where) && !this.#index) {
      throw new InvalidQueryError(
        `timeline ${this.name} keeps no index: declare index on the feed definition to filter by verb or field`,
        { path: 'query.where', value: where },
      );
    }
    const key = isEmptyWhere(where) ? this.#key(feedKey) : this.#whereKey(feedKey, where!);
    const order = query.order ?? 'desc';
    const { low, high } = boundsOf(query.filter);
    const context = { operation: 'timeline.get', key };
    // Aggregated pages read one neighbour on each side, in the same round trip, to see whether a
    // tie (items of equal id) crosses the page's edges (see #orderTies).
    const before = !this.#flat && offset > 0 ? 1 : 0;
    const after = !this.#flat && limit !== null ? 1 : 0;
    const start = offset - before;
    const count = limit === null ? null : limit + before + after;
    let members: string[];
    if (low === null && high === null) {
      const stop = count === null ? -1 : start + count - 1;
      members = toStrings(
        await this.#runner.call(context, (client) =>
          order === 'desc' ? client.zrevrange(key, start, stop) : client.zrange(key, start, stop),
        ),
        context,
      );
    } else {
      const args = rangeArgs(
        order,
        this.#flat ? 'member' : 'score',
        query.filter,
        start,
        count,
        this.#scores.bound,
      );
      members = await this.#runner.script(context, 'range', [key], args);
    }
    if (this.#flat) return this.#decode(feedKey, key, members);
    const previous = before === 1 ? members[0] : undefined;
    const pageMembers = members.slice(before, limit === null ? undefined : before + limit);
    const next =
      limit !== null && members.length > before + limit ? members[before + limit] : undefined;
    return orderTies(this.#decode(feedKey, key, pageMembers), order, {
      previousId: previous === undefined ? undefined : this.#loadQuietly(previous)?.serializationId,
      nextId: next === undefined ? undefined : this.#loadQuietly(next)?.serializationId,
      block: (id) => this.#tieBlock(key, id, order, context),
      memberOf: (item) => this.#members.get(item),
    });
  }

  /** A tie block, in the read's order (for orderTies). */
  async #tieBlock(
    key: string,
    id: string,
    order: TimelineOrder,
    context: { operation: string; key: string },
  ): Promise<T[] | undefined> {
    const members = toStrings(
      await this.#runner.call(context, (client) =>
        order === 'desc' ? client.zrevrangebyscore(key, id, id) : client.zrangebyscore(key, id, id),
      ),
      context,
    );
    const block: T[] = [];
    for (const member of members) {
      const item = this.#loadQuietly(member);
      if (item === undefined) return undefined; // reported by the page it belongs to
      block.push(item);
    }
    return block;
  }

  #loadQuietly(member: string): T | undefined {
    try {
      const item = this.#serializer.loads(member);
      if (typeof item === 'object' && item !== null) this.#members.set(item, member);
      return item;
    } catch {
      return undefined;
    }
  }

  async count(feedKey: string): Promise<number> {
    const key = this.#key(feedKey);
    return this.#runner.call({ operation: 'timeline.count', key }, (client) => client.zcard(key));
  }

  async delete(feedKey: string): Promise<void> {
    if (this.#index) {
      await this.#indexedWrite('timeline.delete', 'delete', [feedKey], -1, []);
      return;
    }
    const key = this.#key(feedKey);
    await this.#runner.call({ operation: 'timeline.delete', key }, (client) => client.del(key));
  }

  async trim(feedKey: string, maxLength: number): Promise<void> {
    if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
      throw new InvalidArgumentError(
        `trim takes a non-negative integer length, got ${String(maxLength)}`,
        {
          path: 'maxLength',
          value: maxLength,
        },
      );
    }
    if (this.#index) {
      await this.#indexedWrite('timeline.trim', 'trim', [feedKey], maxLength, []);
      return;
    }
    const key = this.#key(feedKey);
    await this.#runner.call({ operation: 'timeline.trim', key }, (client) =>
      client.zremrangebyrank(key, 0, -(maxLength + 1)),
    );
  }

  async indexOf(feedKey: string, id: string): Promise<number> {
    checkId(id, 'id');
    const key = this.#key(feedKey);
    const context = { operation: 'timeline.indexOf', key };
    if (this.#flat) {
      const rank = await this.#runner.call(context, (client) => client.zrevrank(key, id));
      return rank === null ? -1 : rank;
    }
    // Aggregated ids are whole numbers a double holds exactly: entries above the id come first.
    const [present, newer] = await this.#runner.pipeline(context, (pipeline) => {
      pipeline.zcount(key, id, id);
      pipeline.zcount(key, `(${id}`, '+inf');
    });
    return toInteger(present, context) > 0 ? toInteger(newer, context) : -1;
  }

  async contains(feedKey: string, id: string): Promise<boolean> {
    checkId(id, 'id');
    const key = this.#key(feedKey);
    const context = { operation: 'timeline.contains', key };
    if (this.#flat) {
      const score = await this.#runner.call(context, (client) => client.zscore(key, id));
      return score !== null;
    }
    return (await this.#runner.call(context, (client) => client.zcount(key, id, id))) > 0;
  }

  async modify(
    feedKey: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    const maxLength = checkMaxLength(options.maxLength);
    if (!this.#layout.ready) await this.#layout.check();
    const key = this.#key(feedKey);
    const lockKey = this.#context.keys.lock(feedKey);
    return this.#context.modifyQueue.run(key, async () => {
      const { attempts } = this.#context.lock;
      for (let attempt = 1; ; attempt++) {
        const token = await acquireLock(this.#context, lockKey);
        let released = false;
        try {
          const read: T[] = [];
          const change = await mutate(async (query) => {
            const items = await this.get(feedKey, query);
            read.push(...items);
            return items;
          });
          const remove = this.#membersToRemove(change.remove, read);
          const context = { operation: 'timeline.modify', key };
          const reply = await this.#runner.script(
            context,
            'commit',
            [key, lockKey, this.#context.keys.version(feedKey)],
            [
              token,
              maxLength,
              this.modifyMany === undefined ? '0' : '1',
              remove.length,
              ...remove,
              ...this.#pairs(change.add),
            ],
          );
          released = true;
          if (reply === ReplyCode.LOCK_LOST) {
            // The lock expired before the write (a very slow mutate, or a paused process):
            // someone else may have changed the feed, so start over from a fresh read.
            if (attempt >= attempts) throw lockError(reply, lockKey, this.#context.lock);
            continue;
          }
          return change;
        } finally {
          if (!released) await releaseLock(this.#context, lockKey, token);
        }
      }
    });
  }

  // The cache tier (capabilities.cacheTier, flat timelines): a feed's cache state lives in
  // `keys.cacheState(feedKey)` (`c:<token>` complete, `l:<token>` a fill in progress), in the
  // feed's hash slot, so every check and write below is one atomic command, script or MULTI.

  #cacheOnly(operation: string): void {
    if (!this.#flat) {
      throw new RedisConfigurationError(
        `${operation} is offered by flat timelines only (the cache tier), not by ${this.kind} timeline ${JSON.stringify(this.name)}`,
      );
    }
  }

  /** `sfCacheAddV1`: one call per 100 feeds (per hash slot on a cluster), one pipeline per node. */
  async addToCached(
    feedKeys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    this.#cacheOnly('addToCached');
    const maxLength = checkMaxLength(options.maxLength);
    if (feedKeys.length === 0 || items.length === 0) return 0;
    if (!this.#layout.ready) await this.#layout.check();
    const args = [maxLength, ...this.#pairs(items)] as const;
    const unique = [...new Set(feedKeys)];
    const groups = this.#runner.isCluster
      ? [...groupBy(unique, (feedKey) => keySlot(this.#key(feedKey))).values()]
      : [unique];
    const commands: BatchCommand[] = [];
    for (const group of groups) {
      for (let start = 0; start < group.length; start += KEYS_PER_SCRIPT / 2) {
        const keys = group
          .slice(start, start + KEYS_PER_SCRIPT / 2)
          .flatMap((feedKey) => [this.#key(feedKey), this.#context.keys.cacheState(feedKey)]);
        commands.push({
          key: keys[0]!,
          enqueue: (pipeline) => RedisRunner.enqueueScript(pipeline, 'cacheAdd', keys, args),
        });
      }
    }
    const context = { operation: 'timeline.addToCached' };
    const replies = await this.#runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + scriptReply('cacheAdd', reply, context), 0);
  }

  /** One MULTI: the cache state, the size and the page (`ZREVRANGE`/`ZRANGE`, or `sfRangeV1`). */
  async readCached(feedKey: string, query: TimelineQuery): Promise<CachedPage<T>> {
    this.#cacheOnly('readCached');
    const { offset, limit } = checkQuery(query);
    if (!this.#layout.ready) await this.#layout.check();
    const key = this.#key(feedKey);
    const stateKey = this.#context.keys.cacheState(feedKey);
    const order = query.order ?? 'desc';
    const { low, high } = boundsOf(query.filter);
    const context = { operation: 'timeline.readCached', key };
    const replies = await this.#runner.call(context, async (client) => {
      const multi = client.multi();
      multi.get(stateKey);
      multi.zcard(key);
      if (limit === 0) {
        // no page
      } else if (low === null && high === null) {
        const stop = limit === null ? -1 : offset + limit - 1;
        if (order === 'desc') multi.zrevrange(key, offset, stop);
        else multi.zrange(key, offset, stop);
      } else {
        const args = rangeArgs(order, 'member', query.filter, offset, limit, this.#scores.bound);
        RedisRunner.enqueueScript(multi, 'range', [key], args);
      }
      return checkReplies(context, await multi.exec(), limit === 0 ? 2 : 3);
    });
    const state = replies[0];
    if (typeof state !== 'string' || !state.startsWith('c:')) {
      return { complete: false, size: 0, items: [] };
    }
    const members = limit === 0 ? [] : toStrings(replies[2], context);
    return {
      complete: true,
      size: toInteger(replies[1], context),
      items: this.#decode(feedKey, key, members),
    };
  }

  async beginFill(feedKey: string): Promise<string> {
    this.#cacheOnly('beginFill');
    const token = randomUUID();
    const stateKey = this.#context.keys.cacheState(feedKey);
    await this.#runner.call({ operation: 'timeline.beginFill', key: stateKey }, (client) =>
      client.set(stateKey, `l:${token}`),
    );
    return token;
  }

  /** `sfCacheFillV1`: replaces the feed and marks it complete if the fill is still current. */
  async fill(
    feedKey: string,
    token: string,
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<boolean> {
    this.#cacheOnly('fill');
    const maxLength = checkMaxLength(options.maxLength);
    if (!this.#layout.ready) await this.#layout.check();
    const key = this.#key(feedKey);
    const reply = await this.#runner.script(
      { operation: 'timeline.fill', key },
      'cacheFill',
      [key, this.#context.keys.cacheState(feedKey)],
      [token, maxLength, ...this.#pairs(items)],
    );
    return reply === 1;
  }

  /** One `DEL timeline state` per feed, in one pipeline per node. */
  async evict(feedKeys: readonly string[]): Promise<void> {
    this.#cacheOnly('evict');
    const commands: BatchCommand[] = [...new Set(feedKeys)].map((feedKey) => {
      const key = this.#key(feedKey);
      const stateKey = this.#context.keys.cacheState(feedKey);
      return { key, enqueue: (pipeline) => void pipeline.del(key, stateKey) };
    });
    await this.#runner.batch({ operation: 'timeline.evict' }, commands);
  }

  /**
   * The exact members to remove: the member each item was read from (Python may have written
   * dates a re-serialization would not reproduce); for copies of read items, the member of the
   * read item that serializes the same; else the item's own serialization.
   */
  #membersToRemove(items: readonly T[], read: readonly T[]): string[] {
    const members = new Set<string>();
    let readByDump: Map<string, string> | undefined;
    for (const item of items) {
      const raw = this.#members.get(item);
      if (raw !== undefined) {
        members.add(raw);
        continue;
      }
      const dumped: string = this.#serializer.dumps(item);
      readByDump ??= this.#readMembersBySerialization(read);
      members.add(readByDump.get(dumped) ?? dumped);
    }
    return [...members];
  }

  /** Re-serialization -> exact member, for the items a `modify` read. */
  #readMembersBySerialization(read: readonly T[]): Map<string, string> {
    const byDump = new Map<string, string>();
    for (const entry of read) {
      const raw = this.#members.get(entry);
      if (raw === undefined) continue;
      try {
        byDump.set(this.#serializer.dumps(entry), raw);
      } catch {
        // an entry that cannot be re-serialized cannot match either
      }
    }
    return byDump;
  }
}
