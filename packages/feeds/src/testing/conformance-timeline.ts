import { describe, expect, it } from 'vitest';
import { Activity } from '@sf/activity';
import { Feed } from '../feed.js';
import type { FeedUpdate } from '../feed.js';
import { BASE_TIME, idSchemeFor, ids, verbs } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

/** Flat feeds end to end, and the batch interface of the timeline storage. */
export function timelineTests(ctx: ConformanceContext): void {
  const { makeActivity, makeActivities } = ctx;
  describe('flat feeds', () => {
    const define = (maxLength = 100, extra: Partial<Parameters<typeof Feed.define>[0]> = {}) =>
      Feed.define({
        name: 'normal',
        keyFormat: 'feed:normal:{userId}',
        maxLength,
        storage: ctx.storage,
        ...extra,
      });

    async function seeded(count: number, maxLength = 100) {
      const definition = define(maxLength);
      const activities = makeActivities(count);
      await definition.insertActivities(activities);
      const feed = definition.for(21);
      await feed.addMany(activities);
      return { definition, feed, activities };
    }

    it('returns activities newest first, paged like feed[a:b]', async () => {
      const { feed, activities } = await seeded(10);
      const newestFirst = ids([...activities].reverse());
      expect(ids(await feed.get())).toEqual(newestFirst);
      expect(ids(await feed.get({ limit: 3 }))).toEqual(newestFirst.slice(0, 3));
      expect(ids(await feed.get({ offset: 2, limit: 3 }))).toEqual(newestFirst.slice(2, 5));
      expect(ids(await feed.slice(8))).toEqual(newestFirst.slice(8));
      expect(ids(await feed.slice(4, 6))).toEqual(newestFirst.slice(4, 6));
      expect(await feed.slice(3, 3)).toEqual([]);
      expect(await feed.get({ offset: 10, limit: 5 })).toEqual([]);
      expect((await feed.at(0))?.serializationId).toBe(newestFirst[0]);
      expect(await feed.at(10)).toBeUndefined();
      expect(await feed.count()).toBe(10);
    });

    it('hydrates every field of the activity', async () => {
      const definition = define();
      const activity = new Activity({
        actor: 13,
        verb: verbs.Add,
        object: 42,
        target: 7,
        time: BASE_TIME + 123,
        extraContext: {
          itemId: 5,
          name: 'Surf Girls',
          tags: ['a', 'b'],
          score: 1.5,
          ok: true,
          none: null,
          nested: { x: [1, { y: 'z' }] },
          unicode: 'café ☃',
        },
        idScheme: idSchemeFor(ctx.storage.format),
      });
      await definition.insertActivity(activity);
      await definition.for(1).add(activity);
      const [read] = await definition.for(1).get();
      expect(read).toBeInstanceOf(Activity);
      expect(read!.serializationId).toBe(activity.serializationId);
      expect(read!.actorId).toBe(13);
      expect(read!.verb.id).toBe(verbs.Add.id);
      expect(read!.objectId).toBe(42);
      expect(read!.targetId).toBe(7);
      expect(read!.time.toISOString()).toBe('2013-07-08T06:59:15.123Z');
      expect(read!.extraContext).toEqual(activity.extraContext);
    });

    it('keeps activities unique by serialization id', async () => {
      const { feed, activities } = await seeded(3);
      expect(await feed.add(activities[0]!)).toBe(0);
      expect(await feed.addMany(activities)).toBe(0);
      expect(await feed.count()).toBe(3);
      const twin = makeActivity(1, { extraContext: { twin: true } }); // same time, object, verb and actor: same id
      expect(twin.serializationId).toBe(activities[0]!.serializationId);
      expect(await feed.add(twin)).toBe(0);
      expect(await feed.count()).toBe(3);
    });

    it('trims to maxLength on every write, keeping the newest', async () => {
      const { feed, activities } = await seeded(8, 5);
      expect(await feed.count()).toBe(5);
      expect(ids(await feed.get())).toEqual(ids(activities.slice(3).reverse()));
      // an activity older than everything kept is trimmed away at once
      const old = makeActivity(0, { offset: -5000 });
      await feed.definition.insertActivity(old);
      await feed.add(old);
      expect(await feed.count()).toBe(5);
      expect(await feed.contains(old)).toBe(false);
    });

    it('writes without trimming when asked, and trims on demand', async () => {
      const definition = define(5);
      const activities = makeActivities(8);
      await definition.insertActivities(activities);
      const feed = definition.for(3);
      expect(await feed.addMany(activities, { trim: false })).toBe(8);
      expect(await feed.count()).toBe(8);
      await feed.trim(3);
      expect(ids(await feed.get())).toEqual(ids(activities.slice(5).reverse()));
      await feed.trim();
      expect(await feed.count()).toBe(3);
    });

    it('removes by activity or by id', async () => {
      const { feed, activities } = await seeded(5);
      expect(await feed.remove(activities[1]!)).toBe(1);
      expect(
        await feed.removeMany([
          activities[2]!.serializationId,
          BigInt(activities[3]!.serializationId),
        ]),
      ).toBe(2);
      expect(await feed.remove(activities[1]!)).toBe(0);
      expect(ids(await feed.get())).toEqual(ids([activities[4]!, activities[0]!]));
      expect(await feed.count()).toBe(2);
    });

    it('filters by id, combined with paging and ordering, without changing the original', async () => {
      const { feed, activities } = await seeded(10);
      const id = (n: number) => activities[n - 1]!.serializationId;
      const older = feed.filter({ activityIdLt: id(6) });
      expect(ids(await older.get())).toEqual([5, 4, 3, 2, 1].map(id));
      expect(ids(await older.get({ limit: 2 }))).toEqual([5, 4].map(id));
      expect(ids(await older.get({ offset: 2, limit: 2 }))).toEqual([3, 2].map(id));
      expect(ids(await older.get())).toEqual([5, 4, 3, 2, 1].map(id)); // filters are not consumed
      expect(ids(await feed.filter({ activityIdLte: id(6) }).get({ limit: 2 }))).toEqual(
        [6, 5].map(id),
      );
      expect(ids(await feed.filter({ activityIdGt: id(8) }).get())).toEqual([10, 9].map(id));
      expect(ids(await feed.filter({ activityIdGte: id(8) }).get())).toEqual([10, 9, 8].map(id));
      const between = feed.filter({ activityIdGte: id(3) }).filter({ activityIdLt: id(7) });
      expect(ids(await between.get())).toEqual([6, 5, 4, 3].map(id));
      const ascending = between.orderBy('activity_id');
      expect(ids(await ascending.get())).toEqual([3, 4, 5, 6].map(id));
      expect(ids(await ascending.get({ offset: 1, limit: 2 }))).toEqual([4, 5].map(id));
      expect(ids(await ascending.orderBy('-activity_id').get({ limit: 1 }))).toEqual([id(6)]);
      expect(ids(await feed.orderBy('activity_id').get({ limit: 3 }))).toEqual([1, 2, 3].map(id));
      expect(ids(await feed.filter({ activityIdGt: id(10) }).get())).toEqual([]);
      expect(await feed.count()).toBe(10);
      expect(ids(await feed.get({ limit: 1 }))).toEqual([id(10)]); // the original is unfiltered
    });

    it('filters and orders exactly when ids differ only in the last digits', async () => {
      const definition = define();
      // Same millisecond: ids differ only in object and verb digits, beyond a double's precision.
      const same = [
        makeActivity(1, { offset: 0, object: 1, verb: verbs.Follow }),
        makeActivity(2, { offset: 0, object: 1, verb: verbs.Comment }),
        makeActivity(3, { offset: 0, object: 1, verb: verbs.Love }),
        makeActivity(4, { offset: 0, object: 2, verb: verbs.Follow }),
      ];
      await definition.insertActivities(same);
      const feed = definition.for(8);
      await feed.addMany(same);
      const [a, b, c, d] = same.map((activity) => activity.serializationId) as [
        string,
        string,
        string,
        string,
      ];
      expect(ids(await feed.get())).toEqual([d, c, b, a]);
      expect(ids(await feed.filter({ activityIdGt: b }).get())).toEqual([d, c]);
      expect(ids(await feed.filter({ activityIdGte: b }).get())).toEqual([d, c, b]);
      expect(ids(await feed.filter({ activityIdLt: c }).get())).toEqual([b, a]);
      expect(ids(await feed.filter({ activityIdLte: c }).get())).toEqual([c, b, a]);
      expect(
        ids(await feed.filter({ activityIdGt: a, activityIdLt: d }).orderBy('activity_id').get()),
      ).toEqual([b, c]);
      expect(await feed.indexOf(b)).toBe(2);
    });

    it('finds positions newest first, and -1 when absent', async () => {
      const { feed, activities } = await seeded(4);
      expect(await feed.indexOf(activities[3]!)).toBe(0);
      expect(await feed.indexOf(activities[0]!.serializationId)).toBe(3);
      expect(await feed.indexOf(makeActivity(99))).toBe(-1);
      expect(await feed.contains(activities[2]!)).toBe(true);
      expect(await feed.contains(makeActivity(99))).toBe(false);
    });

    it('deletes a feed and leaves the others alone', async () => {
      const { definition, feed, activities } = await seeded(3);
      await definition.for(22).addMany(activities);
      await feed.delete();
      expect(await feed.count()).toBe(0);
      expect(await feed.get()).toEqual([]);
      expect(await definition.for(22).count()).toBe(3);
      const other = Feed.define({
        name: 'other',
        keyFormat: 'feed:other:{userId}',
        storage: ctx.storage,
      });
      expect(await other.for(22).count()).toBe(0);
    });

    it('reads empty feeds as empty', async () => {
      const feed = define().for(404);
      expect(await feed.get()).toEqual([]);
      expect(await feed.count()).toBe(0);
      expect(await feed.indexOf(makeActivity(1))).toBe(-1);
      expect(await feed.remove(makeActivity(1))).toBe(0);
      await feed.trim(1);
      await feed.delete();
    });

    it('writes a chunk of feeds through the batch interface', async () => {
      const definition = define(3);
      const activities = makeActivities(4);
      await definition.insertActivities(activities);
      const users = Array.from({ length: 60 }, (_, i) => i + 1);
      expect(await definition.addToMany(users, activities.slice(0, 2))).toBe(120);
      expect(await definition.addToMany(users, activities.slice(0, 2))).toBe(0);
      await definition.addToMany(users, activities.slice(2));
      for (const user of [1, 30, 60]) {
        expect(ids(await definition.for(user).get())).toEqual(ids(activities.slice(1).reverse()));
      }
      expect(await definition.removeFromMany(users, [activities[3]!])).toBe(60);
      expect(ids(await definition.for(45).get())).toEqual(ids([activities[2]!, activities[1]!]));
      expect(await definition.addToMany([], activities)).toBe(0);
    });

    it('skips and reports timeline entries whose activity is missing (needs capabilities.storesFullActivities false)', async ({
      skip,
    }) => {
      skip(
        ctx.storage.capabilities.storesFullActivities,
        'capabilities.storesFullActivities: timelines hold whole activities, none can go missing',
      );
      const missing: string[] = [];
      const definition = define(100, {
        onMissingActivities: (_key, lost) => missing.push(...lost),
      });
      const activities = makeActivities(3);
      await definition.insertActivities(activities);
      await definition.for(5).addMany(activities);
      expect(await definition.removeActivity(activities[1]!)).toBe(1);
      expect(ids(await definition.for(5).get())).toEqual(ids([activities[2]!, activities[0]!]));
      expect(missing).toEqual([activities[1]!.serializationId]);
      expect(await definition.for(5).count()).toBe(3);
    });

    it('calls onUpdateFeed with what changed', async () => {
      const updates: FeedUpdate[] = [];
      const definition = define(100, { onUpdateFeed: (update) => void updates.push(update) });
      const [first, second] = makeActivities(2) as [Activity, Activity];
      await definition.insertActivities([first, second]);
      await definition.for(7).add(first);
      await definition.for(7).remove(first);
      await definition.addToMany([8, 9], [second]);
      expect(updates.map((u) => [u.feedKey, ids(u.added), u.removed])).toEqual([
        ['feed:normal:7', [first.serializationId], []],
        ['feed:normal:7', [], [first.serializationId]],
        ['feed:normal:8', [second.serializationId], []],
        ['feed:normal:9', [second.serializationId], []],
      ]);
    });

    it('supports Stream Framework key formats', async () => {
      const definition = Feed.define({
        name: 'legacy',
        keyFormat: 'feed_%(user_id)s',
        storage: ctx.storage,
      });
      expect(definition.keyFor(42)).toBe('feed_42');
      const [activity] = makeActivities(1) as [Activity];
      await definition.insertActivity(activity);
      await definition.for(42).add(activity);
      expect(ids(await definition.for(42).get())).toEqual([activity.serializationId]);
    });
  });

  describe('timeline storage', () => {
    it('adds to many keys and removes ids from many keys', async () => {
      const definition = Feed.define({
        name: 'batch',
        keyFormat: 'feed:batch:{userId}',
        storage: ctx.storage,
      });
      const activities = makeActivities(3);
      const keys = ['feed:batch:1', 'feed:batch:2'];
      expect(await definition.timeline.addToMany(keys, activities, { maxLength: 2 })).toBe(6);
      expect(await definition.timeline.count('feed:batch:1')).toBe(2);
      expect(
        await definition.timeline.removeIdsFromMany(keys, [activities[2]!.serializationId]),
      ).toBe(2);
      expect(await definition.timeline.count('feed:batch:2')).toBe(1);
      expect(
        await definition.timeline.indexOf('feed:batch:2', activities[1]!.serializationId),
      ).toBe(0);
    });
  });
}
