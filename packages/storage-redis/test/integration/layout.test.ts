import { Activity, Love } from '@sf/activity';
import type { TimelineQuery } from '@sf/feeds';
import { describe, expect, it } from 'vitest';
import {
  REDIS_LAYOUTS,
  RedisConfigurationError,
  redisStorage,
  type RedisLayout,
  type RedisStorage,
} from '../../src/index.js';
import { keysOf, targets, useRedis } from './helpers.js';
import { Group, flatSerializer, groupSerializer, testFormat } from './test-format.js';
import { dehydrated, digits, ids, random, reference } from '../ids.js';

// The layouts side by side on real servers: the compact layout's scores, its exact order where
// scores tie (ids of one millisecond), filters and pages at the edges of a tie, trims inside a
// tie, and the layout marker. The conformance suite runs in both layouts (conformance.test.ts).

const ms = 1_704_067_200_123;
const next = random(2026);
/** Ids of one millisecond: default-scheme (46 digits) and Stream Framework-scheme (26 digits). */
const tie46 = Array.from({ length: 12 }, () => `${ms}${digits(next, 33)}`);
const tie26 = Array.from({ length: 12 }, () => `${ms}${digits(next, 13)}`);
const all = [
  ...new Set([
    ...tie46,
    ...tie26,
    `${ms - 1}${'9'.repeat(33)}`,
    `${ms + 1}${'0'.repeat(33)}`,
    `${ms - 1}${'9'.repeat(13)}`,
    `${ms + 1}${'0'.repeat(13)}`,
    // short ids and the 13/14-digit boundary
    '5',
    '10',
    '999',
    '9999999999999',
    '10000000000000',
  ]),
];
const plusOne = (id: string, delta: bigint) => (BigInt(id) + delta).toString();

