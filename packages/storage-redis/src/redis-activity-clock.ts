import { encodeRebuildEvent, subscribeRebuildEvents } from '@sf/feeds/backend';
import type { ActivityClockStorage, RebuildFinishedEvent, RebuildState } from '@sf/feeds/backend';
import { RedisConfigurationError } from './errors.js';
import type { CountsSubscriber } from './redis-marker-storage.js';
import { groupBy } from './group.js';
import { activityShard } from './keys.js';
import type { BatchCommand, RedisClient, RedisRunner } from './redis-runner.js';

/** Hashes the last activity times are spread over (on a cluster: over the nodes). */
export const CLOCK_SHARDS = 32;

/**
 * Deletes a rebuild state only if it is still the one that finishes, and then publishes the
 * rebuild event (ARGV[2]: the channel, empty for none) in the same round trip.
 */
const FINISH_REBUILD = `if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  if ARGV[2] ~= '' then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
  return 1
end
return 0`;

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string' && !Buffer.isBuffer(value)) return undefined;
  const time = Number(String(value));
  return Number.isFinite(time) ? time : undefined;
}

function parseState(value: unknown): RebuildState | undefined {
  if (typeof value !== 'string') return undefined;
  const [startedAt, expiresAt] = value.split(':').map(Number);
  if (!Number.isFinite(startedAt) || !Number.isFinite(expiresAt)) return undefined;
  return { startedAt: startedAt!, expiresAt: expiresAt! };
}

/**
 * The activity clock on Redis. Last activity times live in `CLOCK_SHARDS` hashes
 * `<prefix>sf:clock:<name>:<shard>` (field = user id, value = ms), so a lookup of a fanout chunk
 * is one HMGET per shard, all in one pipeline (one per node on a cluster). A running rebuild is
 * a key `<prefix>sf:rebuild:<name>:<user id>` set with `SET NX PX` (atomic; Redis expires it
 * when it times out), holding `<startedAt>:<expiresAt>`. Finishing one publishes a rebuild event
 * on the backend's counts channel (pub/sub: every process hears it), unless that is `null`.
 */
export class RedisActivityClock implements ActivityClockStorage {
  readonly #runner: RedisRunner;
  readonly #shardKeys: string[];
  readonly #rebuildPrefix: string;
  readonly #name: string;
  readonly #subscriber: CountsSubscriber | null;

