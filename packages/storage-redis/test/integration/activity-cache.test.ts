import { Activity, Love } from '@sf/activity';
import type { ActivityCacheEvent, Metrics } from '@sf/feeds';
import { NoopMetrics } from '@sf/feeds';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import {
  redisStorage,
  type ActivityCacheStats,
  type RedisStorage,
  type RedisStorageOptions,
} from '../../src/index.js';
import { activityCacheConnectionName } from '../../src/activity-cache.js';
import { eventually, targets, useRedis } from './helpers.js';

const single = targets().find((target) => target.name === 'single')!;

const activity = (n: number, extraContext: Record<string, unknown> = { n }) =>
  new Activity({
    actor: 7,
    verb: Love,
    object: n,
    time: Date.UTC(2024, 0, 1) + n * 1000,
    extraContext,
    idScheme: 'stream-framework',
  });

/** Metrics that keep what `onActivityCache` reports. */
class CacheMetrics extends NoopMetrics implements Metrics {
  readonly counts = new Map<ActivityCacheEvent, number>();
  override onActivityCache(event: ActivityCacheEvent, count: number): void {
    this.counts.set(event, (this.counts.get(event) ?? 0) + count);
  }
}

const delta = (after: ActivityCacheStats, before: ActivityCacheStats) => ({
  hits: after.hits - before.hits,
  misses: after.misses - before.misses,
});

