import { describe, expect, it } from 'vitest';
import { Activity, Add, Comment, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { keySlot, redisStorage, type RedisClient } from '../../src/index.js';
import { targets, useRedis } from './helpers.js';

const BASE = Date.UTC(2024, 0, 1);
const VERBS = [Love, Add, Comment];

function activity(i: number): Activity {
  return new Activity({
    actor: i,
    verb: VERBS[i % 3]!,
    object: i,
    time: BASE + i * 1000,
    extraContext: i % 4 === 0 ? {} : { board: `b${i % 2}` },
  });
}

/** Every index set of a feed, its counts and its values hash, checked against the timeline. */
async function checkIndexes(redis: RedisClient, timeline: string, base: string): Promise<number> {
  const members = new Set(await redis.zrange(timeline, 0, -1));
  const counts = await redis.hgetall(`${base}counts`);
  const values = await redis.hgetall(`${base}values`);
  for (const member of Object.keys(values)) expect(members.has(member)).toBe(true);
  let indexed = 0;
  for (const [suffix, count] of Object.entries(counts)) {
    const index = await redis.zrange(`${base}${suffix}`, 0, -1);
    expect(index.length).toBe(Number(count));
    for (const member of index) {
      expect(members.has(member)).toBe(true);
      expect(JSON.parse(values[member]!)).toContain(suffix);
    }
    indexed += index.length;
  }
  return indexed;
}

for (const target of targets()) {
  describe(`indexed flat timelines (${target.name})`, () => {
    const connection = useRedis(target);

    it('keep index sets in the feed slot, exact through trims and removals, and deleted with the feed', async () => {
      const { redis, prefix } = connection;
      const storage = redisStorage({ redis, keyPrefix: prefix });
      const definition = Feed.define({
        keyFormat: 'feed:idx:{userId}',
        maxLength: 8,
        storage,
        index: { verb: true, field: 'board' },
      });
      const activities = Array.from({ length: 20 }, (_, i) => activity(i + 1));
      await definition.insertActivities(activities);
      await definition.addToMany([1, 2, 3], activities.slice(0, 12));
      const feed = definition.for(1);
      await feed.addMany(activities.slice(12));
      const timeline = `${prefix}feed:idx:1`;
      const baseOf = (key: string) =>
        target.name === 'cluster' ? `{${key}}:sfidx:` : `${key}:sfidx:`;
      const base = baseOf(timeline);
      expect(await redis.zcard(timeline)).toBe(8);
      expect(await redis.exists(`${base}v:${Love.id}`)).toBe(1);
      if (target.name === 'cluster') {
        expect(keySlot(`${base}v:${Love.id}`)).toBe(keySlot(timeline));
        expect(keySlot(`${base}counts`)).toBe(keySlot(timeline));
      }
      // Each entry is in its verb index, its board index when it has one, and the pair index.
      const kept = activities.slice(12);
      const withBoard = kept.filter((a) => a.extraContext.board !== undefined).length;
      expect(await checkIndexes(redis, timeline, base)).toBe(8 + withBoard * 2);
      await feed.removeMany(kept.slice(-3));
      await feed.trim(3);
      const left = kept.slice(-6, -3);
      const leftWithBoard = left.filter((a) => a.extraContext.board !== undefined).length;
      expect(await checkIndexes(redis, timeline, base)).toBe(3 + leftWithBoard * 2);
      const second = `${prefix}feed:idx:2`;
      expect(await redis.zcard(second)).toBe(8);
      expect(await checkIndexes(redis, second, baseOf(second))).toBeGreaterThan(8);
      await definition.removeFromMany([2, 3], activities.slice(0, 12));
      expect(await redis.zcard(second)).toBe(0);
      expect(await checkIndexes(redis, second, baseOf(second))).toBe(0);
      expect(await redis.exists(`${baseOf(second)}counts`, `${baseOf(second)}values`)).toBe(0);
      await feed.delete();
      expect(await redis.exists(timeline, `${base}counts`, `${base}values`)).toBe(0);
      for (const verb of VERBS) expect(await redis.exists(`${base}v:${verb.id}`)).toBe(0);
      expect(await redis.exists(`${base}f:b0`, `${base}f:b1`)).toBe(0);
    });
  });
}
