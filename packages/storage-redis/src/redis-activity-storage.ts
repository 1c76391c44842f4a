import type { Activity } from '@sf/activity';
import type { ActivityStorage } from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import type { BatchCommand } from './client.js';
import type { FailedEntry, RedisStorageContext } from './context.js';
import { RedisReplyError } from './errors.js';
import { groupBy } from './group.js';
import { checkId } from './ids.js';


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

  /** `format`: the name of the serializer's format, to tell values in another format from corrupt ones. */
  constructor(context: RedisStorageContext, serializer: Serializer<Activity>, format?: string) {
    this.#context = context;
    this.#serializer = serializer;
    this.#format = format;
  }

  /** Ids grouped by the shard key holding them. */
  #byShard(ids: Iterable<string>): Map<string, string[]> {
    return groupBy(ids, (id) => this.#context.keys.activityShardKey(id));
  }

  async addMany(activities: readonly Activity[]): Promise<number> {
    if (activities.length === 0) return 0;
    const values = new Map<string, string>();
    for (const activity of activities) values.set(checkId(activity.serializationId, 'serializationId'), this.#serializer.dumps(activity));
    const commands: BatchCommand[] = [];
    for (const [shard, ids] of this.#byShard(values.keys())) {
      const fields: string[] = [];
      for (const id of ids) fields.push(id, values.get(id)!);
      commands.push({ key: shard, enqueue: (pipeline) => void pipeline.hset(shard, ...fields) });
    }
    const context = { operation: 'activities.addMany' };
    const replies = await this.#context.runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + integer(reply, context), 0);
  }

  /**
   * One HMGET per shard, all sent at once: one round trip, and the least work for Redis
   * (a Lua script doing the same costs the server ~10x more; an ioredis pipeline of them costs
   * the client several times the garbage-collection time of plain commands).
   */
  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const found = new Map<string, Activity>();
    if (ids.length === 0) return found;
    const context = { operation: 'activities.getMany' };
    const shards = [...this.#byShard(new Set(ids.map((id) => checkId(id, 'id'))))];
    const replies = await this.#context.runner.all(
      context,
      shards.map(([shard, shardIds]) => (client) => client.hmget(shard, ...shardIds)),
    );
    const failures = shards.map(([shard, shardIds], index) => this.#collect(found, context, shard, shardIds, replies[index]));
    // Reported once the whole read is decoded: when nothing decoded, it may be the wrong format.
    shards.forEach(([shard], index) =>
      this.#context.failedEntries(shard, { kind: 'activity', format: this.#format, decoded: found.size }, failures[index]!),
    );
    return found;
  }

  /** Decodes the values read for `ids` (in order) into `found`; returns the ones that failed. */
  #collect(found: Map<string, Activity>, context: { operation: string }, shard: string, ids: readonly string[], values: unknown): FailedEntry[] {
    const failed: FailedEntry[] = [];
    if (!Array.isArray(values) || values.length !== ids.length) {
      throw new RedisReplyError({ ...context, key: shard }, `expected ${ids.length} values from HMGET, got ${JSON.stringify(values)?.slice(0, 200)}`);
    }
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const value: unknown = values[i];
      if (value === null || value === undefined) continue;
      try {
        if (typeof value !== 'string') throw new TypeError(`expected a string value, got ${typeof value}`);
        found.set(id, this.#serializer.loads(value));
      } catch (error) {
        failed.push({ entry: id, value: typeof value === 'string' ? value : '', cause: error });
      }
    }
    return failed;
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const commands: BatchCommand[] = [];
    for (const [shard, shardIds] of this.#byShard(new Set(ids.map((id) => checkId(id, 'id'))))) {
      commands.push({ key: shard, enqueue: (pipeline) => void pipeline.hdel(shard, ...shardIds) });
    }
    const context = { operation: 'activities.removeMany' };
    const replies = await this.#context.runner.batch(context, commands);
    return replies.reduce<number>((sum, reply) => sum + integer(reply, context), 0);
  }
}

function integer(reply: unknown, context: { operation: string }): number {
  if (typeof reply === 'number' && Number.isInteger(reply)) return reply;
  throw new RedisReplyError(context, `expected an integer reply, got ${JSON.stringify(reply)}`);
}
