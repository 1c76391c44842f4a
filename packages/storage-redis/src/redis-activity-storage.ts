import { type Activity, compareSerializationIds } from '@sf/activity';
import {
  type ActivityStorage,
  activitiesById,
  checkActivityConflict,
  checkActivityUpdate,
} from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import type { ActivityCache, CacheReadToken, InvalidationListener } from './activity-cache.js';
import { type BatchCommand, type RedisClient, RedisRunner } from './redis-runner.js';
import type { FailedEntry, RedisStorageContext } from './context.js';
import { RedisReplyError } from './errors.js';
import { scriptReply } from './lua/scripts.js';
import { groupBy } from './group.js';
import { checkId } from './ids.js';
import { activityShard } from './keys.js';

/** Times `addMany` writes a shard again after another process changed one of its fields. */
const PUT_ATTEMPTS = 3;

/**
 * Activities in hashes sharded over N keys, as Stream Framework's ShardedHashCache keeps them:
 * `global:<md5(id) mod N>`, field = the serialization id, value = the serialized activity.
 * Each call is one round trip: writes are one pipeline (one per node on a cluster), reads one
 * HMGET per shard sent together.
 */
export class RedisActivityStorage implements ActivityStorage {
  readonly #context: RedisStorageContext;
  readonly #serializer: Serializer<Activity>;
  readonly #format: string | undefined;
  readonly #cache: ActivityCache | undefined;
  readonly #listener: InvalidationListener | undefined;

  /**
   * `format`: the name of the serializer's format, to tell values in another format from corrupt
   * ones; `cache`: the activity cache and the connection that keeps it correct, if any.
   */
  constructor(
    context: RedisStorageContext,
    serializer: Serializer<Activity>,
    format?: string,
    cache?: { cache: ActivityCache; listener: InvalidationListener },
  ) {
    this.#context = context;
    this.#serializer = serializer;
    this.#format = format;
    this.#cache = cache?.cache;
    this.#listener = cache?.listener;
  }

  /** Ids grouped by the shard key holding them. */
  #byShard(ids: Iterable<string>): Map<string, string[]> {
    return groupBy(ids, (id) => this.#context.keys.activityShardKey(id));
  }

  /**
   * One `sfPutActivitiesV1` call per shard, all in one pipeline (one per node on a cluster): a
   * shard is written all or none, and only where each field is absent or holds the same value,
   * so another actor's activity stored under the same id is never overwritten, even by a
   * concurrent process. When the activities span several shards, one HMGET round trip first
   * checks them all, so that a conflict stores nothing of the call (a conflicting write by
   * another process between that check and the write is still refused, but may leave the
   * other shards written).
   * @throws ActivityConflictError when an id holds another actor's activity
   */
  async addMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    const byId = activitiesById(activities);
    const values = new Map<string, string>();
    for (const [id, activity] of byId)
      values.set(checkId(id, 'serializationId'), this.#serializer.dumps(activity));
    /** Values stored by the same actor that may be overwritten, by id. */
    const allowed = new Map<string, string>();
    const allow = (id: string, current: string) => {
      if (current === values.get(id)) return;
      let stored: Activity | undefined;
      try {
        stored = this.#serializer.loads(current);
      } catch {
        // An undecodable value holds no activity to protect: overwritten, as Stream Framework would.
      }
      if (stored) checkActivityConflict(stored, byId.get(id)!);
      allowed.set(id, current);
    };
    const pending = [...this.#byShard(values.keys())];
    if (pending.length > 1) {
      for (const [id, current] of await this.#current(pending)) allow(id, current);
    }
    const context = { operation: 'activities.addMany' };
    // The foreign-id index is written in the same pipeline as the activities, before them (a
    // set per foreign id, in its own slot): it may hold an id whose write failed, never miss one;
    // `idsByForeignIds` checks every id it returns against the stored activity.
    const index: BatchCommand[] = [];
    for (const [id, activity] of byId) {
      if (activity.foreignId === null) continue;
      const key = this.#context.keys.foreignIdKey(activity.foreignId);
      index.push({ key, enqueue: (pipeline) => void pipeline.sadd(key, id) });
    }
    this.#invalidate(values.keys());
    try {
      return await this.#put(context, pending, values, allowed, allow, index);
    } finally {
      this.#invalidate(values.keys());
    }
  }

  async #put(
    context: { operation: string },
    shardsToWrite: [string, string[]][],
    values: ReadonlyMap<string, string>,
    allowed: ReadonlyMap<string, string>,
    allow: (id: string, current: string) => void,
    index: readonly BatchCommand[] = [],
  ): Promise<number> {
    let pending = shardsToWrite;
    let added = 0;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const first = attempt === 1 ? index : [];
      const commands: BatchCommand[] = pending.map(([shard, ids]) => {
        const args: string[] = [];
        for (const id of ids) args.push(id, values.get(id)!, allowed.get(id) ?? '');
        return {
          key: shard,
          enqueue: (pipeline) =>
            RedisRunner.enqueueScript(pipeline, 'putActivities', [shard], args),
        };
      });
      const replies = (await this.#context.runner.batch(context, [...first, ...commands])).slice(
        first.length,
      );
      const again: typeof pending = [];
      replies.forEach((raw, index) => {
        const reply = scriptReply('putActivities', raw, context);
        if ('added' in reply) {
          added += reply.added;
          return;
        }
        for (const [id, current] of reply.conflicts) allow(id, current);
        again.push(pending[index]!);
      });
      if (again.length > 0 && attempt >= PUT_ATTEMPTS) {
        throw new RedisReplyError(
          context,
          `the activities kept changing while they were written (${PUT_ATTEMPTS} attempts)`,
        );
      }
      pending = again;
    }
    return added;
  }

