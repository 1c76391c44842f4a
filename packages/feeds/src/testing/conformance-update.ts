import { describe, expect, it } from 'vitest';
import { ActivityConflictError, ActivityNotFoundError } from '@sf/activity';
import type { Activity, AggregatedActivity } from '@sf/activity';
import { AggregatedFeed } from '../aggregated-feed.js';
import { Feed } from '../feed.js';
import { NotificationFeed } from '../notification-feed.js';
import { updateStoredActivities } from '../backend/activity-update.js';
import { ids, verbs } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

/** The same activity (same serialization id) with other extraContext: an edit. */
function edited(activity: Activity, extraContext: Record<string, unknown>): Activity {
  return activity.withExtraContext(extraContext);
}

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
}

const contexts = (activities: readonly Activity[]) => activities.map((a) => a.extraContext);

/**
 * Issue 16 part 1, update in place: an activity changes once (same serialization id, new
 * extraContext) and every feed holding it shows the new version, flat, aggregated and
 * notification, in the same position; nothing is created by an update. Feeds holding ids need
 * only the activity storage's `updateMany`; feeds holding copies (`holdsActivityCopies`) get the
 * new version through `replaceInMany`. A batch holding an activity that is not stored (or is
 * another actor's) updates nothing: it throws, naming the id.
 */
