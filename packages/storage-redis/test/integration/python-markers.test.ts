import { NotificationFeed } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import { redisStorage, type RedisClient } from '../../src/index.js';
import { targets, useRedis } from './helpers.js';
import { plantScenario, scenario } from './scenario.js';

/**
 * Python's BaseNotificationFeed keeps its marker lists at `list:notification_feed:<id>:unseen|unread`
 * whatever the feed's own key_format (`markers_key_format` is a class constant, SF-SPEC 13.1).
 */
for (const target of targets()) {
  const clusterKey = (key: string) =>
    target.name === 'cluster' ? key.replace(/^list:(.*):(unseen|unread)$/, 'list:{$1}:$2') : key;

  describe(`markers of a Python notification feed with its own key format (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
    });

    it('reads and updates them at notification_feed:<id> in the stream-framework format (issue 12 item 16)', async () => {
      // Python: class MyNotificationFeed(RedisNotificationFeed): key_format = 'notif:%(user_id)s'
      await plantScenario(redis, prefix, (key) =>
        clusterKey(key.replace(/^notification_feed:/, 'notif:')),
      );
      const storage = redisStorage({ redis, keyPrefix: prefix, format: 'stream-framework' });
      const definition = NotificationFeed.define({
        name: 'notif',
        keyFormat: 'notif:%(user_id)s',
        storage,
      });
      const feed = definition.for(21);
      expect(await feed.counts()).toEqual({ unseen: 3, unread: 3 });
      expect(definition.markersKeyFor(21)).toBe('notification_feed:21');
      const page = await feed.get();
      expect(page.map((group) => group.group)).toEqual([
        '4-502-2014-01-02',
        '3-501-2014-01-02',
        '4-500-2014-01-02',
      ]);
      expect(page.map((group) => [group.isSeen(), group.isRead()])).toEqual([
        [false, false],
        [false, false],
        [false, false],
      ]);

      // marking writes Python's lists, where a Python reader finds them
      expect(await feed.markActivity(page[0]!)).toEqual({ unseen: 2, unread: 3 });
      const unseenKey = prefix + clusterKey('list:notification_feed:21:unseen');
      const unseen = scenario.keys['list:notification_feed:21:unseen']!.value as string[];
      expect(await redis.lrange(unseenKey, 0, -1)).toEqual(
        unseen.filter((id) => id !== page[0]!.serializationId),
      );
      expect(await redis.exists(prefix + clusterKey('list:notif:21:unseen'))).toBe(0);
    });

    it('keeps the feed key format as the markers key in the JSON format, and takes an explicit one', () => {
      const storage = redisStorage({ redis, keyPrefix: prefix });
      expect(
        NotificationFeed.define({
          name: 'notif',
          keyFormat: 'notif:{userId}',
          storage,
        }).markersKeyFor(21),
      ).toBe('notif:21');
      const python = redisStorage({ redis, keyPrefix: prefix, format: 'stream-framework' });
      expect(
        NotificationFeed.define({
          name: 'notif',
          keyFormat: 'notif:{userId}',
          storage: python,
          markersKeyFormat: 'markers:{userId}',
        }).markersKeyFor(21),
      ).toBe('markers:21');
    });
  });
}
