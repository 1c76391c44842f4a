import { describe, expect, it } from 'vitest';
import type { Activity } from '@sf/activity';
import { createAggregator } from '@sf/aggregators';
import { AggregatedFeed } from '../aggregated-feed.js';
import { DAY, ids, verbs } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

/** Aggregated feeds end to end: grouping, merging, removal, trimming, ordering, fanout. */
export function aggregatedTests(ctx: ConformanceContext): void {
  const { makeActivity, makeActivities } = ctx;
  describe('aggregated feeds', () => {
    const define = (options: { maxLength?: number; mergeMaxLength?: number } = {}) =>
      AggregatedFeed.define({
        name: 'aggregated',
        keyFormat: 'feed:aggregated:{userId}',
        storage: ctx.storage,
        ...options,
      });

    it('groups by verb and day, most recently updated first', async () => {
      const definition = define();
      const loves = makeActivities(3, () => ({ verb: verbs.Love }));
      const comments = makeActivities(2, (i) => ({
        verb: verbs.Comment,
        offset: 10_000 + i * 1000,
      }));
      const tomorrow = makeActivities(1, () => ({ verb: verbs.Love, offset: DAY }));
      const all = [...loves, ...comments, ...tomorrow];
      await definition.insertActivities(all);
      const feed = definition.for(21);
      const result = await feed.addMany(all);
      expect(result.map((a) => a.group)).toEqual(['3-2013-07-09', '2-2013-07-08', '3-2013-07-08']);
      const read = await feed.get();
      expect(read.map((a) => a.group)).toEqual(['3-2013-07-09', '2-2013-07-08', '3-2013-07-08']);
      const [, commented, loved] = read as [unknown, (typeof read)[number], (typeof read)[number]];
      expect(ids(loved.activities)).toEqual(ids(loves));
      expect(ids(commented.activities)).toEqual(ids(comments));
      expect(loved.activityCount).toBe(3);
      expect(loved.actorIds).toEqual([1, 2, 3]);
      expect(loved.createdAt?.getTime()).toBe(loves[0]!.time.getTime());
      expect(loved.updatedAt?.getTime()).toBe(loves[2]!.time.getTime());
      expect(await feed.count()).toBe(3);
    });

    it('merges new activities into their existing group', async () => {
      const definition = define();
      const [first, second, third] = makeActivities(3) as [Activity, Activity, Activity];
      await definition.insertActivities([first, second, third]);
      const feed = definition.for(1);
      await feed.addMany([first, second]);
      const changed = await feed.add(third);
      expect(changed).toHaveLength(1);
      expect(ids(changed[0]!.activities)).toEqual(ids([first, second, third]));
      expect(await feed.count()).toBe(1);
      const [group] = await feed.get();
      expect(ids(group!.activities)).toEqual(ids([first, second, third]));
      expect(await feed.add(second)).toEqual([]);
      expect(await feed.count()).toBe(1);
    });

    it('keeps 15 activities per group and counts the rest', async () => {
      const definition = define();
      const activities = makeActivities(20);
      await definition.insertActivities(activities);
      const feed = definition.for(1);
      await feed.addMany(activities.slice(0, 10));
      await feed.addMany(activities.slice(10));
      const [group] = await feed.get();
      expect(group!.activities).toHaveLength(15);
      expect(ids(group!.activities)).toEqual(ids(activities.slice(5)));
      expect(group!.minimizedActivities).toBe(5);
      expect(group!.activityCount).toBe(20);
      expect(group!.actorCount).toBe(20);
    });

    it('removes activities, deleting groups left empty', async () => {
      const definition = define();
      const loves = makeActivities(2);
      const follow = makeActivity(3, { verb: verbs.Follow });
      await definition.insertActivities([...loves, follow]);
      const feed = definition.for(1);
      await feed.addMany([...loves, follow]);
      const changed = await feed.remove(loves[0]!);
      expect(changed.map((a) => [a.group, ids(a.activities)])).toEqual([
        ['3-2013-07-08', [loves[1]!.serializationId]],
      ]);
      expect(await feed.remove(follow.serializationId)).toEqual([]);
      const read = await feed.get();
      expect(read.map((a) => a.group)).toEqual(['3-2013-07-08']);
      expect(ids(read[0]!.activities)).toEqual([loves[1]!.serializationId]);
      expect(await feed.count()).toBe(1);
    });

    it('does not duplicate a group that fell out of the merge window', async () => {
      const definition = define({ mergeMaxLength: 20, maxLength: 100 });
      const days = makeActivities(25, (i) => ({ offset: i * DAY }));
      await definition.insertActivities(days);
      const feed = definition.for(1);
      await feed.addMany(days);
      expect(await feed.count()).toBe(25);
      const late = makeActivity(100, { offset: DAY + 5000 }); // same day as the oldest group
      await definition.insertActivity(late);
      await feed.add(late);
      expect(await feed.count()).toBe(25);
      const groups = (await feed.get()).map((a) => a.group);
      expect(new Set(groups).size).toBe(25);
      expect(groups.at(-1)).toBe('3-2013-07-09');
      expect((await feed.get()).at(-1)!.activityCount).toBe(2);
    });

    it('trims to maxLength aggregated activities', async () => {
      const definition = define({ maxLength: 5 });
      const days = makeActivities(8, (i) => ({ offset: i * DAY }));
      await definition.insertActivities(days);
      const feed = definition.for(1);
      await feed.addMany(days);
      expect(await feed.count()).toBe(5);
      expect((await feed.get())[4]!.group).toBe('3-2013-07-12');
    });

    it('filters and orders by the aggregated id', async () => {
      const definition = define();
      const days = makeActivities(4, (i) => ({ offset: i * DAY }));
      await definition.insertActivities(days);
      const feed = definition.for(1);
      await feed.addMany(days);
      const all = await feed.get();
      const pivot = all[1]!.serializationId;
      expect((await feed.filter({ activityIdLt: pivot }).get()).map((a) => a.group)).toEqual(
        all.slice(2).map((a) => a.group),
      );
      expect((await feed.orderBy('activity_id').get({ limit: 1 }))[0]!.group).toBe(all[3]!.group);
      expect(await feed.indexOf(pivot)).toBe(1);
    });

    it('fans out to many aggregated feeds', async () => {
      const definition = define();
      const activities = makeActivities(2);
      await definition.insertActivities(activities);
      const users = Array.from({ length: 30 }, (_, i) => i + 1);
      expect(await definition.addToMany(users, activities)).toBe(30);
      expect(ids((await definition.for(17).get())[0]!.activities)).toEqual(ids(activities));
      expect(await definition.removeFromMany(users, [activities[0]!])).toBe(30);
      expect(ids((await definition.for(17).get())[0]!.activities)).toEqual([
        activities[1]!.serializationId,
      ]);
    });

    it('orders aggregated activities of equal id by group, also when one group is a prefix of another', async () => {
      // Groups whose next byte sorts below each format's separator ('"' in JSON, ';' in the Stream
      // Framework format): ordered by stored member they would not come by group.
      const groups = ['g', 'g 1', 'g!', 'g-1', 'g1', 'gb'];
      const byObject = createAggregator({
        getGroup: (activity) => groups[Number(activity.objectId) - 1]!,
      });
      const definition = AggregatedFeed.define({
        name: 'ties',
        keyFormat: 'feed:ties:{userId}',
        storage: ctx.storage,
        aggregator: byObject,
      });
      const activities = makeActivities(groups.length, () => ({ offset: 0 })); // one millisecond: one id
      await definition.insertActivities(activities);
      const feed = definition.for(1);
      await feed.addMany(activities);
      const read = await feed.get();
      expect(new Set(read.map((a) => a.serializationId)).size).toBe(1);
      const newestFirst = ['gb', 'g1', 'g-1', 'g!', 'g 1', 'g'];
      expect(read.map((a) => a.group)).toEqual(newestFirst);
      for (const [offset, limit] of [
        [0, 2],
        [1, 2],
        [3, 2],
        [4, 5],
        [5, 1],
      ] as const) {
        expect((await feed.get({ offset, limit })).map((a) => a.group)).toEqual(
          newestFirst.slice(offset, offset + limit),
        );
      }
      const ascending = feed.orderBy('activity_id');
      expect((await ascending.get()).map((a) => a.group)).toEqual([...newestFirst].reverse());
      expect((await ascending.get({ offset: 1, limit: 3 })).map((a) => a.group)).toEqual([
        'g 1',
        'g!',
        'g-1',
      ]);
      const filtered = feed.filter({ activityIdGte: read[0]!.serializationId });
      expect((await filtered.get({ offset: 2, limit: 2 })).map((a) => a.group)).toEqual([
        'g-1',
        'g!',
      ]);
    });

    it('accepts a custom aggregator', async () => {
      const byActor = createAggregator({ getGroup: (activity) => `actor-${activity.actorId}` });
      const definition = AggregatedFeed.define({
        name: 'byactor',
        keyFormat: 'feed:byactor:{userId}',
        storage: ctx.storage,
        aggregator: byActor,
      });
      const activities = makeActivities(4, (i) => ({ actor: i % 2 }));
      await definition.insertActivities(activities);
      await definition.for(1).addMany(activities);
      expect((await definition.for(1).get()).map((a) => [a.group, a.activities.length])).toEqual([
        ['actor-0', 2],
        ['actor-1', 2],
      ]);
    });
  });
}
