import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Activity, NotificationActivity } from '@sf/activity';
import { createAggregator } from '@sf/aggregators';
import { AggregatedFeed } from '../aggregated-feed.js';
import { Feed } from '../feed.js';
import type { FeedUpdate } from '../feed.js';
import { NotificationFeed } from '../notification-feed.js';
import type { NotificationCountsEvent } from '../notification-feed.js';
import type { MarkerEvent, StorageBackend } from '../storage/contracts.js';
import { BASE_TIME, DAY, idSchemeFor, ids, makeActivities as fixtureActivities, makeActivity as fixtureActivity, verbs } from './fixtures.js';
import type { ActivityFixture } from './fixtures.js';
import { activityCollisionTests } from './conformance-collisions.js';

export interface ConformanceBackend {
  backend: StorageBackend;
  /** Removes everything the test wrote (keys, tables, connections). */
  cleanup: () => Promise<void>;
}

export interface ConformanceSuiteOptions {
  /** Shown in the test names, e.g. `redis (cluster)`. */
  name: string;
  /** A fresh, empty backend for each test (e.g. with its own key prefix or keyspace). */
  createBackend: () => Promise<ConformanceBackend>;
  /** How long to wait for cross-process count events (pub/sub), in ms. Default 2000. */
  eventTimeout?: number;
  /** Per-test timeout in ms (default 30000). */
  testTimeout?: number;
}

async function eventually(check: () => boolean, timeout: number): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * The contract every storage backend must meet, exercised through the storage interfaces and
 * through every feed type end to end. Call it in a vitest test file of the backend:
 *
 * ```ts
 * runStorageConformanceSuite({ name: 'memory', createBackend: async () => ({ backend: memoryStorage(), cleanup: async () => {} }) });
 * ```
 */