  /**
   * Update in place, in two round trips: one HMGET of every shard holding the ids (checked: all
   * stored, same actor), then one `sfUpdateActivitiesV1` per shard in one pipeline (one per node
   * on a cluster), which overwrites a shard's fields only if each still holds the value read
   * (else it writes nothing and the shard is checked and tried again, up to 3 times). One
   * activity, or activities of one shard, are updated atomically; across shards, a removal by
   * another process between the check and the write is refused but may leave other shards
   * written. The activity cache is invalidated around the write (this process reads the new
   * version at once; other processes when Redis' invalidation reaches them).
   * @throws ActivityNotFoundError when an id is not stored; ActivityConflictError when it holds
   *   another actor's activity (nothing written)
   */
  async updateMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    const byId = activitiesById(activities);
    const values = new Map<string, string>();
    for (const [id, activity] of byId)
      values.set(checkId(id, 'serializationId'), this.#serializer.dumps(activity));
    const read = new Map<string, string>();
    const check = (current: ReadonlyMap<string, string>, ids: readonly string[]) => {
      const stored = new Map<string, Activity | null>();
      const part = new Map<string, Activity>();
      for (const id of ids) {
        part.set(id, byId.get(id)!);
        const value = current.get(id);
        if (value === undefined) continue;
        read.set(id, value);
        let activity: Activity | null = null;
        try {
          activity = this.#serializer.loads(value);
        } catch {
          // An undecodable value holds no activity to protect: overwritten, as addMany does.
        }
        stored.set(id, activity);
      }
      checkActivityUpdate(part, stored);
    };
    let pending = [...this.#byShard(values.keys())];
    check(await this.#current(pending, 'activities.updateMany (check)'), [...values.keys()]);
    const context = { operation: 'activities.updateMany' };
    this.#invalidate(values.keys());
    try {
      for (let attempt = 1; pending.length > 0; attempt++) {
        const commands: BatchCommand[] = pending.map(([shard, ids]) => {
          const args: string[] = [];
          for (const id of ids) args.push(id, values.get(id)!, read.get(id)!);
          return {
            key: shard,
            enqueue: (pipeline) =>
              RedisRunner.enqueueScript(pipeline, 'updateActivities', [shard], args),
          };
        });
        const replies = await this.#context.runner.batch(context, commands);
        const again: typeof pending = [];
        replies.forEach((raw, index) => {
          const reply = scriptReply('updateActivities', raw, context);
          if ('updated' in reply) return;
          const [shard, ids] = pending[index]!;
          const current = new Map(ids.map((id) => [id, read.get(id)!]));
          for (const [id, value] of reply.changed) {
            if (value === '') current.delete(id);
            else current.set(id, value);
          }
          check(current, ids);
          again.push([shard, ids]);
        });
        if (again.length > 0 && attempt >= PUT_ATTEMPTS) {
          throw new RedisReplyError(
            context,
            `the activities kept changing while they were updated (${PUT_ATTEMPTS} attempts)`,
          );
        }
        pending = again;
      }
    } finally {
      this.#invalidate(values.keys());
    }
    return byId.size;
  }

  /** What the shards hold for their ids (absent ids are left out), in one round trip. */
  async #current(
    shards: ReadonlyArray<[string, string[]]>,
    operation = 'activities.addMany (check)',
  ): Promise<Map<string, string>> {
    const context = { operation };
    const replies = await this.#context.runner.all(
      context,
      shards.map(
        ([shard, ids]) =>
          (client) =>
            client.hmget(shard, ...ids),
      ),
    );
    const current = new Map<string, string>();
    shards.forEach(([shard, ids], index) => {
      const values: unknown = replies[index];
      if (!Array.isArray(values) || values.length !== ids.length) {
        throw new RedisReplyError(
          { ...context, key: shard },
          `expected ${ids.length} values from HMGET, got ${JSON.stringify(values)?.slice(0, 200)}`,
        );
      }
      ids.forEach((id, i) => {
        if (typeof values[i] === 'string') current.set(id, values[i]);
      });
    });
    return current;
  }

