import { describe, expect, it } from 'vitest';
import { AggregatedFeed } from '../aggregated-feed.js';
import { NotificationFeed } from '../notification-feed.js';
import { ids, verbs } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

/** Concurrent writers of one feed: nothing lost or duplicated, counts right, `modify` atomic. */
export function concurrencyTests(ctx: ConformanceContext): void {
  const { makeActivities } = ctx;
  describe('concurrent writers', () => {
    it('loses nothing when writers update the same feed concurrently', async () => {
      const definition = AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage: ctx.storage,
      });
      const activities = makeActivities(40);
      await definition.insertActivities(activities);
      const feed = definition.for(1);
      await Promise.all(
        Array.from({ length: 10 }, (_, w) =>
          definition.for(1).addMany(activities.slice(w * 4, w * 4 + 4)),
        ),
      );
      const [group] = await feed.get();
      expect(await feed.count()).toBe(1);
      expect(group!.activityCount).toBe(40);
      expect(group!.minimizedActivities).toBe(25);
      // writers append in whatever order they got the feed; each kept activity is there once
      expect(new Set(ids(group!.activities)).size).toBe(15);
      expect(ids(group!.activities).every((id) => ids(activities).includes(id))).toBe(true);
    });

    it('counts right under concurrent writers', async () => {
      const definition = NotificationFeed.define({
        name: 'notification',
        keyFormat: 'notification_feed:{userId}',
        storage: ctx.storage,
      });
      const activities = makeActivities(60, (i) => ({ object: i % 3, verb: verbs.Love }));
      await Promise.all(
        Array.from({ length: 6 }, (_, w) =>
          definition.for(9).addMany(activities.filter((_, i) => i % 6 === w)),
        ),
      );
      const read = await definition.for(9).get();
      expect(read.map((a) => a.activityCount).reduce((a, b) => a + b, 0)).toBe(60);
      expect(read).toHaveLength(3);
      expect(await definition.for(9).counts()).toEqual({ unseen: 3, unread: 3 });
    });

    it('modifies one timeline atomically under concurrency', async () => {
      const definition = AggregatedFeed.define({
        name: 'counter',
        keyFormat: 'feed:counter:{userId}',
        storage: ctx.storage,
      });
      const activities = makeActivities(30);
      await definition.insertActivities(activities);
      const timeline = definition.timeline;
      await Promise.all(
        activities.map((activity) =>
          timeline.modify('feed:counter:1', {}, async (read) => {
            const [currentGroup] = await read({ offset: 0, limit: 1 });
            const hydrated = currentGroup
              ? (await definition.hydrate('feed:counter:1', [currentGroup]))[0]!
              : undefined;
            const next = hydrated
              ? hydrated.clone()
              : definition.aggregator.aggregate([activity])[0]!;
            if (hydrated) next.append(activity);
            return { remove: currentGroup ? [currentGroup] : [], add: [next] };
          }),
        ),
      );
      expect(await timeline.count('feed:counter:1')).toBe(1);
      const [group] = await definition.for(1).get();
      expect(group!.activityCount).toBe(30);
    });
  });
}
