import type { TimelineQuery } from '@sf/feeds';
import type { Redis } from 'ioredis';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  RedisLockError,
  RedisReplyError,
  redisStorage,
  type RedisClient,
  type RedisStorage,
} from '../../src/index.js';
import { keySlot } from '../../src/slot.js';
import { targets, useRedis } from './helpers.js';
import { Group, flatSerializer, groupSerializer, testFormat } from './test-format.js';
import { dehydrated, idOf, ids, random, reference } from '../ids.js';

const ms = 1_373_266_755_123n;

for (const target of targets()) {
  describe(`RedisTimelineStorage (${target.name})`, () => {
    let redis: RedisClient;
    let prefix: string;
    let storage: RedisStorage;
    const flat = () =>
      storage.timelineStorage({ name: 'normal', kind: 'flat', serializer: flatSerializer });
    const aggregated = () =>
      storage.timelineStorage({
        name: 'aggregated',
        kind: 'aggregated',
        serializer: groupSerializer,
      });

    const connection = useRedis(target);
    beforeEach(() => {
      ({ redis, prefix } = connection);
      storage = redisStorage({ redis, keyPrefix: prefix, format: testFormat });
    });

    it("stores Stream Framework's layout: member = id, score = the id as a double", async () => {
      const timeline = flat();
      const id = '13886318456780000000500004';
      expect(await timeline.add('feed:normal:21', dehydrated([id]))).toBe(1);
      const [member, score] = await redis.zrange(`${prefix}feed:normal:21`, 0, -1, 'WITHSCORES');
      expect(member).toBe(id);
      expect(Number(score)).toBe(1.388631845678e25); // the score Python wrote (sf-redis-scenario.json)
    });

    it('pages and filters exactly where ids share a double score', async () => {
      const timeline = flat();
      // 3 milliseconds x 8 objects x 3 verbs: many ids per double
      const all: string[] = [];
      for (const delta of [0n, 1n, 2n])
        for (let object = 1; object <= 8; object++)
          for (const verb of [1, 3, 4]) all.push(idOf(ms + delta, object, verb));
      await timeline.add('feed:1', dehydrated(all));
      const distinctScores = new Set(
        (await redis.zrange(`${prefix}feed:1`, 0, -1, 'WITHSCORES')).filter((_, i) => i % 2 === 1),
      );
      expect(distinctScores.size).toBeLessThan(all.length / 4); // the doubles really collide
      const next = random(42);
      const pick = () => all[Math.floor(next() * all.length)]!;
      const near = () => {
        // a bound that is not an entry: an entry plus or minus one
        const id = BigInt(pick()) + (next() < 0.5 ? 1n : -1n);
        return id.toString();
      };
      for (let round = 0; round < 300; round++) {
        const filter: Record<string, string> = {};
        for (const bound of ['gte', 'gt', 'lte', 'lt'])
          if (next() < 0.35) filter[bound] = next() < 0.7 ? pick() : near();
        const query: TimelineQuery = {
          offset: Math.floor(next() * 10),
          limit: next() < 0.2 ? null : Math.floor(next() * 12),
          filter,
          order: next() < 0.5 ? 'asc' : 'desc',
        };
        expect(ids(await timeline.get('feed:1', query)), JSON.stringify(query)).toEqual(
          reference(all, query),
        );
      }
      const sorted = reference(all, { offset: 0, limit: null });
      for (const id of [sorted[0]!, sorted[17]!, sorted.at(-1)!]) {
        expect(await timeline.indexOf('feed:1', id)).toBe(sorted.indexOf(id));
        expect(await timeline.contains('feed:1', id)).toBe(true);
      }
      expect(await timeline.indexOf('feed:1', idOf(ms, 9, 1))).toBe(-1);
      expect(await timeline.contains('feed:1', idOf(ms, 9, 1))).toBe(false);
    });

    it('filters aggregated timelines by their (whole second) ids', async () => {
      const timeline = aggregated();
      const groups = [1, 2, 3, 4, 5].map(
        (i) => new Group(`g${i}`, String(1_373_266_755_000 + i * 1000), [String(i)]),
      );
      await timeline.add('agg:1', groups);
      const all = ids(groups);
      for (const query of [
        { offset: 0, limit: null, filter: { lt: all[3] } },
        { offset: 1, limit: 2, filter: { gte: all[1] }, order: 'asc' as const },
        {
          offset: 0,
          limit: null,
          filter: { gt: '1373266757999', lte: '99999999999999999999999999' },
        },
      ]) {
        expect(ids(await timeline.get('agg:1', query))).toEqual(reference(all, query));
      }
      expect(await timeline.indexOf('agg:1', all[3]!)).toBe(1);
      expect(await timeline.indexOf('agg:1', '1373266755500')).toBe(-1);
      expect(await timeline.contains('agg:1', all[0]!)).toBe(true);
      expect(await timeline.removeIds('agg:1', [all[0]!, all[1]!, '1'])).toBe(2);
      expect((await timeline.get('agg:1', { offset: 0, limit: null })).map((g) => g.group)).toEqual(
        ['g5', 'g4', 'g3'],
      );
    });

    it('adds and trims in one call, on one feed and on many', async () => {
      const timeline = flat();
      const entries = Array.from({ length: 10 }, (_, i) => idOf(ms + BigInt(i), 1, 1));
      expect(await timeline.add('feed:2', dehydrated(entries), { maxLength: 4 })).toBe(10);
      expect(ids(await timeline.get('feed:2', { offset: 0, limit: null }))).toEqual(
        entries.slice(6).reverse(),
      );
      const keys = Array.from({ length: 450 }, (_, i) => `feed:many:${i}`);
      expect(
        await timeline.addToMany(keys, dehydrated(entries.slice(0, 3)), { maxLength: 2 }),
      ).toBe(450 * 3);
      expect(
        await timeline.addToMany(keys, dehydrated(entries.slice(0, 3)), { maxLength: 2 }),
      ).toBe(450); // the one trimmed away is new again
      expect(await timeline.addToMany([...keys, keys[0]!], dehydrated([entries[9]!]))).toBe(450);
      for (const key of [keys[0]!, keys[223]!, keys[449]!]) {
        expect(ids(await timeline.get(key, { offset: 0, limit: null }))).toEqual([
          entries[9],
          entries[2],
          entries[1],
        ]);
      }
      expect(await timeline.removeIdsFromMany(keys, [entries[9]!, entries[1]!])).toBe(900);
      expect(await timeline.count(keys[100]!)).toBe(1);
      await timeline.trim(keys[100]!, 0);
      expect(await timeline.count(keys[100]!)).toBe(0);
    });

    it('reports a failed write as a failure (WRONGTYPE), not as a success', async () => {
      const timeline = flat();
      await redis.set(`${prefix}feed:string`, 'not a sorted set');
      await expect(
        timeline.add('feed:string', dehydrated([idOf(ms, 1, 1)])),
      ).rejects.toBeInstanceOf(RedisReplyError);
      await expect(timeline.add('feed:string', dehydrated([idOf(ms, 1, 1)]))).rejects.toThrow(
        /WRONGTYPE/,
      );
      await expect(
        timeline.addToMany(['feed:ok', 'feed:string'], dehydrated([idOf(ms, 1, 1)])),
      ).rejects.toThrow(RedisReplyError);
      await expect(timeline.count('feed:string')).rejects.toThrow(
        /timeline.count on ".*feed:string"/,
      );
    });

    it('names the timeline of the wrong type among the many of an addToMany', async () => {
      const timeline = flat();
      await redis.set(`${prefix}feed:string2`, 'not a sorted set');
      await expect(
        timeline.addToMany(['feed:ok2', 'feed:string2', 'feed:ok3'], dehydrated([idOf(ms, 1, 1)])),
      ).rejects.toThrow(new RegExp(`WRONGTYPE.*"${prefix}feed:string2"`));
    });

    it('modify removes the exact member it read, even when it would serialize differently', async () => {
      const timeline = aggregated();
      // As Python may have written it: a trailing part our serializer does not reproduce.
      const raw = 'g1|1373266755000|1,2|written-by-python';
      await redis.zadd(`${prefix}agg:2`, '1373266755000', raw);
      await timeline.modify('agg:2', { maxLength: 10 }, async (read) => {
        const [current] = await read({ offset: 0, limit: 20 });
        expect(current!.ids).toEqual(['1', '2']);
        return { remove: [current!], add: [new Group('g1', '1373266756000', ['1', '2', '3'])] };
      });
      expect(await redis.zrange(`${prefix}agg:2`, 0, -1)).toEqual(['g1|1373266756000|1,2,3']);
      // a copy of a read item is matched through its serialization
      await timeline.modify('agg:2', {}, async (read) => {
        const [current] = await read({ offset: 0, limit: 20 });
        return {
          remove: [new Group(current!.group, current!.serializationId, [...current!.ids])],
          add: [],
        };
      });
      expect(await timeline.count('agg:2')).toBe(0);
      expect(await redis.exists(storage.keys.lock('agg:2'))).toBe(0);
    });

    it('modify waits for a busy lock, and gives up after acquireTimeout', async () => {
      const lockKey = storage.keys.lock('agg:3');
      if (target.name === 'cluster')
        expect(keySlot(lockKey)).toBe(keySlot(storage.keys.timeline('agg:3')));
      await redis.set(lockKey, 'someone-else', 'PX', 300);
      const started = Date.now();
      await aggregated().modify('agg:3', {}, async () => ({
        remove: [],
        add: [new Group('g', '1000', ['1'])],
      }));
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      await redis.set(lockKey, 'someone-else', 'PX', 5000);
      const impatient = redisStorage({
        redis,
        keyPrefix: prefix,
        format: testFormat,
        lock: { acquireTimeout: 100 },
      });
      const attempt = impatient
        .timelineStorage({ name: 'a', kind: 'aggregated', serializer: groupSerializer })
        .modify('agg:3', {}, async () => ({ remove: [], add: [] }));
      await expect(attempt).rejects.toBeInstanceOf(RedisLockError);
      expect(await redis.get(lockKey)).toBe('someone-else');
    });

    it('modify starts over when its lock expired before the write, and never writes without it', async () => {
      const slow = redisStorage({
        redis,
        keyPrefix: prefix,
        format: testFormat,
        lock: { ttl: 50, attempts: 2 },
      });
      const timeline = slow.timelineStorage({
        name: 'a',
        kind: 'aggregated',
        serializer: groupSerializer,
      });
      let calls = 0;
      await timeline.modify('agg:4', {}, async () => {
        calls += 1;
        if (calls === 1) await new Promise((resolve) => setTimeout(resolve, 120));
        return { remove: [], add: [new Group('g', String(calls * 1000), ['1'])] };
      });
      expect(calls).toBe(2);
      expect(await redis.zrange(`${prefix}agg:4`, 0, -1)).toEqual(['g|2000|1']);
      const hopeless = timeline.modify('agg:4', {}, async () => {
        await new Promise((resolve) => setTimeout(resolve, 120));
        return { remove: [], add: [new Group('h', '5000', ['1'])] };
      });
      await expect(hopeless).rejects.toThrow(/lost the lock/);
      expect(await redis.zrange(`${prefix}agg:4`, 0, -1)).toEqual(['g|2000|1']);
    });

    it('modify releases the lock when the mutation throws', async () => {
      await expect(
        aggregated().modify('agg:5', {}, async () => Promise.reject(new Error('boom'))),
      ).rejects.toThrow('boom');
      expect(await redis.exists(storage.keys.lock('agg:5'))).toBe(0);
      expect(await redis.exists(`${prefix}agg:5`)).toBe(0);
    });

    it('isolates backends with different key prefixes', async () => {
      const other = redisStorage({ redis, keyPrefix: `${prefix}other:`, format: testFormat });
      await flat().add('feed:9', dehydrated([idOf(ms, 1, 1)]));
      expect(
        await other
          .timelineStorage({ name: 'normal', kind: 'flat', serializer: flatSerializer })
          .count('feed:9'),
      ).toBe(0);
      void (redis as Redis);
    });
  });
}