export function updateTests(ctx: ConformanceContext): void {
  const { makeActivities } = ctx;
  const makeActivity: ConformanceContext['makeActivity'] = (index, fixture) =>
    ctx.makeActivity(index, fixture);
  describe('update in place', () => {
    it('activity storage: updateMany overwrites stored activities only, all or none', async ({
      skip,
    }) => {
      const storage = ctx.storage.activityStorage({ name: 'normal' });
      skip(
        storage.updateMany === undefined,
        'no ActivityStorage.updateMany: feeds use the getMany + addMany fallback',
      );
      const [a, b, c] = makeActivities(3, () => ({ extraContext: { title: 'old' } })) as [
        Activity,
        Activity,
        Activity,
      ];
      await storage.addMany([a, b]);
      const newA = edited(a, { title: 'new', likes: 3 });
      const newB = edited(b, { title: 'b2' });
      expect(newA.serializationId).toBe(a.serializationId);
      expect(await storage.updateMany!([newA, newB])).toBe(2);
      let found = await storage.getMany(ids([a, b, c]));
      expect(found.get(a.serializationId)?.extraContext).toEqual({ title: 'new', likes: 3 });
      expect(found.get(b.serializationId)?.extraContext).toEqual({ title: 'b2' });
      expect(found.has(c.serializationId)).toBe(false);

      // One missing activity: nothing of the batch is stored, and the error names it.
      const error = await refusal(
        storage.updateMany!([edited(a, { title: 'lost' }), edited(c, { title: 'created?' })]),
      );
      expect(error).toBeInstanceOf(ActivityNotFoundError);
      expect(error).toMatchObject({ activityId: c.serializationId });
      found = await storage.getMany(ids([a, c]));
      expect(found.get(a.serializationId)?.extraContext).toEqual({ title: 'new', likes: 3 });
      expect(found.has(c.serializationId)).toBe(false);
      await expect(storage.updateMany!([])).resolves.toBe(0);
    });

    it("activity storage: an update never overwrites another actor's activity", async () => {
      const storage = ctx.storage.activityStorage({ name: 'normal' });
      const love = (actor: number, extraContext: Record<string, unknown>) =>
        makeActivity(1, {
          actor,
          object: 5,
          verb: verbs.Love,
          offset: 0,
          idScheme: 'stream-framework',
          extraContext,
        });
      const other = makeActivity(2, { idScheme: 'stream-framework', extraContext: { n: 1 } });
      await storage.addMany([love(1, { n: 1 }), other]);
      const error = await refusal(
        updateStoredActivities(storage, [edited(other, { n: 2 }), love(2, { n: 2 })]),
      );
      expect(error).toBeInstanceOf(ActivityConflictError);
      const found = await storage.getMany(ids([other, love(1, {})]));
      expect(found.get(other.serializationId)?.extraContext).toEqual({ n: 1 });
      expect(found.get(love(1, {}).serializationId)?.actorId).toBe(1);
    });

    it('flat feeds show the new version in place; feeds without it get nothing', async () => {
      const definition = Feed.define({
        name: 'updates',
        keyFormat: 'feed:updates:{userId}',
        storage: ctx.storage,
      });
      const [a, b, c] = makeActivities(3, (i) => ({ extraContext: { title: `pin ${i}` } })) as [
        Activity,
        Activity,
        Activity,
      ];
      await definition.insertActivities([a, b, c]);
      await definition.addToMany([1, 2], [a, b, c]);
      await definition.for(3).addMany([a, c]);
      const before = await definition.for(1).get();
      const newB = edited(b, { title: 'renamed', likes: 7 });
      await definition.updateActivities([newB]);
      const replaced = await definition.replaceInMany([1, 2, 3], [newB]);
      expect(replaced).toBe(definition.holdsActivityCopies ? 2 : 0);
      for (const userId of [1, 2]) {
        const feed = definition.for(userId);
        const read = await feed.get();
        expect(ids(read)).toEqual(ids(before));
        expect(contexts(read)).toEqual([
          { title: 'pin 3' },
          { title: 'renamed', likes: 7 },
          { title: 'pin 1' },
        ]);
        expect(await feed.count()).toBe(3);
        expect(await feed.indexOf(b)).toBe(1);
        // It serializes as an activity made with the new fields would (both formats).
        const serializer = definition.format.activitySerializer();
        expect(serializer.dumps(read[1]!)).toBe(serializer.dumps(newB));
      }
      expect(ids(await definition.for(3).get())).toEqual(ids([c, a]));
      expect(await definition.for(3).count()).toBe(2);
      expect(await definition.for(4).count()).toBe(0);
    });

    it('flat feeds: updating an activity that is not stored fails and changes nothing', async () => {
      const definition = Feed.define({
        name: 'updates',
        keyFormat: 'feed:updates:{userId}',
        storage: ctx.storage,
      });
      const [a, b] = makeActivities(2) as [Activity, Activity];
      await definition.insertActivities([a]);
      await definition.for(1).add(a);
      if (definition.activityStorage) {
        const error = await refusal(
          definition.updateActivities([edited(a, { x: 1 }), edited(b, { x: 1 })]),
        );
        expect(error).toBeInstanceOf(ActivityNotFoundError);
        expect((await definition.activityStorage.getMany(ids([b]))).size).toBe(0);
      }
      expect(await definition.replaceInMany([1, 2], [edited(b, { x: 1 })])).toBe(0);
      const read = await definition.for(1).get();
      expect(ids(read)).toEqual(ids([a]));
      expect(read[0]!.extraContext).toEqual({});
      expect(await definition.for(2).count()).toBe(0);
    });

    it('aggregated feeds show the new version in its group, same id and position', async () => {
      const definition = AggregatedFeed.define({
        name: 'aggregated_updates',
        keyFormat: 'feed:aggregated_updates:{userId}',
        storage: ctx.storage,
      });
      const loves = makeActivities(3, (i) => ({ verb: verbs.Love, extraContext: { n: i } }));
      const comment = makeActivity(4, { verb: verbs.Comment, extraContext: { n: 4 } });
      await definition.insertActivities([...loves, comment]);
      await definition.addToMany([1, 2], [...loves, comment]);
      const before = await definition.for(1).get();
      const newLove = edited(loves[1]!, { n: 20, title: 'edited' });
      await definition.updateActivities([newLove]);
      await definition.replaceInMany([1, 2, 3], [newLove]);
      for (const userId of [1, 2]) {
        const read = await definition.for(userId).get();
        expect(ids(read)).toEqual(ids(before));
        expect(read.map((item) => item.group)).toEqual(before.map((item) => item.group));
        const group = read.find((item) => item.group === before[1]!.group) as AggregatedActivity;
        expect(ids(group.activities)).toEqual(ids(loves));
        expect(contexts(group.activities)).toEqual([
          { n: 1 },
          { n: 20, title: 'edited' },
          { n: 3 },
        ]);
        expect(group.updatedAt?.getTime()).toBe(before[1]!.updatedAt?.getTime());
        expect(await definition.for(userId).count()).toBe(2);
      }
      expect(await definition.for(3).count()).toBe(0);
    });

    it('notification feeds show the new version; markers and counts are unchanged', async () => {
      const definition = NotificationFeed.define({
        name: 'notification_updates',
        keyFormat: 'notification_feed_updates:{userId}',
        storage: ctx.storage,
      });
      const follows = makeActivities(3, (i) => ({
        verb: verbs.Follow,
        object: 21,
        actor: 100 + i,
        extraContext: { n: i },
      }));
      const love = makeActivity(9, { verb: verbs.Love, object: 7, extraContext: { n: 9 } });
      const feed = definition.for(21);
      await feed.addMany([...follows, love]);
      const [newest] = await feed.get();
      await feed.markActivity(newest!);
      const counts = await feed.counts();
      const before = await feed.get();
      const newFollow = edited(follows[2]!, { n: 30, name: 'Ann' });
      expect(await definition.replaceInMany([21, 22], [newFollow])).toBe(1);
      const read = await feed.get();
      expect(ids(read)).toEqual(ids(before));
      expect(read.map((item) => [item.group, item.isSeen(), item.isRead()])).toEqual(
        before.map((item) => [item.group, item.isSeen(), item.isRead()]),
      );
      const group = read.find((item) => item.activities.some((a) => a.verb.id === verbs.Follow.id));
      expect(contexts(group!.activities)).toEqual([{ n: 1 }, { n: 2 }, { n: 30, name: 'Ann' }]);
      expect(await feed.counts()).toEqual(counts);
      expect(await feed.count()).toBe(2);
      expect(await definition.for(22).count()).toBe(0);
    });
  });
}
