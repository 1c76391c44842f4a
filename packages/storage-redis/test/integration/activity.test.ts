import { Activity, ActivityConflictError, Add, Love, SerializationError } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import { activityShard, redisStorage, type RedisClient } from '../../src/index.js';
import { keysOf, targets, useRedis } from './helpers.js';

const activity = (n: number, extraContext: Record<string, unknown> = {}) =>
  new Activity({
    actor: n,
    verb: n % 2 ? Love : Add,
    object: n,
    target: n % 3 ? null : 9,
    time: Date.UTC(2024, 0, 1) + n * 1000,
    extraContext,
    idScheme: 'stream-framework',
  });

/** Actor `actor` loves object 5 at the same millisecond as every other call: one Python id. */
const love = (actor: number, extraContext: Record<string, unknown> = {}) =>
  new Activity({
    actor,
    verb: Love,
    object: 5,
    time: Date.UTC(2024, 0, 1),
    extraContext,
    idScheme: 'stream-framework',
  });

for (const target of targets()) {
  describe(`RedisActivityStorage (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
    });

    it("shards activities over global:0..9 by md5(id) mod 10, as Stream Framework's ShardedHashCache", async () => {
      const storage = redisStorage({
        redis,
        keyPrefix: prefix,
        format: 'stream-framework',
      }).activityStorage({ name: 'normal' });
      const all = Array.from({ length: 40 }, (_, i) => activity(i + 1, { i }));
      expect(await storage.addMany(all)).toBe(40);
      expect(await storage.addMany(all.slice(0, 5))).toBe(0); // overwritten, not new
      for (const a of all.slice(0, 10)) {
        const value = await redis.hget(
          `${prefix}global:${activityShard(a.serializationId, 10)}`,
          a.serializationId,
        );
        expect(value).toMatch(new RegExp(`^${a.actorId},${a.verb.id},${a.objectId},`));
      }
      const shards = new Set(
        all.map((a) => `${prefix}global:${activityShard(a.serializationId, 10)}`),
      );
      expect(await keysOf(redis, prefix)).toEqual([...shards].sort());
      const found = await storage.getMany([...all.map((a) => a.serializationId), '123']);
      expect(found.size).toBe(40);
      expect(found.get(all[6]!.serializationId)?.extraContext).toEqual({ i: 6 });
      expect(found.get(all[5]!.serializationId)?.targetId).toBe(9);
      expect(
        await storage.removeMany([all[0]!.serializationId, all[0]!.serializationId, '123']),
      ).toBe(1);
      expect((await storage.getMany([all[0]!.serializationId])).size).toBe(0);
    });

    it('takes another base key and shard count', async () => {
      const storage = redisStorage({
        redis,
        keyPrefix: prefix,
        activityKey: 'activities',
        activityShards: 3,
      }).activityStorage({ name: 'x' });
      const all = Array.from({ length: 12 }, (_, i) => activity(i + 1));
      await storage.addMany(all);
      expect((await keysOf(redis, prefix)).every((key) => /activities:[0-2]$/.test(key))).toBe(
        true,
      );
      expect((await storage.getMany(all.map((a) => a.serializationId))).size).toBe(12);
    });

    it('skips and reports a stored activity whose time is past 2^53 - 1 microseconds; the page still reads (issue 12 item 1)', async () => {
      const reported: unknown[] = [];
      const missing: string[] = [];
      for (const format of ['json', 'stream-framework'] as const) {
        const storage = redisStorage({
          redis,
          keyPrefix: `${prefix}${format}:`,
          format,
          onCorruptEntry: (error) => reported.push(error),
        });
        const definition = Feed.define({
          name: 'normal',
          keyFormat: 'feed:normal:{userId}',
          storage,
          onMissingActivities: (_key, ids) => missing.push(...ids),
        });
        const [good, bad] = [activity(1), activity(2)].map((a) =>
          format === 'json' ? a.withIdScheme('actor') : a,
        ) as [Activity, Activity];
        await definition.insertActivities([good, bad]);
        await definition.for(7).addMany([good, bad]);
        const value =
          format === 'json'
            ? `j1:{"actor":2,"verb":4,"object":2,"target":null,"epochMicroseconds":9007199254740992,"extraContext":{},"idScheme":"actor"}`
            : '2,4,2,0,9007199254740.992,';
        await redis.hset(
          storage.keys.activityShardKey(bad.serializationId),
          bad.serializationId,
          value,
        );
        expect((await definition.for(7).get()).map((a) => a.serializationId)).toEqual([
          good.serializationId,
        ]);
      }
      expect(reported).toHaveLength(2);
      expect(reported.every((error) => error instanceof SerializationError)).toBe(true);
      expect(missing).toHaveLength(2);
    });

    describe("another actor's activity under the same id (issue 12 item 3)", () => {
      for (const format of ['json', 'stream-framework'] as const) {
        it(`lets exactly one of two processes win a colliding write (${format} format)`, async () => {
          const other = target.connect();
          try {
            const first = redisStorage({ redis, keyPrefix: prefix, format }).activityStorage({
              name: 'normal',
            });
            const second = redisStorage({
              redis: other,
              keyPrefix: prefix,
              format,
            }).activityStorage({ name: 'normal' });
            for (let round = 0; round < 20; round++) {
              const time = Date.UTC(2024, 0, 1) + round;
              const [a, b] = [1, 2].map(
                (actor) =>
                  new Activity({
                    actor,
                    verb: Love,
                    object: 5,
                    time,
                    idScheme: 'stream-framework',
                  }),
              ) as [Activity, Activity];
              const results = await Promise.allSettled([first.addMany([a]), second.addMany([b])]);
              expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
              const refused = results.find((result) => result.status === 'rejected');
              expect(refused?.reason).toBeInstanceOf(ActivityConflictError);
              const winner = results[0].status === 'fulfilled' ? 1 : 2;
              expect(
                (await first.getMany([a.serializationId])).get(a.serializationId)?.actorId,
              ).toBe(winner);
            }
          } finally {
            await other.quit();
          }
        });
      }

      it('checks every shard before writing any: a conflict in one stores nothing of the call', async () => {
        const storage = redisStorage({
          redis,
          keyPrefix: prefix,
          format: 'stream-framework',
        }).activityStorage({ name: 'normal' });
        await storage.addMany([love(1)]);
        const others = Array.from({ length: 30 }, (_, i) => activity(i + 10));
        expect(
          new Set(others.map((a) => activityShard(a.serializationId, 10))).size,
        ).toBeGreaterThan(5);
        const error = await storage
          .addMany([...others, love(2)])
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(ActivityConflictError);
        expect(error).toMatchObject({
          activityId: love(1).serializationId,
          storedActorId: 1,
          newActorId: 2,
        });
        expect((await storage.getMany(others.map((a) => a.serializationId))).size).toBe(0);
        expect(
          (await storage.getMany([love(1).serializationId])).get(love(1).serializationId)?.actorId,
        ).toBe(1);
        // the same actor overwrites, in one shard or many
        expect(await storage.addMany([...others, love(1, { edited: true })])).toBe(30);
        expect(
          (await storage.getMany([love(1).serializationId])).get(love(1).serializationId)
            ?.extraContext,
        ).toEqual({ edited: true });
        expect(await storage.addMany([love(1, { edited: 2 })])).toBe(0);
        expect(
          (await storage.getMany([love(1).serializationId])).get(love(1).serializationId)
            ?.extraContext,
        ).toEqual({ edited: 2 });
      });

      it('overwrites a value it cannot decode (there is no activity to protect)', async () => {
        const storage = redisStorage({
          redis,
          keyPrefix: prefix,
          format: 'stream-framework',
          onCorruptEntry: () => {},
        }).activityStorage({
          name: 'normal',
        });
        const id = love(1).serializationId;
        await redis.hset(`${prefix}global:${activityShard(id, 10)}`, id, 'not an activity');
        expect(await storage.addMany([love(2)])).toBe(0);
        expect((await storage.getMany([id])).get(id)?.actorId).toBe(2);
      });
    });
  });
}