for (const target of targets()) {
  describe(`Redis layouts (${target.name})`, () => {
    const connection = useRedis(target);
    const open = (layout: RedisLayout, keyPrefix = connection.prefix): RedisStorage =>
      redisStorage({ redis: connection.redis, keyPrefix, format: testFormat, layout });
    const flat = (storage: RedisStorage) =>
      storage.timelineStorage({ name: 'normal', kind: 'flat', serializer: flatSerializer });

    it('compact: integer scores, the time in ms for default-scheme ids; aggregated ones unchanged', async () => {
      const { redis, prefix } = connection;
      const storage = open('compact');
      const activity = new Activity({ actor: 7, verb: Love, object: 42, time: ms });
      await flat(storage).add('feed:1', dehydrated([activity.serializationId]));
      expect(await redis.zscore(`${prefix}feed:1`, activity.serializationId)).toBe(String(ms));
      const aggregated = storage.timelineStorage({
        name: 'aggregated',
        kind: 'aggregated',
        serializer: groupSerializer,
      });
      await aggregated.add('agg:1', [new Group('g', '1704067200000', ['1'])]);
      expect(await redis.zrange(`${prefix}agg:1`, 0, -1, 'WITHSCORES')).toEqual([
        'g|1704067200000|1',
        '1704067200000',
      ]);
    });

    for (const layout of REDIS_LAYOUTS) {
      it(`${layout}: orders ids of one millisecond exactly, filters and pages at a tie's edges`, async () => {
        const { redis, prefix } = connection;
        const timeline = flat(open(layout));
        await timeline.add('feed:ties', dehydrated(all));
        if (layout === 'compact') {
          // the ids of one millisecond and one length share a score: the order is the member's
          const scores = new Set(
            await Promise.all(tie46.map((id) => redis.zscore(`${prefix}feed:ties`, id))),
          );
          expect(scores.size).toBe(1);
        }
        for (const order of ['desc', 'asc'] as const) {
          const query = { offset: 0, limit: null, order };
          expect(ids(await timeline.get('feed:ties', query))).toEqual(reference(all, query));
        }
        const edges = [...tie46, ...tie26].sort().filter((_, i) => i % 3 === 0);
        for (const id of edges) {
          for (const bound of [id, plusOne(id, 1n), plusOne(id, -1n)]) {
            for (const kind of ['gt', 'gte', 'lt', 'lte'] as const) {
              for (const order of ['desc', 'asc'] as const) {
                const filter = { [kind]: bound };
                // the whole range in pages of 3: each page exact, together the whole range
                const whole = reference(all, { offset: 0, limit: null, filter, order });
                const pages: string[] = [];
                for (let offset = 0; offset <= whole.length; offset += 3) {
                  const query: TimelineQuery = { offset, limit: 3, filter, order };
                  const page = ids(await timeline.get('feed:ties', query));
                  expect(page, JSON.stringify(query)).toEqual(reference(all, query));
                  pages.push(...page);
                }
                expect(pages).toEqual(whole);
              }
            }
          }
        }
        const between = { gt: tie46[0]!, lte: tie46[1]! };
        for (const filter of [between, { gte: tie26[2]!, lt: tie46[3]! }]) {
          const query = { offset: 0, limit: null, filter };
          expect(ids(await timeline.get('feed:ties', query))).toEqual(reference(all, query));
        }
        const newestFirst = reference(all, { offset: 0, limit: null });
        for (const id of [tie46[4]!, tie26[5]!, '10'])
          expect(await timeline.indexOf('feed:ties', id)).toBe(newestFirst.indexOf(id));
      });

      it(`${layout}: trims to the newest ids inside a tie`, async () => {
        const timeline = flat(open(layout));
        const newest = (count: number) =>
          reference(tie46, { offset: 0, limit: count, order: 'desc' });
        expect(await timeline.add('feed:trim', dehydrated(tie46), { maxLength: 5 })).toBe(12);
        expect(ids(await timeline.get('feed:trim', { offset: 0, limit: null }))).toEqual(newest(5));
        const feeds = ['feed:t1', 'feed:t2', 'feed:t3'];
        await timeline.addToMany(feeds, dehydrated(tie46), { maxLength: 4 });
        await timeline.trim('feed:t2', 2);
        expect(ids(await timeline.get('feed:t1', { offset: 0, limit: null }))).toEqual(newest(4));
        expect(ids(await timeline.get('feed:t2', { offset: 0, limit: null }))).toEqual(newest(2));
      });
    }

    it('marks a keyspace compact and refuses to open it in the other layout', async () => {
      const { redis, prefix } = connection;
      const marker = `${prefix}sf:layout`;
      // Stream Framework's layout writes no marker: the keyspace stays exactly Python's
      await flat(open('stream-framework', `${prefix}sf:`)).add('feed:1', dehydrated(['5']));
      expect(await keysOf(redis, `${prefix}sf:`)).toEqual([`${prefix}sf:feed:1`]);

      await flat(open('compact')).add('feed:1', dehydrated(['5']));
      expect(await redis.get(marker)).toBe('compact');
      const wrong = flat(open('stream-framework'));
      for (const attempt of [
        () => wrong.get('feed:1', { offset: 0, limit: 10 }),
        () => wrong.addToMany(['feed:1', 'feed:2'], dehydrated(['6'])),
      ]) {
        const error: unknown = await attempt().then(
          () => undefined,
          (caught: unknown) => caught,
        );
        expect(error).toBeInstanceOf(RedisConfigurationError);
        expect(error).toMatchObject({ path: 'redisStorage.layout', value: 'stream-framework' });
        expect((error as Error).message).toContain(`written in the "compact" layout`);
        expect((error as Error).message).toContain(JSON.stringify(marker));
      }
      expect(await redis.zrange(`${prefix}feed:1`, 0, -1)).toEqual(['5']);
      expect(await redis.exists(`${prefix}feed:2`)).toBe(0);

      await redis.set(`${prefix}other:sf:layout`, 'stream-framework');
      await expect(
        flat(open('compact', `${prefix}other:`)).add('feed:1', dehydrated(['5'])),
      ).rejects.toThrow(/written in the "stream-framework" layout/);
    });
  });
}