  constructor(
    runner: RedisRunner,
    keyPrefix: string,
    name: string,
    subscriber: CountsSubscriber | null = null,
  ) {
    if (typeof name !== 'string' || name.length === 0 || /[\s{}]/.test(name)) {
      throw new RedisConfigurationError(
        `an activity clock name must be a non-empty string without spaces or braces, got ${JSON.stringify(name)}`,
      );
    }
    this.#runner = runner;
    this.#name = name;
    this.#subscriber = subscriber;
    this.#shardKeys = Array.from(
      { length: CLOCK_SHARDS },
      (_, shard) => `${keyPrefix}sf:clock:${name}:${shard}`,
    );
    this.#rebuildPrefix = `${keyPrefix}sf:rebuild:${name}:`;
  }

  #byShard(userIds: readonly string[]): Map<string, string[]> {
    return groupBy(new Set(userIds), (id) => this.#shardKeys[activityShard(id, CLOCK_SHARDS)]!);
  }

  async #read(
    operation: string,
    userIds: readonly string[],
    write?: number,
  ): Promise<Map<string, number>> {
    const result = new Map<string, number>();
    if (userIds.length === 0) return result;
    const shards = [...this.#byShard(userIds)];
    const commands: BatchCommand[] = [];
    for (const [key, ids] of shards) {
      commands.push({ key, enqueue: (pipeline) => pipeline.hmget(key, ...ids) });
      if (write !== undefined) {
        const fields: string[] = [];
        for (const id of ids) fields.push(id, String(write));
        commands.push({ key, enqueue: (pipeline) => pipeline.hset(key, ...fields) });
      }
    }
    const replies = await this.#runner.batch({ operation }, commands);
    const step = write === undefined ? 1 : 2;
    shards.forEach(([, ids], index) => {
      const values = replies[index * step];
      if (!Array.isArray(values)) return;
      ids.forEach((id, i) => {
        const time = parseTime(values[i]);
        if (time !== undefined) result.set(id, time);
      });
    });
    return result;
  }

  touch(userIds: readonly string[], atMs: number): Promise<Map<string, number>> {
    return this.#read('activityClock.touch', userIds, atMs);
  }

  async lastActive(userIds: readonly string[]): Promise<Map<string, number>> {
    if (this.#runner.isCluster) return this.#read('activityClock.lastActive', userIds);
    // One command on a single node: the shards' HMGETs run inside Redis (sfClockReadV1).
    const result = new Map<string, number>();
    if (userIds.length === 0) return result;
    const shards = [...this.#byShard(userIds)];
    const args: Array<string | number> = [];
    for (const [, ids] of shards) args.push(ids.length, ...ids);
    const values = await this.#runner.script(
      { operation: 'activityClock.lastActive' },
      'clockRead',
      shards.map(([key]) => key),
      args,
    );
    let index = 0;
    for (const [, ids] of shards) {
      for (const id of ids) {
        const time = parseTime(values[index++]);
        if (time !== undefined) result.set(id, time);
      }
    }
    return result;
  }

  async startRebuild(userId: string, atMs: number, timeoutMs: number): Promise<boolean> {
    const key = this.#rebuildPrefix + userId;
    const reply = await this.#runner.call(
      { operation: 'activityClock.startRebuild', key },
      (client) =>
        client.set(
          key,
          `${atMs}:${atMs + timeoutMs}`,
          'PX',
          Math.max(1, Math.ceil(timeoutMs)),
          'NX',
        ),
    );
    return reply === 'OK';
  }

  async finishRebuild(userId: string, startedAt: number): Promise<void> {
    const key = this.#rebuildPrefix + userId;
    const context = { operation: 'activityClock.finishRebuild', key };
    const state = parseState(await this.#runner.call(context, (client) => client.get(key)));
    if (state?.startedAt !== startedAt) return;
    await this.#runner.call(context, (client: RedisClient) =>
      client.eval(
        FINISH_REBUILD,
        1,
        key,
        `${state.startedAt}:${state.expiresAt}`,
        this.#subscriber?.channel ?? '',
        encodeRebuildEvent({ clock: this.#name, userId, startedAt }),
      ),
    );
  }

  subscribe(listener: (event: RebuildFinishedEvent) => void): Promise<() => Promise<void>> {
    return subscribeRebuildEvents(
      this.#name,
      this.#subscriber,
      { storage: 'Redis', option: 'redisStorage.countsChannel' },
      listener,
    );
  }

  async rebuildStatus(
    userIds: readonly string[],
    atMs: number,
  ): Promise<Map<string, RebuildState>> {
    const result = new Map<string, RebuildState>();
    const ids = [...new Set(userIds)];
    if (ids.length === 0) return result;
    const replies = await this.#runner.batch(
      { operation: 'activityClock.rebuildStatus' },
      ids.map((id) => {
        const key = this.#rebuildPrefix + id;
        return { key, enqueue: (pipeline) => pipeline.get(key) };
      }),
    );
    ids.forEach((id, index) => {
      const state = parseState(replies[index]);
      if (state && state.expiresAt > atMs) result.set(id, state);
    });
    return result;
  }

  async delete(userIds: readonly string[]): Promise<void> {
    if (userIds.length === 0) return;
    const commands: BatchCommand[] = [];
    for (const [key, ids] of this.#byShard(userIds))
      commands.push({ key, enqueue: (pipeline) => pipeline.hdel(key, ...ids) });
    for (const id of new Set(userIds)) {
      const key = this.#rebuildPrefix + id;
      commands.push({ key, enqueue: (pipeline) => pipeline.del(key) });
    }
    await this.#runner.batch({ operation: 'activityClock.delete' }, commands);
  }
}
