import { describe, expect, it } from 'vitest';
import { Feed } from '../feed.js';
import type { FlatTimelineItem, TimelineStorage } from '../backend/contracts.js';
import { ids } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

type CacheTimeline = Required<
  Pick<
    TimelineStorage<FlatTimelineItem>,
    'addToCached' | 'readCached' | 'beginFill' | 'fill' | 'evict' | 'count' | 'get'
  >
>;

/**
 * The cache-tier methods of flat timelines (`capabilities.cacheTier`): what `@sf/storage-tiered`
 * relies on to never read a feed the cache lost as a partial one.
 */
export function cacheTierTests(ctx: ConformanceContext): void {
  const { makeActivities } = ctx;
  describe('cache tier (needs capabilities.cacheTier)', () => {
    const timeline = (skip: (condition: boolean, note: string) => void): CacheTimeline => {
      skip(
        ctx.storage.capabilities.cacheTier !== true,
        'capabilities.cacheTier: this backend cannot be the cache of a tiered backend',
      );
      return Feed.define({
        name: 'cached',
        keyFormat: 'feed:cached:{userId}',
        storage: ctx.storage,
      }).timeline as CacheTimeline;
    };

    it('writes nothing to a feed that is not complete in the cache', async ({ skip }) => {
      const cache = timeline(skip);
      const activities = makeActivities(3);
      expect(await cache.readCached('feed:cached:1', { offset: 0, limit: 10 })).toEqual({
        complete: false,
        size: 0,
        items: [],
      });
      expect(await cache.addToCached(['feed:cached:1'], activities, { maxLength: 10 })).toBe(0);
      expect(await cache.count('feed:cached:1')).toBe(0);
      expect((await cache.readCached('feed:cached:1', { offset: 0, limit: 10 })).complete).toBe(
        false,
      );
    });

    it('fills a feed, then keeps it up to date and trimmed', async ({ skip }) => {
      const cache = timeline(skip);
      const activities = makeActivities(6);
      const token = await cache.beginFill('feed:cached:2');
      expect(
        await cache.fill('feed:cached:2', token, activities.slice(0, 3), { maxLength: 4 }),
      ).toBe(true);
      const page = await cache.readCached('feed:cached:2', { offset: 0, limit: 2 });
      expect(page.complete).toBe(true);
      expect(page.size).toBe(3);
      expect(ids(page.items)).toEqual(ids([activities[2]!, activities[1]!]));
      expect(
        await cache.addToCached(['feed:cached:2', 'feed:cached:3'], activities.slice(3), {
          maxLength: 4,
        }),
      ).toBe(3);
      const all = await cache.readCached('feed:cached:2', { offset: 0, limit: null });
      expect(all.size).toBe(4);
      expect(ids(all.items)).toEqual(ids(activities.slice(2).reverse()));
      expect(await cache.count('feed:cached:3')).toBe(0);
      const older = await cache.readCached('feed:cached:2', {
        offset: 0,
        limit: 2,
        filter: { lt: activities[4]!.serializationId },
      });
      expect(ids(older.items)).toEqual(ids([activities[3]!, activities[2]!]));
      const ascending = await cache.readCached('feed:cached:2', {
        offset: 1,
        limit: 2,
        order: 'asc',
      });
      expect(ids(ascending.items)).toEqual(ids([activities[3]!, activities[4]!]));
    });

    it('fills an empty feed as complete, and replaces what a fill finds', async ({ skip }) => {
      const cache = timeline(skip);
      const activities = makeActivities(3);
      const first = await cache.beginFill('feed:cached:4');
      expect(await cache.fill('feed:cached:4', first, [], { maxLength: 5 })).toBe(true);
      expect(await cache.readCached('feed:cached:4', { offset: 0, limit: 5 })).toEqual({
        complete: true,
        size: 0,
        items: [],
      });
      await cache.addToCached(['feed:cached:4'], activities.slice(0, 1), { maxLength: 5 });
      const second = await cache.beginFill('feed:cached:4');
      expect(await cache.fill('feed:cached:4', second, activities.slice(1), { maxLength: 5 })).toBe(
        true,
      );
      expect(ids(await cache.get('feed:cached:4', { offset: 0, limit: null }))).toEqual(
        ids(activities.slice(1).reverse()),
      );
    });

    it('spoils a fill when a write or an eviction comes between its start and its end', async ({
      skip,
    }) => {
      const cache = timeline(skip);
      const activities = makeActivities(3);
      const spoiledByWrite = await cache.beginFill('feed:cached:5');
      expect(await cache.addToCached(['feed:cached:5'], activities.slice(2), {})).toBe(0);
      expect(await cache.fill('feed:cached:5', spoiledByWrite, activities.slice(0, 2), {})).toBe(
        false,
      );
      expect((await cache.readCached('feed:cached:5', { offset: 0, limit: 1 })).complete).toBe(
        false,
      );
      expect(await cache.count('feed:cached:5')).toBe(0);
      const spoiledByEviction = await cache.beginFill('feed:cached:5');
      await cache.evict(['feed:cached:5']);
      expect(await cache.fill('feed:cached:5', spoiledByEviction, activities, {})).toBe(false);
      const superseded = await cache.beginFill('feed:cached:5');
      const current = await cache.beginFill('feed:cached:5');
      expect(await cache.fill('feed:cached:5', superseded, activities, {})).toBe(false);
      expect(await cache.fill('feed:cached:5', current, activities, {})).toBe(true);
    });

    it('evicts feeds: entries and completeness together', async ({ skip }) => {
      const cache = timeline(skip);
      const activities = makeActivities(2);
      const keys = Array.from({ length: 130 }, (_, i) => `feed:cached:${100 + i}`);
      for (const key of keys.slice(0, 120)) {
        await cache.fill(key, await cache.beginFill(key), activities.slice(0, 1), {});
      }
      // a fanout over more feeds than one script call takes, some complete and some absent
      expect(await cache.addToCached(keys, activities.slice(1), { maxLength: 10 })).toBe(120);
      expect(await cache.count(keys[0]!)).toBe(2);
      expect(await cache.count(keys[125]!)).toBe(0);
      await cache.evict(keys.slice(0, 60));
      expect(await cache.count(keys[0]!)).toBe(0);
      expect((await cache.readCached(keys[0]!, { offset: 0, limit: 1 })).complete).toBe(false);
      expect((await cache.readCached(keys[60]!, { offset: 0, limit: 1 })).size).toBe(2);
    });
  });
}
