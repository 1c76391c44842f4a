import { describe, expect, it } from 'vitest';
import type { Activity } from '@sf/activity';
import { AggregatedFeed } from '../aggregated-feed.js';
import { InvalidFeedOptionError, InvalidQueryError } from '../errors.js';
import { Feed } from '../feed.js';
import type { FeedIndexOptions } from '../base-feed.js';
import { ids, verbs } from './fixtures.js';
import type { ConformanceContext } from './conformance-context.js';

const VERBS = [verbs.Love, verbs.Add, verbs.Comment];

/** `board` of activity i: a string for most, an integer for every fifth, absent for every seventh. */
function boardOf(index: number): string | number | undefined {
  if (index % 7 === 0) return undefined;
  if (index % 5 === 0) return 12;
  return `b${index % 4}`;
}

/** Verb and field filters and counts (`index: { verb, field }`), end to end through feeds. */
export function filterTests(ctx: ConformanceContext): void {
  describe('verb and field filters', () => {
    const define = (maxLength = 100, index: FeedIndexOptions = { verb: true, field: 'board' }) =>
      Feed.define({
        name: 'filtered',
        keyFormat: 'feed:filtered:{userId}',
        maxLength,
        storage: ctx.storage,
        index,
      });

    const activitiesOf = (count: number): Activity[] =>
      ctx.makeActivities(count, (index) => {
        const board = boardOf(index);
        return {
          verb: VERBS[index % 3],
          extraContext: board === undefined ? { other: 1 } : { board, other: 1 },
        };
      });

    /** Newest first, as the feed returns them. */
    const expected = (activities: readonly Activity[], keep: (a: Activity) => boolean): string[] =>
      ids([...activities].reverse().filter(keep));

    const isVerb = (id: number) => (activity: Activity) => activity.verb.id === id;
    /** The test's boards are strings or integers (see boardOf). */
    const boardKey = (activity: Activity): string | undefined => {
      const board = activity.extraContext.board as string | number | undefined;
      return board === undefined ? undefined : String(board);
    };
    const onBoard = (value: string) => (activity: Activity) => boardKey(activity) === value;

    async function seeded(count: number, maxLength = 100) {
      const definition = define(maxLength);
      const activities = activitiesOf(count);
      await definition.insertActivities(activities);
      const feed = definition.for(21);
      await feed.addMany(activities);
      return { definition, feed, activities };
    }

    it('filters by verb (infinitive, Verb or id), by the declared field, and by both', async () => {
      const { feed, activities } = await seeded(30);
      const loves = expected(activities, isVerb(verbs.Love.id));
      expect(loves.length).toBeGreaterThan(5);
      expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(loves);
      expect(ids(await feed.filter({ verb: verbs.Love }).get())).toEqual(loves);
      expect(ids(await feed.filter({ verb: verbs.Love.id }).get())).toEqual(loves);
      expect(ids(await feed.filter({ extraContext: { board: 'b1' } }).get())).toEqual(
        expected(activities, onBoard('b1')),
      );
      // Integers and their decimal strings are the same value.
      const twelve = expected(activities, onBoard('12'));
      expect(twelve.length).toBeGreaterThan(1);
      expect(ids(await feed.filter({ extraContext: { board: 12 } }).get())).toEqual(twelve);
      expect(ids(await feed.filter({ extraContext: { board: '12' } }).get())).toEqual(twelve);
      const both = expected(activities, (a) => isVerb(verbs.Add.id)(a) && onBoard('b2')(a));
      expect(both.length).toBeGreaterThan(0);
      expect(
        ids(
          await feed
            .filter({ verb: 'add' })
            .filter({ extraContext: { board: 'b2' } })
            .get(),
        ),
      ).toEqual(both);
      expect(await feed.filter({ verb: 'follow' }).get()).toEqual([]);
      expect(await feed.filter({ extraContext: { board: 'nowhere' } }).get()).toEqual([]);
    });

    it('combines with id filters, order and offset/limit paging', async () => {
      const { feed, activities } = await seeded(40);
      const loves = expected(activities, isVerb(verbs.Love.id));
      const loved = feed.filter({ verb: 'love' });
      expect(ids(await loved.get({ limit: 3 }))).toEqual(loves.slice(0, 3));
      expect(ids(await loved.get({ offset: 2, limit: 4 }))).toEqual(loves.slice(2, 6));
      expect(ids(await loved.get({ offset: loves.length }))).toEqual([]);
      expect(ids(await loved.orderBy('activity_id').get({ offset: 1, limit: 3 }))).toEqual(
        [...loves].reverse().slice(1, 4),
      );
      const pivot = activities[19]!.serializationId;
      const older = loves.filter((id) => BigInt(id) < BigInt(pivot));
      expect(ids(await loved.filter({ activityIdLt: pivot }).get({ limit: 4 }))).toEqual(
        older.slice(0, 4),
      );
      const newer = loves.filter((id) => BigInt(id) >= BigInt(pivot));
      expect(
        ids(await feed.filter({ activityIdGte: pivot, verb: 'love' }).get({ offset: 1 })),
      ).toEqual(newer.slice(1));
      // Paging through with activityIdLt from the last id of each page sees every match once.
      const seen: string[] = [];
      let page = await loved.get({ limit: 4 });
      while (page.length > 0) {
        seen.push(...ids(page));
        page = await loved.filter({ activityIdLt: page.at(-1)!.serializationId }).get({ limit: 4 });
      }
      expect(seen).toEqual(loves);
    });

    it('counts per verb and per field value, exactly', async () => {
      const { feed, activities } = await seeded(30);
      const byVerb: Record<string, number> = {};
      const byBoard: Record<string, number> = {};
      for (const activity of activities) {
        byVerb[activity.verb.infinitive] = (byVerb[activity.verb.infinitive] ?? 0) + 1;
        const board = boardKey(activity);
        if (board !== undefined) byBoard[board] = (byBoard[board] ?? 0) + 1;
      }
      expect(await feed.countBy('verb')).toEqual(byVerb);
      expect(await feed.countBy('board')).toEqual(byBoard);
      // Adding what is already there changes no count.
      await feed.addMany(activities.slice(0, 5));
      expect(await feed.countBy('verb')).toEqual(byVerb);
      expect(await define().for(99).countBy('verb')).toEqual({});
    });

    it('keeps filters and counts exact through trims, removals and deletes', async () => {
      const { definition, feed, activities } = await seeded(30, 10);
      const kept = activities.slice(-10);
      const count = (list: readonly Activity[], keep: (a: Activity) => boolean) =>
        list.filter(keep).length;
      expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(
        expected(kept, isVerb(verbs.Love.id)),
      );
      expect(ids(await feed.filter({ extraContext: { board: 'b0' } }).get())).toEqual(
        expected(kept, onBoard('b0')),
      );
      expect((await feed.countBy('verb')).love).toBe(count(kept, isVerb(verbs.Love.id)));
      // A write past maxLength trims the indexes with the timeline.
      const more = activitiesOf(36).slice(30);
      await definition.insertActivities(more);
      await feed.addMany(more);
      const now = [...kept, ...more].slice(-10);
      expect(ids(await feed.filter({ verb: 'add' }).get())).toEqual(
        expected(now, isVerb(verbs.Add.id)),
      );
      const verbCounts = await feed.countBy('verb');
      expect(Object.values(verbCounts).reduce((a, b) => a + b, 0)).toBe(10);
      expect(verbCounts.comment ?? 0).toBe(count(now, isVerb(verbs.Comment.id)));
      // Removal.
      const removed = now.filter(isVerb(verbs.Love.id)).slice(0, 2);
      expect(removed.length).toBe(2);
      await feed.removeMany(removed);
      const left = now.filter((a) => !removed.includes(a));
      expect(ids(await feed.filter({ verb: 'love' }).get())).toEqual(
        expected(left, isVerb(verbs.Love.id)),
      );
      expect((await feed.countBy('verb')).love ?? 0).toBe(count(left, isVerb(verbs.Love.id)));
      // An explicit trim.
      await feed.trim(4);
      const four = left.slice(-4);
      expect(ids(await feed.filter({ verb: 'comment' }).get())).toEqual(
        expected(four, isVerb(verbs.Comment.id)),
      );
      const boards = await feed.countBy('board');
      expect(Object.values(boards).reduce((a, b) => a + b, 0)).toBe(
        four.filter((a) => a.extraContext.board !== undefined).length,
      );
      // Delete.
      await feed.delete();
      expect(await feed.filter({ verb: 'comment' }).get()).toEqual([]);
      expect(await feed.countBy('verb')).toEqual({});
      expect(await feed.countBy('board')).toEqual({});
      // Re-adding after a delete starts from clean indexes.
      await feed.add(activities[0]!);
      expect(await feed.countBy('verb')).toEqual({ [activities[0]!.verb.infinitive]: 1 });
    });

    it('fans out with indexes and removes from many feeds', async () => {
      const definition = define(100);
      const activities = activitiesOf(12);
      await definition.insertActivities(activities);
      const users = [1, 2, 3, 4, 5];
      await definition.addToMany(users, activities);
      const removed = activities.filter(isVerb(verbs.Add.id)).slice(0, 2);
      await definition.removeFromMany(users.slice(0, 3), removed);
      for (const user of users) {
        const feed = definition.for(user);
        const present = user <= 3 ? activities.filter((a) => !removed.includes(a)) : activities;
        expect(ids(await feed.filter({ verb: 'add' }).get())).toEqual(
          expected(present, isVerb(verbs.Add.id)),
        );
        expect((await feed.countBy('verb')).add).toBe(present.filter(isVerb(verbs.Add.id)).length);
      }
    });

    it('refuses filters and counts on undeclared dimensions and unknown verbs, naming them', async () => {
      const verbOnly = define(100, { verb: true }).for(21);
      expect(() => verbOnly.filter({ extraContext: { board: 'b1' } })).toThrow(InvalidQueryError);
      expect(() => verbOnly.filter({ extraContext: { board: 'b1' } })).toThrow(/declare it/);
      await expect(verbOnly.countBy('board')).rejects.toThrow(InvalidQueryError);
      const plain = define(100, {}).for(21);
      expect(() => plain.filter({ verb: 'love' })).toThrow(/index: \{ verb: true \}/);
      await expect(plain.countBy('verb')).rejects.toThrow(/declare it/);
      const full = define().for(21);
      expect(() => full.filter({ verb: 'cuddle' })).toThrow(InvalidQueryError);
      expect(() => full.filter({ verb: 'cuddle' })).toThrow(/"cuddle"/);
      expect(() => full.filter({ verb: 998 })).toThrow(/998/);
      expect(() => full.filter({ extraContext: { board: 1.5 } })).toThrow(InvalidQueryError);
      expect(() => full.filter({ extraContext: { topic: 'x' } })).toThrow(/extraContext\.topic/);
      // The declaration itself is checked when the feed is defined.
      expect(() => define(100, { verb: 'yes' as never })).toThrow(InvalidFeedOptionError);
      expect(() => define(100, { field: 'a-b' })).toThrow(/index\.field of feed filtered/);
      expect(() => define(100, { fields: ['a'] } as never)).toThrow(/takes verb and field/);
    });

    it('filters aggregated feeds by the verbs their aggregated activities hold', async () => {
      const definition = AggregatedFeed.define({
        name: 'filtered_aggregated',
        keyFormat: 'feed:filtered_aggregated:{userId}',
        storage: ctx.storage,
        index: { verb: true, field: 'board' },
      });
      const activities = activitiesOf(9);
      await definition.insertActivities(activities);
      const feed = definition.for(21);
      await feed.addMany(activities);
      const all = await feed.get();
      const holding = (id: number) =>
        all.filter((item) => item.activities.some((a) => a.verb.id === id)).map((i) => i.group);
      const loved = await feed.filter({ verb: 'love' }).get();
      expect(loved.length).toBeGreaterThan(0);
      expect(loved.map((item) => item.group)).toEqual(holding(verbs.Love.id));
      const counts = await feed.countBy('verb');
      expect(counts.love).toBe(holding(verbs.Love.id).length);
      expect(counts.add).toBe(holding(verbs.Add.id).length);
      const onB1 = await feed.filter({ extraContext: { board: 'b1' } }).get();
      expect(onB1.every((item) => item.activities.some((a) => a.extraContext.board === 'b1'))).toBe(
        true,
      );
      expect(onB1.length).toBeGreaterThan(0);
    });

    it('keeps indexes in the timeline storage itself (needs capabilities.indexedFilters)', async ({
      skip,
    }) => {
      skip(
        ctx.storage.capabilities.indexedFilters !== true,
        'this backend declares no indexedFilters: feeds filter by scanning its timelines',
      );
      const definition = define(100);
      expect(definition.indexedReads).toBe(true);
      const timeline = definition.timeline;
      const activities = activitiesOf(10);
      await timeline.add('feed:filtered:7', activities);
      const loves = expected(activities, isVerb(verbs.Love.id));
      expect(
        ids(
          await timeline.get('feed:filtered:7', {
            offset: 0,
            limit: null,
            where: { verb: verbs.Love.id },
          }),
        ),
      ).toEqual(loves);
      expect(
        ids(
          await timeline.get('feed:filtered:7', {
            offset: 1,
            limit: 2,
            order: 'asc',
            where: { field: 'b1' },
          }),
        ),
      ).toEqual([...expected(activities, onBoard('b1'))].reverse().slice(1, 3));
      const counts = await timeline.countBy!('feed:filtered:7', 'verb');
      expect(counts.get(String(verbs.Love.id))).toBe(loves.length);
      await timeline.removeIdsFromMany(['feed:filtered:7'], [loves[0]!]);
      expect((await timeline.countBy!('feed:filtered:7', 'verb')).get(String(verbs.Love.id))).toBe(
        loves.length - 1,
      );
    });
  });
}
