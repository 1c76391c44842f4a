import type { MarkerEvent } from '@sf/feeds';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  RedisConfigurationError,
  redisStorage,
  type RedisClient,
  type RedisStorage,
} from '../../src/index.js';
import { eventually, keysOf, targets, useRedis } from './helpers.js';
import { testFormat } from './test-format.js';

for (const target of targets()) {
  describe(`RedisMarkerStorage (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let storage: RedisStorage;

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      storage = redisStorage({ redis, keyPrefix: prefix, format: testFormat });
    });

    it("keeps Stream Framework's lists (hash-tagged on a cluster), newest last, capped", async () => {
      const markers = storage.markerStorage({ name: 'notification' });
      expect(
        await markers.update(
          'notification_feed:21',
          { add: { unseen: ['1', '2', '3'], unread: ['1', '2', '3'] } },
          100,
        ),
      ).toEqual({ unseen: 3, unread: 3 });
      const [unseen, unread] =
        target.name === 'cluster'
          ? [
              `${prefix}list:{notification_feed:21}:unseen`,
              `${prefix}list:{notification_feed:21}:unread`,
            ]
          : [
              `${prefix}list:notification_feed:21:unseen`,
              `${prefix}list:notification_feed:21:unread`,
            ];
      expect(await keysOf(redis, prefix)).toEqual([unread, unseen]);
      expect(await redis.lrange(unseen, 0, -1)).toEqual(['1', '2', '3']);
      expect(
        await markers.update('notification_feed:21', { add: { unseen: ['4', '2', '4'] } }, 3),
      ).toEqual({ unseen: 3, unread: 3 });
      expect(await redis.lrange(unseen, 0, -1)).toEqual(['3', '4', '2']);
      expect(await markers.get('notification_feed:21')).toEqual({
        unseen: ['3', '4', '2'],
        unread: ['1', '2', '3'],
      });
      expect(
        await markers.update(
          'notification_feed:21',
          { remove: { unseen: ['4'], unread: ['1', 'x'] } },
          3,
        ),
      ).toEqual({ unseen: 2, unread: 2 });
      expect(
        await markers.update(
          'notification_feed:21',
          { clear: { unseen: true }, add: { unseen: ['9'] } },
          3,
        ),
      ).toEqual({ unseen: 1, unread: 2 });
      expect(await markers.counts('notification_feed:21')).toEqual({ unseen: 1, unread: 2 });
      await markers.delete('notification_feed:21');
      expect(await keysOf(redis, prefix)).toEqual([]);
    });

    it('publishes the counts on every change, on the configured channel', async () => {
      const channel = `${prefix}counts`;
      const backend = redisStorage({
        redis,
        keyPrefix: prefix,
        format: testFormat,
        countsChannel: channel,
      });
      const markers = backend.markerStorage({ name: 'n' });
      const raw: string[] = [];
      const listener = target.connect();
      listener.on('message', (_channel: string, message: string) => raw.push(message));
      await listener.subscribe(channel);
      const events: MarkerEvent[] = [];
      const unsubscribe = await markers.subscribe((event) => events.push(event));
      const second: MarkerEvent[] = [];
      const unsubscribeSecond = await markers.subscribe((event) => second.push(event));
      try {
        await markers.update('n:1', { add: { unseen: ['1'], unread: ['1'] } }, 100);
        await markers.update('n:1', { remove: { unseen: ['nope'] } }, 100); // no change, no event
        await markers.update('n:1', { remove: { unseen: ['1'] } }, 100);
        await eventually(() => events.length >= 2 && raw.length >= 2 && second.length >= 2);
        expect(events).toEqual([
          { key: 'n:1', unseen: 1, unread: 1 },
          { key: 'n:1', unseen: 0, unread: 1 },
        ]);
        expect(second).toEqual(events);
        expect(JSON.parse(raw[0]!)).toEqual({ key: 'n:1', unseen: 1, unread: 1 });
        await unsubscribeSecond();
        await markers.update('n:1', { clear: { unread: true } }, 100);
        await eventually(() => events.length >= 3);
        expect(events[2]).toEqual({ key: 'n:1', unseen: 0, unread: 0 });
        expect(second).toHaveLength(2);
      } finally {
        await unsubscribe();
        await unsubscribeSecond();
        await listener.quit();
      }
    });

    it('does not publish with countsChannel: null', async () => {
      const quiet = redisStorage({
        redis,
        keyPrefix: prefix,
        format: testFormat,
        countsChannel: null,
      }).markerStorage({ name: 'n' });
      expect(await quiet.update('n:2', { add: { unseen: ['1'] } }, 10)).toEqual({
        unseen: 1,
        unread: 0,
      });
      await expect(quiet.subscribe(() => {})).rejects.toThrow(/countsChannel: null/);
    });

    if (target.name === 'cluster') {
      it('refuses a markers key format whose lists would live in different slots', async () => {
        const split = redisStorage({
          redis,
          keyPrefix: prefix,
          format: testFormat,
          markersKeyFormat: '%(list)s:%(key)s',
        });
        await expect(
          split.markerStorage({ name: 'n' }).update('n:3', { add: { unseen: ['1'] } }, 10),
        ).rejects.toBeInstanceOf(RedisConfigurationError);
      });
    }
  });
}
