import { Activity, Add, Love } from '@sf/activity';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { activityShard, redisStorage, type RedisClient } from '../../src/index.js';
import { cleanupKeys, keysOf, targets, uniquePrefix } from './helpers.js';

const activity = (n: number, extraContext: Record<string, unknown> = {}) =>
  new Activity({ actor: n, verb: n % 2 ? Love : Add, object: n, target: n % 3 ? null : 9, time: Date.UTC(2024, 0, 1) + n * 1000, extraContext });

for (const target of targets()) {
  describe(`RedisActivityStorage (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;

    beforeAll(() => {
      redis = target.connect();
    });
    beforeEach(() => {
      prefix = uniquePrefix();
    });
    afterEach(async () => {
      await cleanupKeys(redis, prefix);
    });
    afterAll(async () => {
      await redis.quit();
    });

    it("shards activities over global:0..9 by md5(id) mod 10, as Stream Framework's ShardedHashCache", async () => {
      const storage = redisStorage({ redis, keyPrefix: prefix, format: 'stream-framework' }).activityStorage({ name: 'normal' });
      const all = Array.from({ length: 40 }, (_, i) => activity(i + 1, { i }));
      expect(await storage.addMany(all)).toBe(40);
      expect(await storage.addMany(all.slice(0, 5))).toBe(0); // overwritten, not new
      for (const a of all.slice(0, 10)) {
        const value = await redis.hget(`${prefix}global:${activityShard(a.serializationId, 10)}`, a.serializationId);
        expect(value).toMatch(new RegExp(`^${a.actorId},${a.verb.id},${a.objectId},`));
      }
      const shards = new Set(all.map((a) => `${prefix}global:${activityShard(a.serializationId, 10)}`));
      expect(await keysOf(redis, prefix)).toEqual([...shards].sort());
      const found = await storage.getMany([...all.map((a) => a.serializationId), '123']);
      expect(found.size).toBe(40);
      expect(found.get(all[6]!.serializationId)?.extraContext).toEqual({ i: 6 });
      expect(found.get(all[5]!.serializationId)?.targetId).toBe(9);
      expect(await storage.removeMany([all[0]!.serializationId, all[0]!.serializationId, '123'])).toBe(1);
      expect((await storage.getMany([all[0]!.serializationId])).size).toBe(0);
    });

    it('takes another base key and shard count', async () => {
      const storage = redisStorage({ redis, keyPrefix: prefix, activityKey: 'activities', activityShards: 3 }).activityStorage({ name: 'x' });
      const all = Array.from({ length: 12 }, (_, i) => activity(i + 1));
      await storage.addMany(all);
      expect((await keysOf(redis, prefix)).every((key) => /activities:[0-2]$/.test(key))).toBe(true);
      expect((await storage.getMany(all.map((a) => a.serializationId))).size).toBe(12);
    });
  });
}
