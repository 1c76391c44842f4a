import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient } from '../../src/client.js';
import { READ_KEY, WRITE_KEY } from '../../src/test-config.js';
import { contentOf, keysOf, startServer, targets } from './helpers.js';
import type { RunningServer } from './helpers.js';

const T0 = Date.UTC(2024, 4, 1, 12);
const RANGE =
  'allowed: 1970-01-01T00:00:00.000Z to 2255-06-05T23:47:34.740Z (epoch milliseconds 0 to 9007199254740)';

interface Item {
  id: string;
  actor: number;
  object: number;
}

for (const target of targets()) {
  describe(`activity times and ids (${target.name})`, () => {
    let server: RunningServer;
    let writer: StreamClient;
    let reader: StreamClient;

    beforeAll(async () => {
      server = await startServer(target);
      writer = new StreamClient({ baseUrl: server.baseUrl, apiKey: WRITE_KEY });
      reader = new StreamClient({ baseUrl: server.baseUrl, apiKey: READ_KEY });
    });
    afterAll(async () => {
      await server.stop();
    });

    const items = async (feed: string, userId: number) =>
      (await reader.readFeed(feed, userId)).items as Item[];

    // Issue 12 item 1: a time whose serialization id cannot be computed exactly (past 2^53 - 1
    // epoch microseconds) is a 400 naming the field and the range, and nothing is written.
    it('answers 400 for times outside the range of serialization ids, writes nothing, and the feeds still read', async () => {
      await writer.follow(8, 7);
      const kept = await writer.publish(7, { verb: 'pin', object: 1, time: T0 });
      const snapshot = async () => {
        const redis = server.redis;
        const keys = redis ? await keysOf(redis, server.prefix) : [];
        return {
          own: await items('user', 7),
          follower: await items('timeline', 8),
          aggregated: (await reader.readFeed('aggregated', 8)).items,
          contents: redis
            ? await Promise.all(keys.map(async (key) => [key, await contentOf(redis, key)]))
            : [],
        };
      };
      const before = await snapshot();
      expect(before.own.map((item) => item.id)).toEqual([kept.id]);
      expect(before.follower.map((item) => item.id)).toEqual([kept.id]);
      const late: Array<number | string> = [
        253_402_300_800_000, // year 10000, the probe
        9_007_199_254_741, // one millisecond after 2255-06-05T23:47:34.740Z
        8.64e15,
        1e21,
        2 ** 53 + 1,
        '2255-06-05T23:47:34.741Z',
        '9999-12-31T23:59:59Z',
      ];
      for (const time of late) {
        const response = await fetch(`${server.baseUrl}/users/7/activities`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY },
          body: `{"verb":"pin","object":2,"time":${JSON.stringify(time)}}`,
        });
        const body = (await response.json()) as {
          statusCode: number;
          code: string;
          message: string;
        };
        expect([time, response.status]).toEqual([time, 400]);
        expect(body.code).toBe('SF_INVALID_ACTIVITY');
        expect(body.message).toContain('activity time must not be after 2255-06-05T23:47:34.740Z');
        expect(body.message).toContain(RANGE);
      }
      // The same through the feed's own endpoint (no fanout).
      const direct = await fetch(`${server.baseUrl}/feeds/user/7/activities`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY },
        body: '{"actor":7,"verb":"pin","object":3,"time":253402300800000}',
      });
      expect(direct.status).toBe(400);
      expect(await snapshot()).toEqual(before);
      // The last representable millisecond is accepted.
      const last = await writer.publish(7, {
        verb: 'pin',
        object: 4,
        time: '2255-06-05T23:47:34.740Z',
      });
      expect((await items('user', 7)).map((item) => item.id)).toEqual([last.id, kept.id]);
      expect((await items('timeline', 8)).map((item) => item.id)).toEqual([last.id, kept.id]);
    });

    // Issue 12 item 3: users 1 and 2 love object 5 in the same millisecond.
    it('keeps two activities that differ only by actor apart', async () => {
      await writer.follow(3, 1);
      await writer.follow(3, 2);
      const one = await writer.publish(1, { verb: 'love', object: 5, time: T0 });
      const two = await writer.publish(2, { verb: 'love', object: 5, time: T0 });
      expect(one.id).not.toBe(two.id);
      expect((await items('user', 1)).map((item) => [item.id, item.actor])).toEqual([[one.id, 1]]);
      expect((await items('user', 2)).map((item) => [item.id, item.actor])).toEqual([[two.id, 2]]);
      expect((await items('timeline', 3)).map((item) => item.actor)).toEqual([2, 1]);
      // 46-digit ids are accepted wherever an id is taken
      expect(one.id).toHaveLength(46);
      expect(
        (await reader.readFeed('timeline', 3, { idLt: two.id })).items.map(
          (item) => (item as Item).id,
        ),
      ).toEqual([one.id]);
      await writer.unpublish(1, one.id);
      expect(await items('user', 1)).toEqual([]);
      expect((await items('user', 2)).map((item) => item.actor)).toEqual([2]);
      expect((await items('timeline', 3)).map((item) => item.actor)).toEqual([2]);
    });
  });
}
