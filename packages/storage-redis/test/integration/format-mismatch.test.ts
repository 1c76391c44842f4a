import { Activity, Love, SerializationError } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  FormatMismatchError,
  redisStorage,
  type RedisClient,
  type RedisSerializationError,
} from '../../src/index.js';
import { targets, useRedis } from './helpers.js';
import { keyFormat, plantScenario } from './scenario.js';

const activity = (n: number) =>
  new Activity({ actor: 1, verb: Love, object: n, time: Date.UTC(2024, 0, 1) + n * 1000 });

/**
 * A keyspace read with the wrong `format` fails loudly with a FormatMismatchError naming the
 * format to use, instead of empty pages and warnings; corrupt entries are still only skipped.
 */
for (const target of targets()) {
  const clusterKey = (key: string) =>
    target.name === 'cluster' ? key.replace(/^list:(.*):(unseen|unread)$/, 'list:{$1}:$2') : key;

  describe(`format mismatch (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let reported: RedisSerializationError[];

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      reported = [];
    });

    const feeds = (
      format: 'json' | 'stream-framework',
      corruptEntries: 'skip' | 'throw' = 'skip',
    ) => {
      const storage = redisStorage({
        redis,
        keyPrefix: prefix,
        format,
        corruptEntries,
        onCorruptEntry: (error) => reported.push(error),
      });
      return {
        storage,
        normal: Feed.define({ name: 'normal', keyFormat: keyFormat('normal'), storage }),
        aggregated: AggregatedFeed.define({
          name: 'aggregated',
          keyFormat: keyFormat('aggregated'),
          storage,
        }),
        notification: NotificationFeed.define({
          name: 'notification',
          keyFormat: keyFormat('notification'),
          storage,
        }),
      };
    };

    const mismatch = async (read: Promise<unknown>): Promise<FormatMismatchError> => {
      const error = await read.then(
        (value) =>
          new Error(`expected a FormatMismatchError, the read returned ${JSON.stringify(value)}`),
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(FormatMismatchError);
      expect(error).toBeInstanceOf(SerializationError);
      return error as FormatMismatchError;
    };

    it("fails every feed kind of Python's keyspace read with the JSON format, naming 'stream-framework' (issue 12 item 17)", async () => {
      await plantScenario(redis, prefix, clusterKey);
      const { normal, aggregated, notification } = feeds('json');

      const flat = await mismatch(normal.for(21).get());
      expect([flat.configuredFormat, flat.detectedFormat, flat.feedKey]).toEqual([
        'json',
        'stream-framework',
        'feed:normal:21',
      ]);
      expect(flat.key).toMatch(new RegExp(`^${prefix}global:\\d$`));
      expect(flat.message).toContain("configure format: 'stream-framework'");
      expect(flat.message).toContain('"feed:normal:21"');

      const grouped = await mismatch(aggregated.for(21).get());
      expect([
        grouped.key,
        grouped.feedKey,
        grouped.detectedFormat,
        grouped.entries,
        grouped.decoded,
      ]).toEqual([`${prefix}feed:aggregated:21`, 'feed:aggregated:21', 'stream-framework', 2, 2]);
      const notified = await mismatch(notification.for(21).get());
      expect([notified.key, notified.detectedFormat, notified.entries]).toEqual([
        `${prefix}notification_feed:21`,
        'stream-framework',
        3,
      ]);
      expect(reported).toEqual([]);

      // a write that would merge into Python's groups is refused before anything is written
      await mismatch(aggregated.for(21).add(activity(1)));
      expect(await redis.zcard(`${prefix}feed:aggregated:21`)).toBe(2);
      // the policy 'throw' fails with the mismatch too, not with the first corrupt entry
      await mismatch(feeds('json', 'throw').aggregated.for(22).get());
    });

    it("fails JSON-written feeds read with the 'stream-framework' format, naming 'json'", async () => {
      const json = feeds('json');
      const activities = [1, 2, 3].map(activity);
      await json.normal.insertActivities(activities);
      await json.normal.for(1).addMany(activities);
      await json.aggregated.for(1).addMany(activities);
      await json.notification.for(1).addMany(activities);

      const { normal, aggregated, notification } = feeds('stream-framework');
      for (const read of [
        () => normal.for(1).get(),
        () => aggregated.for(1).get(),
        () => notification.for(1).get(),
      ]) {
        const error = await mismatch(read());
        expect([error.configuredFormat, error.detectedFormat]).toEqual([
          'stream-framework',
          'json',
        ]);
        expect(error.message).toContain("configure format: 'json'");
      }
      expect(reported).toEqual([]);
    });

    it('still renders a page with some undecodable entries, and only reports a page of garbage', async () => {
      const { normal, notification } = feeds('json');
      await notification.for(21).add(activity(1));
      // one Python member among this library's: the page renders, the member is reported
      await plantScenario(redis, prefix, clusterKey);
      const page = await notification.for(21).get();
      expect(page.map((group) => group.activities[0]!.objectId)).toEqual([1]);
      expect(reported.map((error) => error.key)).toEqual([
        `${prefix}notification_feed:21`,
        `${prefix}notification_feed:21`,
        `${prefix}notification_feed:21`,
      ]);

      // a page of entries no format decodes: skipped and reported as before
      reported = [];
      const activities = [7, 8].map(activity);
      await normal.for(5).addMany(activities);
      for (const item of activities)
        await redis.hset(
          feeds('json').storage.keys.activityShardKey(item.serializationId),
          item.serializationId,
          'garbage',
        );
      expect(await normal.for(5).get()).toEqual([]);
      expect(reported.map((error) => error.entry).sort()).toEqual(
        activities.map((item) => item.serializationId).sort(),
      );
    });
  });
}
