import { Activity, Love, SerializationError } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import { RedisSerializationError, redisStorage, type RedisClient } from '../../src/index.js';
import { targets, useRedis } from './helpers.js';

const activity = (n: number) =>
  new Activity({ actor: 1, verb: Love, object: n, time: Date.UTC(2024, 0, 1) + n * 1000 });

/**
 * Corrupt entries: by default a read skips them and reports a RedisSerializationError (a
 * SerializationError naming the key and the entry) to onCorruptEntry; with corruptEntries:
 * 'throw' the read fails with that error.
 */
for (const target of targets()) {
  describe(`corrupt entries (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let reported: RedisSerializationError[];

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      reported = [];
    });

    const backend = (
      corruptEntries: 'skip' | 'throw' = 'skip',
      format: 'json' | 'stream-framework' = 'json',
    ) =>
      redisStorage({
        redis,
        keyPrefix: prefix,
        format,
        corruptEntries,
        onCorruptEntry: (error) => reported.push(error),
      });

    for (const format of ['json', 'stream-framework'] as const) {
      it(`skips and reports a corrupt timeline member and a corrupt activity value (${format})`, async () => {
        const definition = Feed.define({
          name: 'normal',
          keyFormat: 'feed:normal:{userId}',
          storage: backend('skip', format),
        });
        const activities = [1, 2, 3, 4].map((n) =>
          activity(n).withIdScheme(format === 'json' ? 'actor' : 'stream-framework'),
        );
        await definition.insertActivities(activities);
        await definition.for(1).addMany(activities);
        const key = `${prefix}feed:normal:1`;
        // a member that is not an id, scored among the others
        await redis.zadd(key, activities[2]!.serializationId, 'not-an-id');
        // a garbage value in the activity hash of activity 2
        const shard = (definition.storage as ReturnType<typeof redisStorage>).keys.activityShardKey(
          activities[1]!.serializationId,
        );
        await redis.hset(shard, activities[1]!.serializationId, '\u0000garbage;;,,');
        const missing: string[] = [];
        const withReport = Feed.define({
          name: 'normal',
          keyFormat: 'feed:normal:{userId}',
          storage: definition.storage,
          onMissingActivities: (_key, ids) => missing.push(...ids),
        });
        const page = await withReport.for(1).get();
        expect(page.map((a) => a.objectId)).toEqual([4, 3, 1]);
        expect(reported).toHaveLength(2);
        expect(reported.every((error) => error instanceof SerializationError)).toBe(true);
        const [member, value] = reported as [RedisSerializationError, RedisSerializationError];
        expect(member.key).toBe(key);
        expect(member.entry).toBe('not-an-id');
        expect(member.message).toContain(JSON.stringify(key));
        expect(value.key).toBe(shard);
        expect(value.entry).toBe(activities[1]!.serializationId);
        expect(value.message).toContain(JSON.stringify(shard));
        // the activity whose value is corrupt counts as missing for the feed (skipped, reported)
        expect(missing).toEqual([activities[1]!.serializationId]);
        // the rest of the feed still reads, paged and filtered; offsets count stored entries
        // (4, the bad member, 3, 2, 1), so a page holding a skipped entry is that much shorter
        expect((await withReport.for(1).get({ offset: 2 })).map((a) => a.objectId)).toEqual([3, 1]);
        expect(
          (
            await withReport.for(1).filter({ activityIdLt: activities[3]!.serializationId }).get()
          ).map((a) => a.objectId),
        ).toEqual([3, 1]);
      });
    }

    it('skips a corrupt aggregated member, and aggregation around it keeps working', async () => {
      const definition = AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage: backend(),
      });
      const activities = [1, 2, 3].map(activity);
      await definition.insertActivities(activities);
      await definition.for(1).addMany(activities.slice(0, 2));
      await redis.zadd(
        `${prefix}feed:aggregated:1`,
        '1704067199000',
        'v3this is not;;an aggregated activity',
      );
      await definition.for(1).add(activities[2]!);
      const groups = await definition.for(1).get();
      expect(groups.map((group) => group.activityIds.length)).toEqual([3]);
      expect(reported.length).toBeGreaterThan(0);
      expect(reported[0]!.key).toBe(`${prefix}feed:aggregated:1`);
      expect(await definition.for(1).count()).toBe(2); // the corrupt member stays until trimmed or deleted
    });

    it('fails the read with the same error when corruptEntries is "throw"', async () => {
      const storage = backend('throw');
      const definition = Feed.define({
        name: 'normal',
        keyFormat: 'feed:normal:{userId}',
        storage,
      });
      const activities = [1, 2].map(activity);
      await definition.insertActivities(activities);
      await definition.for(1).addMany(activities);
      await redis.zadd(`${prefix}feed:normal:1`, '1', 'garbage');
      const error = await definition
        .for(1)
        .get()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RedisSerializationError);
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as RedisSerializationError).key).toBe(`${prefix}feed:normal:1`);
      expect(reported).toEqual([]);
      // pages without the bad entry still read
      expect((await definition.for(1).get({ limit: 2 })).map((a) => a.objectId)).toEqual([2, 1]);
      const shard = storage.keys.activityShardKey(activities[0]!.serializationId);
      await redis.hset(shard, activities[0]!.serializationId, 'garbage');
      await expect(definition.for(1).get({ limit: 2 })).rejects.toThrow(
        new RegExp(`Redis key "${shard}"`),
      );
    });

    it('reports a corrupt notification member', async () => {
      const definition = NotificationFeed.define({
        name: 'notification',
        keyFormat: 'notification_feed:{userId}',
        storage: backend(),
      });
      await definition.for(1).add(activity(1));
      await redis.zadd(`${prefix}notification_feed:1`, '1', '{"broken json');
      expect(await definition.for(1).get()).toHaveLength(1);
      expect(reported.map((error) => error.entry)).toEqual(['{"broken json']);
    });
  });
}