  /**
   * One HMGET per shard, all sent at once: one round trip, and the least work for Redis
   * (a Lua script doing the same costs the server ~10x more; an ioredis pipeline of them costs
   * the client several times the garbage-collection time of plain commands). With the activity
   * cache, activities it holds are not read at all: a page of cached activities costs no round
   * trip here.
   */
  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const found = new Map<string, Activity>();
    if (ids.length === 0) return found;
    const cache = this.#cache;
    if (cache !== undefined && !cache.active) this.#listener?.start();
    /** Ids to read by shard index; one array per shard that has any. */
    let byShard: Map<number, string[]> | undefined;
    const shards = this.#context.keys.activityShards;
    let hits = 0;
    let misses = 0;
    for (let i = 0; i < ids.length; i++) {
      const id = checkId(ids[i], 'id');
      if (found.has(id)) continue;
      const cached = cache?.get(id);
      if (cached !== undefined) {
        found.set(id, cached);
        hits++;
        continue;
      }
      const shard = activityShard(id, shards);
      byShard ??= new Map();
      const group = byShard.get(shard);
      if (group === undefined) byShard.set(shard, [id]);
      else if (!group.includes(id)) group.push(id);
      else continue;
      misses++;
    }
    if (cache !== undefined) cache.count(hits, misses);
    if (byShard === undefined) return found;
    const token = cache?.token() ?? null;
    const context = { operation: 'activities.getMany' };
    const shardKeys = this.#context.keys.activityShardKeys();
    const runs: ((client: RedisClient) => Promise<unknown>)[] = [];
    for (const [shard, shardIds] of byShard) {
      const key = shardKeys[shard]!;
      runs.push((client) => client.hmget(key, ...shardIds));
    }
    const replies = await this.#context.runner.all(context, runs);
    const failures: FailedEntry[][] = [];
    let index = 0;
    for (const [shard, shardIds] of byShard) {
      failures.push(
        this.#collect(found, context, shard, shardIds, replies[index++], token ?? undefined),
      );
    }
    // Reported once the whole read is decoded: when nothing decoded, it may be the wrong format.
    index = 0;
    for (const shard of byShard.keys()) {
      this.#context.failedEntries(
        shardKeys[shard]!,
        { kind: 'activity', format: this.#format, decoded: found.size },
        failures[index++]!,
      );
    }
    return found;
  }

  /** Decodes the values read for `ids` (in order) into `found`; returns the ones that failed. */
  #collect(
    found: Map<string, Activity>,
    context: { operation: string },
    shard: number,
    ids: readonly string[],
    values: unknown,
    token: CacheReadToken | undefined,
  ): FailedEntry[] {
    const failed: FailedEntry[] = [];
    if (!Array.isArray(values) || values.length !== ids.length) {
      throw new RedisReplyError(
        { ...context, key: this.#context.keys.activityShardKeys()[shard] },
        `expected ${ids.length} values from HMGET, got ${JSON.stringify(values)?.slice(0, 200)}`,
      );
    }
    const cache = this.#cache;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const value: unknown = values[i];
      if (value === null || value === undefined) continue;
      try {
        if (typeof value !== 'string')
          throw new TypeError(`expected a string value, got ${typeof value}`);
        const activity = cache?.reuse(id, value) ?? this.#serializer.loads(value);
        found.set(id, activity);
        if (token !== undefined) cache!.set(token, id, shard, value, activity);
      } catch (error) {
        failed.push({ entry: id, value: typeof value === 'string' ? value : '', cause: error });
      }
    }
    return failed;
  }

  /** Invalidates the cached activities of the shards holding `ids` (this process' own writes). */
  #invalidate(ids: Iterable<string>): void {
    const cache = this.#cache;
    if (cache === undefined) return;
    const shards = new Set<number>();
    for (const id of ids) shards.add(activityShard(id, this.#context.keys.activityShards));
    cache.invalidateShards(shards);
  }

  /**
   * Removes activities and their foreign-id index entries: one HMGET round trip reads the
   * activities being removed (for their foreign ids), then one pipeline deletes them and their
   * index entries.
   */
  async removeMany(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const unique = new Set(ids.map((id) => checkId(id, 'id')));
    const commands: BatchCommand[] = [];
    for (const [shard, shardIds] of this.#byShard(unique)) {
      commands.push({ key: shard, enqueue: (pipeline) => void pipeline.hdel(shard, ...shardIds) });
    }
    const deletes = commands.length;
    const context = { operation: 'activities.removeMany' };
    for (const [foreignId, foreignIds] of await this.#foreignIdsOf([...unique])) {
      const key = this.#context.keys.foreignIdKey(foreignId);
      commands.push({ key, enqueue: (pipeline) => void pipeline.srem(key, ...foreignIds) });
    }
    // Before: a read in flight does not cache what it reads; after: nor one that read meanwhile
    // (Redis' invalidation message, on another connection, may arrive after this reply).
    this.#invalidate(unique);
    try {
      const replies = await this.#context.runner.batch(context, commands);
      return replies
        .slice(0, deletes)
        .reduce<number>((sum, reply) => sum + integer(reply, context), 0);
    } finally {
      this.#invalidate(unique);
    }
  }

  /** Foreign id -> ids, of the stored activities among `ids` that carry one. */
  async #foreignIdsOf(ids: readonly string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    const current = await this.#current([...this.#byShard(ids)]);
    for (const [id, value] of current) {
      // Only values that mention a foreign id are decoded.
      if (!value.includes('foreignId') && !value.includes('foreign_id')) continue;
      let activity: Activity;
      try {
        activity = this.#serializer.loads(value);
      } catch {
        continue;
      }
      if (activity.foreignId === null) continue;
      const list = result.get(activity.foreignId);
      if (list) list.push(id);
      else result.set(activity.foreignId, [id]);
    }
    return result;
  }

  /**
   * The ids in each foreign id's set (one SMEMBERS per foreign id, sent together), checked
   * against the stored activities (one HMGET per shard): an id whose activity is gone, or no
   * longer carries the foreign id, is left out and dropped from the set.
   */
  async idsByForeignIds(foreignIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    const unique = [...new Set(foreignIds)];
    if (unique.length === 0) return found;
    const context = { operation: 'activities.idsByForeignIds' };
    const keys = unique.map((foreignId) => this.#context.keys.foreignIdKey(foreignId));
    const members = await this.#context.runner.all(
      context,
      keys.map((key) => (client) => client.smembers(key)),
    );
    const candidates = new Set<string>();
    members.forEach((reply, index) => {
      if (!Array.isArray(reply)) {
        throw new RedisReplyError(
          { ...context, key: keys[index] },
          `expected a set from SMEMBERS, got ${JSON.stringify(reply)?.slice(0, 200)}`,
        );
      }
      for (const id of reply) if (typeof id === 'string') candidates.add(id);
    });
    if (candidates.size === 0) return found;
    const activities = await this.getMany([...candidates]);
    const stale: BatchCommand[] = [];
    members.forEach((reply, index) => {
      const foreignId = unique[index]!;
      const ids: string[] = [];
      const gone: string[] = [];
      for (const id of reply) {
        if (activities.get(id)?.foreignId === foreignId) ids.push(id);
        else gone.push(id);
      }
      if (ids.length > 0) found.set(foreignId, ids.sort(compareSerializationIds));
      if (gone.length > 0) {
        const key = keys[index]!;
        stale.push({ key, enqueue: (pipeline) => void pipeline.srem(key, ...gone) });
      }
    });
    if (stale.length > 0) await this.#context.runner.batch(context, stale);
    return found;
  }
}

function integer(reply: unknown, context: { operation: string }): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw new RedisReplyError(context, `expected an integer reply, got ${JSON.stringify(reply)}`);
}