describe('activity cache (single Redis)', () => {
  const connection = useRedis(single);
  const opened: RedisStorage[] = [];
  /** A second process, as far as Redis can tell: its own connection. */
  let other: Redis | undefined;

  afterEach(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    await other?.quit();
    other = undefined;
  });

  async function cachedStorage(
    options: Partial<RedisStorageOptions> = {},
  ): Promise<RedisStorage & { activityCache: NonNullable<RedisStorage['activityCache']> }> {
    const storage = redisStorage({
      redis: connection.redis,
      keyPrefix: connection.prefix,
      ...options,
    });
    opened.push(storage);
    expect(storage.activityCache).not.toBeNull();
    await storage.activityCache!.ready();
    return storage as RedisStorage & {
      activityCache: NonNullable<RedisStorage['activityCache']>;
    };
  }

  function otherConnection(): Redis {
    other = single.connect() as Redis;
    return other;
  }

  for (const format of ['json', 'stream-framework'] as const) {
    it(`serves a second read from the cache, the same activities (${format} format)`, async () => {
      const storage = await cachedStorage({ format });
      const activities = storage.activityStorage({ name: 'normal' });
      const stored = [activity(1), activity(2, { nested: { list: [1, 'two'] } }), activity(3)];
      await activities.addMany(stored);
      await storage.activityCache.sync(); // Redis' invalidation of this write
      const ids = stored.map((item) => item.serializationId);
      const before = storage.activityCache.stats();
      const first = await activities.getMany(ids);
      const afterFirst = storage.activityCache.stats();
      const second = await activities.getMany(ids);
      const afterSecond = storage.activityCache.stats();
      expect(delta(afterFirst, before)).toEqual({ hits: 0, misses: 3 });
      expect(delta(afterSecond, afterFirst)).toEqual({ hits: 3, misses: 0 });
      for (const item of stored) {
        const read = second.get(item.serializationId)!;
        expect(read).toBe(first.get(item.serializationId));
        expect(read.serializationId).toBe(item.serializationId);
        expect(read.actorId).toBe(item.actorId);
        expect(read.epochMicroseconds).toBe(item.epochMicroseconds);
        expect(read.extraContext).toEqual(item.extraContext);
        expect(Object.isFrozen(read.extraContext)).toBe(true);
      }
    });

    it(`drops what another connection removes or changes (${format} format)`, async () => {
      const storage = await cachedStorage({ format });
      const activities = storage.activityStorage({ name: 'normal' });
      const removed = activity(1);
      const changed = activity(2, { version: 1 });
      await activities.addMany([removed, changed]);
      await storage.activityCache.sync(); // Redis' invalidation of this write
      const ids = [removed.serializationId, changed.serializationId];
      await activities.getMany(ids);
      expect((await activities.getMany(ids)).size).toBe(2);
      expect(storage.activityCache.stats().entries).toBe(2);

      // Another process, through Redis alone: it removes one activity and rewrites the other.
      const redis = otherConnection();
      const writer = redisStorage({
        redis,
        keyPrefix: connection.prefix,
        format,
        activityCache: false,
      });
      await writer.activityStorage({ name: 'normal' }).removeMany([removed.serializationId]);
      const shardOfChanged = writer.keys.activityShardKey(changed.serializationId);
      await redis.hset(
        shardOfChanged,
        changed.serializationId,
        writer.format.activitySerializer().dumps(activity(2, { version: 2 })),
      );
      await storage.activityCache.sync();

      const read = await activities.getMany(ids);
      expect(read.has(removed.serializationId)).toBe(false);
      expect(read.get(changed.serializationId)!.extraContext).toEqual({ version: 2 });
      expect(storage.activityCache.stats().invalidations).toBeGreaterThanOrEqual(2);
    });
  }

  for (const format of ['json', 'stream-framework'] as const) {
    it(`shows an update in place on the next read, here at once and in another process (${format} format)`, async () => {
      const writer = await cachedStorage({ format });
      const reader = await cachedStorage({ format });
      const original = activity(6, { title: 'old', likes: 1 });
      await writer.activityStorage({ name: 'normal' }).addMany([original]);
      await writer.activityCache.sync();
      await reader.activityCache.sync();
      const id = original.serializationId;
      // Both processes hold the old version in their caches.
      for (const storage of [writer, reader]) {
        await storage.activityStorage({ name: 'normal' }).getMany([id]);
        const before = storage.activityCache.stats();
        const cached = await storage.activityStorage({ name: 'normal' }).getMany([id]);
        expect(delta(storage.activityCache.stats(), before)).toEqual({ hits: 1, misses: 0 });
        expect(cached.get(id)!.extraContext).toEqual({ title: 'old', likes: 1 });
      }
      const updated = original.withExtraContext({ title: 'new', likes: 2 });
      expect(await writer.activityStorage({ name: 'normal' }).updateMany!([updated])).toBe(1);
      // The writing process: at once, without waiting for Redis' message.
      const own = await writer.activityStorage({ name: 'normal' }).getMany([id]);
      expect(own.get(id)!.extraContext).toEqual({ title: 'new', likes: 2 });
      // Another process: once Redis' invalidation (sent with the write) has arrived.
      await reader.activityCache.sync();
      const other = await reader.activityStorage({ name: 'normal' }).getMany([id]);
      expect(other.get(id)!.extraContext).toEqual({ title: 'new', likes: 2 });
      expect(other.get(id)!.serializationId).toBe(id);
    });
  }

  it("sees this process' own removals at once, without waiting for Redis' message", async () => {
    const storage = await cachedStorage();
    const activities = storage.activityStorage({ name: 'normal' });
    const item = activity(4);
    await activities.addMany([item]);
    await storage.activityCache.sync(); // Redis' invalidation of this write
    await activities.getMany([item.serializationId]);
    await activities.removeMany([item.serializationId]);
    expect((await activities.getMany([item.serializationId])).size).toBe(0);
  });

  it('flushes when its connection drops, and serves again once it is back', async () => {
    const storage = await cachedStorage();
    const activities = storage.activityStorage({ name: 'normal' });
    const item = activity(5, { version: 1 });
    await activities.addMany([item]);
    await storage.activityCache.sync(); // Redis' invalidation of this write
    await activities.getMany([item.serializationId]);
    expect(storage.activityCache.stats().entries).toBe(1);
    const flushes = storage.activityCache.stats().flushes;

    // Kill the invalidation connection, change the activity while it is down (its message is lost).
    const redis = otherConnection();
    const clients = String(await redis.client('LIST'))
      .split('\n')
      .filter((line) =>
        line.includes(`name=${activityCacheConnectionName(`${connection.prefix}global:`)} `),
      );
    const ids = clients.map((line) => /\bid=(\d+)/.exec(line)![1]!);
    expect(ids.length).toBeGreaterThan(0);
    for (const id of ids) await redis.client('KILL', 'ID', id);
    await eventually(() => !storage.activityCache.stats().active);
    const writer = redisStorage({ redis, keyPrefix: connection.prefix, activityCache: false });
    await redis.hset(
      writer.keys.activityShardKey(item.serializationId),
      item.serializationId,
      writer.format.activitySerializer().dumps(activity(5, { version: 2 })),
    );

    await eventually(() => storage.activityCache.stats().active);
    expect(storage.activityCache.stats().flushes).toBeGreaterThan(flushes);
    const read = await activities.getMany([item.serializationId]);
    expect(read.get(item.serializationId)!.extraContext).toEqual({ version: 2 });
    // And it caches again.
    const before = storage.activityCache.stats();
    await activities.getMany([item.serializationId]);
    expect(delta(storage.activityCache.stats(), before)).toEqual({ hits: 1, misses: 0 });
  });

  it('stays under maxBytes by evicting the least recently used, and reports it', async () => {
    const metrics = new CacheMetrics();
    // About four entries of this size (each is counted as ~400 bytes plus twice its value).
    const storage = await cachedStorage({ activityCache: { maxBytes: 2_600 }, metrics });
    const activities = storage.activityStorage({ name: 'normal' });
    const stored = Array.from({ length: 12 }, (_, i) => activity(10 + i));
    await activities.addMany(stored);
    await storage.activityCache.sync(); // Redis' invalidation of this write
    const first = stored[0]!.serializationId;
    for (const item of stored) await activities.getMany([item.serializationId]);
    const stats = storage.activityCache.stats();
    expect(stats.bytes).toBeLessThanOrEqual(2_600);
    expect(stats.entries).toBeGreaterThan(0);
    expect(stats.entries).toBeLessThan(12);
    expect(stats.evictions).toBe(12 - stats.entries);
    // The newest stays, the oldest was evicted.
    const last = stored.at(-1)!.serializationId;
    let before = storage.activityCache.stats();
    await activities.getMany([last]);
    expect(delta(storage.activityCache.stats(), before)).toEqual({ hits: 1, misses: 0 });
    before = storage.activityCache.stats();
    await activities.getMany([first]);
    expect(delta(storage.activityCache.stats(), before)).toEqual({ hits: 0, misses: 1 });

    const after = storage.activityCache.stats();
    expect(metrics.counts.get('hit')).toBe(after.hits);
    expect(metrics.counts.get('miss')).toBe(after.misses);
    expect(metrics.counts.get('eviction')).toBe(after.evictions);
    expect(metrics.counts.get('flush')).toBe(after.flushes);
  });

  it('is off with activityCache: false: no connection, every read from Redis', async () => {
    const storage = redisStorage({
      redis: connection.redis,
      keyPrefix: connection.prefix,
      activityCache: false,
    });
    expect(storage.activityCache).toBeNull();
    const activities = storage.activityStorage({ name: 'normal' });
    const item = activity(30);
    await activities.addMany([item]);
    await activities.getMany([item.serializationId]);
    const redis = otherConnection();
    await redis.hdel(storage.keys.activityShardKey(item.serializationId), item.serializationId);
    expect((await activities.getMany([item.serializationId])).size).toBe(0);
  });
});