export function runStorageConformanceSuite(options: ConformanceSuiteOptions): void {
  const eventTimeout = options.eventTimeout ?? 2000;
  const timeout = options.testTimeout ?? 30_000;

  describe(`storage conformance: ${options.name}`, { timeout }, () => {
    let current: ConformanceBackend | undefined;
    let storage: StorageBackend;

    beforeEach(async () => {
      current = await options.createBackend();
      storage = current.backend;
    });

    // Activities with the id scheme the backend's format stores ('stream-framework' ids in the
    // Stream Framework format, the default 'actor' ids otherwise); a fixture may ask for another.
    const makeActivity = (index: number, fixture: ActivityFixture = {}) =>
      fixtureActivity(index, { idScheme: idSchemeFor(storage.format), ...fixture });
    const makeActivities = (count: number, fixture: (index: number) => ActivityFixture = () => ({})) =>
      fixtureActivities(count, (index) => ({ idScheme: idSchemeFor(storage.format), ...fixture(index) }));

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    describe('flat feeds', () => {
      const define = (maxLength = 100, extra: Partial<Parameters<typeof Feed.define>[0]> = {}) =>
        Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', maxLength, storage, ...extra });

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
          extraContext: { itemId: 5, name: 'Surf Girls', tags: ['a', 'b'], score: 1.5, ok: true, none: null, nested: { x: [1, { y: 'z' }] }, unicode: 'café ☃' },
          idScheme: idSchemeFor(storage.format),
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
        expect(await feed.removeMany([activities[2]!.serializationId, BigInt(activities[3]!.serializationId)])).toBe(2);
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
        expect(ids(await feed.filter({ activityIdLte: id(6) }).get({ limit: 2 }))).toEqual([6, 5].map(id));
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
        const [a, b, c, d] = same.map((activity) => activity.serializationId) as [string, string, string, string];
        expect(ids(await feed.get())).toEqual([d, c, b, a]);
        expect(ids(await feed.filter({ activityIdGt: b }).get())).toEqual([d, c]);
        expect(ids(await feed.filter({ activityIdGte: b }).get())).toEqual([d, c, b]);
        expect(ids(await feed.filter({ activityIdLt: c }).get())).toEqual([b, a]);
        expect(ids(await feed.filter({ activityIdLte: c }).get())).toEqual([c, b, a]);
        expect(ids(await feed.filter({ activityIdGt: a, activityIdLt: d }).orderBy('activity_id').get())).toEqual([b, c]);
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
        const other = Feed.define({ name: 'other', keyFormat: 'feed:other:{userId}', storage });
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

      it('skips and reports timeline entries whose activity is missing', async () => {
        if (storage.storesFullActivities) return; // nothing can go missing when timelines hold whole activities
        const missing: string[] = [];
        const definition = define(100, { onMissingActivities: (_key, lost) => missing.push(...lost) });
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
        const definition = Feed.define({ name: 'legacy', keyFormat: 'feed_%(user_id)s', storage });
        expect(definition.keyFor(42)).toBe('feed_42');
        const [activity] = makeActivities(1) as [Activity];
        await definition.insertActivity(activity);
        await definition.for(42).add(activity);
        expect(ids(await definition.for(42).get())).toEqual([activity.serializationId]);
      });
    });

    describe('activity storage', () => {
      it('adds, overwrites, gets and removes many', async () => {
        const activities = storage.activityStorage({ name: 'normal' });
        const [a, b, c] = makeActivities(3) as [Activity, Activity, Activity];
        expect(await activities.addMany([a, b])).toBe(2);
        expect(await activities.addMany([b, c])).toBe(1);
        const found = await activities.getMany([a.serializationId, c.serializationId, '1']);
        expect([...found.keys()].sort()).toEqual([a.serializationId, c.serializationId].sort());
        expect(found.get(c.serializationId)?.objectId).toBe(3);
        expect(await activities.removeMany([a.serializationId, '1'])).toBe(1);
        expect((await activities.getMany([a.serializationId])).size).toBe(0);
        expect((await activities.getMany([])).size).toBe(0);
      });
    });

    describe('activities that differ only by actor', () => {
      activityCollisionTests(() => storage);
    });

    describe('aggregated feeds', () => {
      const define = (options: { maxLength?: number; mergeMaxLength?: number } = {}) =>
        AggregatedFeed.define({ name: 'aggregated', keyFormat: 'feed:aggregated:{userId}', storage, ...options });

      it('groups by verb and day, most recently updated first', async () => {
        const definition = define();
        const loves = makeActivities(3, () => ({ verb: verbs.Love }));
        const comments = makeActivities(2, (i) => ({ verb: verbs.Comment, offset: 10_000 + i * 1000 }));
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
        expect(changed.map((a) => [a.group, ids(a.activities)])).toEqual([['3-2013-07-08', [loves[1]!.serializationId]]]);
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

      it('loses nothing when writers update the same feed concurrently', async () => {
        const definition = define();
        const activities = makeActivities(40);
        await definition.insertActivities(activities);
        const feed = definition.for(1);
        await Promise.all(Array.from({ length: 10 }, (_, w) => definition.for(1).addMany(activities.slice(w * 4, w * 4 + 4))));
        const [group] = await feed.get();
        expect(await feed.count()).toBe(1);
        expect(group!.activityCount).toBe(40);
        expect(group!.minimizedActivities).toBe(25);
        // writers append in whatever order they got the feed; each kept activity is there once
        expect(new Set(ids(group!.activities)).size).toBe(15);
        expect(ids(group!.activities).every((id) => ids(activities).includes(id))).toBe(true);
      });

      it('filters and orders by the aggregated id', async () => {
        const definition = define();
        const days = makeActivities(4, (i) => ({ offset: i * DAY }));
        await definition.insertActivities(days);
        const feed = definition.for(1);
        await feed.addMany(days);
        const all = await feed.get();
        const pivot = all[1]!.serializationId;
        expect((await feed.filter({ activityIdLt: pivot }).get()).map((a) => a.group)).toEqual(all.slice(2).map((a) => a.group));
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
        expect(ids((await definition.for(17).get())[0]!.activities)).toEqual([activities[1]!.serializationId]);
      });

      it('accepts a custom aggregator', async () => {
        const byActor = createAggregator({ getGroup: (activity) => `actor-${activity.actorId}` });
        const definition = AggregatedFeed.define({ name: 'byactor', keyFormat: 'feed:byactor:{userId}', storage, aggregator: byActor });
        const activities = makeActivities(4, (i) => ({ actor: i % 2 }));
        await definition.insertActivities(activities);
        await definition.for(1).addMany(activities);
        expect((await definition.for(1).get()).map((a) => [a.group, a.activities.length])).toEqual([
          ['actor-0', 2],
          ['actor-1', 2],
        ]);
      });
    });

    describe('notification feeds', () => {
      const define = (options: { markersMaxLength?: number } = {}) =>
        NotificationFeed.define({ name: 'notification', keyFormat: 'notification_feed:{userId}', storage, ...options });

      it('stores whole activities grouped by verb, object and day, all unseen and unread', async () => {
        const definition = define();
        const feed = definition.for(21);
        const follows = makeActivities(3, (i) => ({ verb: verbs.Follow, object: 21, actor: 100 + i, extraContext: { n: i } }));
        const loves = makeActivities(2, (i) => ({ verb: verbs.Love, object: 7, actor: i, offset: 60_000 + i }));
        await feed.addMany([...follows, ...loves]);
        const read = await feed.get();
        expect(read.map((a) => a.group)).toEqual(['3-7-2013-07-08', '1-21-2013-07-08']);
        expect(read[0]).toBeInstanceOf(NotificationActivity);
        expect(read[1]!.actorIds).toEqual([101, 102, 103]);
        expect(read[1]!.activities.map((a) => a.extraContext)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
        expect(read.map((a) => [a.isSeen(), a.isRead()])).toEqual([
          [false, false],
          [false, false],
        ]);
        expect(await feed.counts()).toEqual({ unseen: 2, unread: 2 });
        expect(await feed.countUnseen()).toBe(2);
        expect(await feed.countUnread()).toBe(2);
      });

      it('marks one seen, all seen, all read', async () => {
        const definition = define();
        const feed = definition.for(21);
        await feed.addMany(makeActivities(3, (i) => ({ object: i, verb: verbs.Love })));
        const [newest] = await feed.get();
        expect(await feed.markActivity(newest!)).toEqual({ unseen: 2, unread: 3 });
        const [again] = await feed.get({ limit: 1 });
        expect([again!.isSeen(), again!.isRead()]).toEqual([true, false]);
        expect(await feed.markActivity(newest!.serializationId, { read: true })).toEqual({ unseen: 2, unread: 2 });
        expect(await feed.markAll()).toEqual({ unseen: 0, unread: 2 });
        expect(await feed.markAll({ read: true })).toEqual({ unseen: 0, unread: 0 });
        expect((await feed.get()).every((a) => a.isSeen() && a.isRead())).toBe(true);
      });

      it('makes a changed aggregated activity unseen again', async () => {
        const definition = define();
        const feed = definition.for(21);
        await feed.add(makeActivity(1, { verb: verbs.Follow, object: 21 }));
        await feed.markAll({ read: true });
        await feed.add(makeActivity(2, { verb: verbs.Follow, object: 21, offset: 5000 }));
        expect(await feed.counts()).toEqual({ unseen: 1, unread: 1 });
        expect((await feed.get())[0]!.activityCount).toBe(2);
      });

      it('caps the markers at markersMaxLength', async () => {
        const feed = define({ markersMaxLength: 3 }).for(21);
        await feed.addMany(makeActivities(5, (i) => ({ object: i, offset: i * 2000 })));
        expect(await feed.count()).toBe(5);
        expect(await feed.counts()).toEqual({ unseen: 3, unread: 3 });
        const read = await feed.get();
        expect(read.map((a) => a.isSeen())).toEqual([false, false, false, true, true]);
      });

      it('announces counts to local listeners and subscribers', async () => {
        const definition = define();
        const local: NotificationCountsEvent[] = [];
        const remote: NotificationCountsEvent[] = [];
        definition.events.on('update', (event) => local.push(event));
        const unsubscribe = await definition.subscribe((event) => remote.push(event));
        try {
          const feed = definition.for(33);
          await feed.add(makeActivity(1));
          await feed.markAll();
          expect(local.map((e) => [e.userId, e.unseen, e.unread])).toEqual([
            ['33', 1, 1],
            ['33', 0, 1],
          ]);
          await eventually(() => remote.length >= 2, eventTimeout);
          expect(remote.map((e) => [e.userId, e.key, e.unseen, e.unread])).toEqual([
            ['33', 'notification_feed:33', 1, 1],
            ['33', 'notification_feed:33', 0, 1],
          ]);
        } finally {
          await unsubscribe();
        }
      });

      it('deletes the feed with its markers', async () => {
        const feed = define().for(21);
        await feed.addMany(makeActivities(2, (i) => ({ object: i })));
        await feed.delete();
        expect(await feed.count()).toBe(0);
        expect(await feed.counts()).toEqual({ unseen: 0, unread: 0 });
      });

      it('counts right under concurrent writers', async () => {
        const definition = define();
        const activities = makeActivities(60, (i) => ({ object: i % 3, verb: verbs.Love }));
        await Promise.all(Array.from({ length: 6 }, (_, w) => definition.for(9).addMany(activities.filter((_, i) => i % 6 === w))));
        const read = await definition.for(9).get();
        expect(read.map((a) => a.activityCount).reduce((a, b) => a + b, 0)).toBe(60);
        expect(read).toHaveLength(3);
        expect(await definition.for(9).counts()).toEqual({ unseen: 3, unread: 3 });
      });
    });

    describe('marker storage', () => {
      it('removes, clears, then adds without duplicates, capped', async () => {
        const markers = storage.markerStorage({ name: 'notification' });
        const key = 'notification_feed:77';
        expect(await markers.update(key, { add: { unseen: ['1', '2', '3'], unread: ['1', '2'] } }, 4)).toEqual({ unseen: 3, unread: 2 });
        expect(await markers.update(key, { add: { unseen: ['1', '4', '5'] } }, 4)).toEqual({ unseen: 4, unread: 2 });
        expect(await markers.get(key)).toEqual({ unseen: ['2', '3', '1', '4', '5'].slice(1), unread: ['1', '2'] });
        expect(await markers.update(key, { remove: { unseen: ['3', '9'] }, clear: { unread: true } }, 4)).toEqual({ unseen: 3, unread: 0 });
        expect(await markers.counts(key)).toEqual({ unseen: 3, unread: 0 });
        const events: MarkerEvent[] = [];
        const unsubscribe = await markers.subscribe((event) => events.push(event));
        try {
          await markers.update(key, { add: { unread: ['8'] } }, 4);
          await eventually(() => events.some((e) => e.key === key && e.unread === 1), eventTimeout);
        } finally {
          await unsubscribe();
        }
        await markers.delete(key);
        expect(await markers.get(key)).toEqual({ unseen: [], unread: [] });
      });
    });

    describe('timeline storage', () => {
      it('modifies one timeline atomically under concurrency', async () => {
        const definition = AggregatedFeed.define({ name: 'counter', keyFormat: 'feed:counter:{userId}', storage });
        const activities = makeActivities(30);
        await definition.insertActivities(activities);
        const timeline = definition.timeline;
        await Promise.all(
          activities.map((activity) =>
            timeline.modify('feed:counter:1', {}, async (read) => {
              const [currentGroup] = await read({ offset: 0, limit: 1 });
              const hydrated = currentGroup ? (await definition.hydrate('feed:counter:1', [currentGroup]))[0]! : undefined;
              const next = hydrated ? hydrated.clone() : definition.aggregator.aggregate([activity])[0]!;
              if (hydrated) next.append(activity);
              return { remove: currentGroup ? [currentGroup] : [], add: [next] };
            }),
          ),
        );
        expect(await timeline.count('feed:counter:1')).toBe(1);
        const [group] = await definition.for(1).get();
        expect(group!.activityCount).toBe(30);
      });

      it('adds to many keys and removes ids from many keys', async () => {
        const definition = Feed.define({ name: 'batch', keyFormat: 'feed:batch:{userId}', storage });
        const activities = makeActivities(3);
        const keys = ['feed:batch:1', 'feed:batch:2'];
        expect(await definition.timeline.addToMany(keys, activities, { maxLength: 2 })).toBe(6);
        expect(await definition.timeline.count('feed:batch:1')).toBe(2);
        expect(await definition.timeline.removeIdsFromMany(keys, [activities[2]!.serializationId])).toBe(2);
        expect(await definition.timeline.count('feed:batch:2')).toBe(1);
        expect(await definition.timeline.indexOf('feed:batch:2', activities[1]!.serializationId)).toBe(0);
      });
    });
  });
}
