import { describe, expect, it, vi } from 'vitest';
import { compareSerializationIds } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { AggregatedFeed } from '../aggregated-feed.js';
import { InvalidFeedOptionError, InvalidQueryError } from '../errors.js';
import { Feed } from '../feed.js';
import type { RankedFeed, RankedPageOptions, RankingDefinition } from '../ranking.js';
import { RankingScoreError } from '../ranking.js';
import type { ConformanceContext } from './conformance-context.js';
import { ids } from './fixtures.js';

const NOW = Date.UTC(2013, 6, 9);

/** Popularity of activity `index` (1-based): a few ties on purpose. */
const popularityOf = (index: number): number => (index * 7) % 5;

const byPopularity: RankingDefinition = {
  candidates: 10,
  score: (activity) => Number(activity.extraContext.popularity),
};

/** The expected ranking of activities: popularity descending, ties newest first. */
function expectedOrder(activities: readonly Activity[]): string[] {
  return [...activities]
    .sort(
      (a, b) =>
        Number(b.extraContext.popularity) - Number(a.extraContext.popularity) ||
        compareSerializationIds(b.serializationId, a.serializationId),
    )
    .map((activity) => activity.serializationId);
}

/** Reads every page of a ranking, calling `between` after each page; returns the pages' ids. */
async function readAll(
  ranked: () => RankedFeed,
  limit: number,
  between: (pageIndex: number, served: string[]) => Promise<void> = async () => {},
  first: RankedPageOptions = { now: NOW },
): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | null = null;
  do {
    const page = await ranked().page(cursor === null ? { ...first, limit } : { limit, cursor });
    pages.push(ids(page.items));
    cursor = page.nextCursor;
    if (cursor !== null) await between(pages.length - 1, pages.flat());
    expect(pages.length).toBeLessThan(100);
  } while (cursor !== null);
  return pages;
}

/** Ranked reads of flat feeds over the timeline contract (no backend code of their own). */
export function rankedTests(ctx: ConformanceContext): void {
  const { makeActivity } = ctx;
  describe('ranked feeds', () => {
    const define = (rankings: Record<string, RankingDefinition> = { popular: byPopularity }) =>
      Feed.define({
        name: 'ranked',
        keyFormat: 'feed:ranked:{userId}',
        maxLength: 100,
        storage: ctx.storage,
        rankings,
      });

    const activity = (index: number, popularity = popularityOf(index)) =>
      makeActivity(index, { extraContext: { popularity } });

    async function seeded(count: number, rankings?: Record<string, RankingDefinition>) {
      const definition = define(rankings);
      const activities = Array.from({ length: count }, (_, i) => activity(i + 1));
      await definition.insertActivities(activities);
      const feed = definition.for(21);
      await feed.addMany(activities);
      return { definition, feed, activities };
    }

    it('ranks the newest candidates by score, ties newest first; plain reads stay newest first', async () => {
      const { feed, activities } = await seeded(14);
      const candidates = activities.slice(-10);
      const expected = expectedOrder(candidates);
      const page = await feed.ranked('popular').page({ limit: 50, now: NOW });
      expect(ids(page.items)).toEqual(expected);
      expect(page.scores).toEqual(page.items.map((item) => Number(item.extraContext.popularity)));
      expect(page.nextCursor).toBeNull();
      // Not the chronological order, and the plain read is untouched.
      expect(ids(page.items)).not.toEqual(ids([...candidates].reverse()));
      expect(ids(await feed.get())).toEqual(ids([...activities].reverse()));
      // A view's filter applies to the candidates.
      const bound = activities[7]!.serializationId;
      const filtered = await feed
        .filter({ activityIdLt: bound })
        .ranked('popular')
        .page({ limit: 50 });
      expect(ids(filtered.items)).toEqual(expectedOrder(activities.slice(0, 7)));
    });

    it('pages never repeat or skip an item while newer activities arrive between pages', async () => {
      const { definition, feed, activities } = await seeded(20);
      const expected = expectedOrder(activities.slice(-10));
      let next = 100;
      const pages = await readAll(
        () => definition.for(21).ranked('popular'),
        3,
        async () => {
          // Newer than every candidate, and more popular than all of them.
          const newer = [activity(next++, 99), activity(next++, 99)];
          await definition.insertActivities(newer);
          await feed.addMany(newer);
        },
      );
      expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 1]);
      expect(pages.flat()).toEqual(expected);
      // A fresh first page ranks the arrivals first.
      const fresh = await feed.ranked('popular').page({ limit: 6, now: NOW });
      expect(ids(fresh.items)).toEqual(
        expectedOrder(Array.from({ length: 6 }, (_, i) => activity(105 - i, 99))),
      );
    });

    it('an activity removed between pages disappears; the others come once each', async () => {
      const { definition, feed, activities } = await seeded(12);
      const expected = expectedOrder(activities.slice(-10));
      let removed: string | undefined;
      const pages = await readAll(
        () => definition.for(21).ranked('popular'),
        4,
        async (pageIndex) => {
          if (pageIndex !== 0) return;
          removed = expected[7]!;
          expect(await feed.remove(removed)).toBe(1);
        },
      );
      expect(pages.flat()).toEqual(expected.filter((id) => id !== removed));
    });

    it('scores that change between pages: each candidate still comes exactly once', async () => {
      const popularity = new Map<string, number>();
      const { definition, activities } = await seeded(10, {
        live: {
          candidates: 10,
          scoreMany: async (items) =>
            items.map((item) => popularity.get(item.serializationId) ?? 0),
        },
      });
      activities.forEach((item, i) => popularity.set(item.serializationId, i));
      const pages = await readAll(
        () => definition.for(21).ranked('live'),
        3,
        async (pageIndex, served) => {
          if (pageIndex !== 0) return;
          // The least popular rises to the top; a served one falls to the bottom.
          popularity.set(activities[0]!.serializationId, 1000);
          popularity.set(served[0]!, -1000);
        },
      );
      const flat = pages.flat();
      expect(new Set(flat).size).toBe(flat.length);
      expect([...flat].sort()).toEqual(ids(activities).sort());
      expect(pages[0]).toEqual(ids([...activities].reverse().slice(0, 3)));
      expect(pages[1]![0]).toBe(activities[0]!.serializationId);
    });

    it('scores every page at the first page time, carried by the cursor', async () => {
      const seen = new Set<number>();
      const { definition } = await seeded(8, {
        recent: {
          candidates: 8,
          score: (item, { now, ranking, userId }) => {
            expect(ranking).toBe('recent');
            expect(userId).toBe(21);
            seen.add(now);
            return -(now - item.time.getTime());
          },
        },
      });
      const pages = await readAll(
        () => definition.for(21).ranked('recent'),
        3,
        async () => {
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
      );
      expect(pages.flat()).toHaveLength(8);
      expect([...seen]).toEqual([NOW]);
    });

    it('rejects malformed, altered and foreign cursors with InvalidQueryError', async () => {
      const { definition, feed } = await seeded(10, {
        popular: byPopularity,
        other: byPopularity,
      });
      const { nextCursor } = await feed.ranked('popular').page({ limit: 2 });
      expect(nextCursor).toEqual(expect.any(String));
      const cursor = nextCursor!;
      const decoded = Buffer.from(cursor, 'base64url').toString('utf8');
      const tampered = Buffer.from(decoded.replace(/"t\\":\d+/, '"t\\":1')).toString('base64url');
      expect(tampered).not.toBe(cursor);
      const bad = [
        'garbage!',
        'abc',
        cursor.slice(0, -5),
        tampered,
        Buffer.from('{"b":"{}","c":"x"}').toString('base64url'),
        Buffer.from('[1,2]').toString('base64url'),
        '',
      ];
      for (const value of bad) {
        await expect(feed.ranked('popular').page({ cursor: value })).rejects.toBeInstanceOf(
          InvalidQueryError,
        );
      }
      // Bound to its ranking and its feed.
      await expect(feed.ranked('other').page({ cursor })).rejects.toThrow(/ranking "popular"/);
      await expect(definition.for(22).ranked('popular').page({ cursor })).rejects.toThrow(
        /another feed/,
      );
      expect(() => feed.ranked('nope')).toThrow(InvalidQueryError);
      await expect(feed.ranked('popular').page({ limit: 0 })).rejects.toBeInstanceOf(
        InvalidQueryError,
      );
      // The good cursor still works.
      expect((await feed.ranked('popular').page({ cursor, limit: 2 })).items).toHaveLength(2);
    });

    it('a score that is not a finite number is a RankingScoreError naming the activity and value', async () => {
      const { feed, activities } = await seeded(5, {
        broken: {
          score: (item) =>
            item.serializationId === activities[2]!.serializationId ? Number.NaN : 1,
        },
        short: { scoreMany: () => [1] },
      });
      const error = await feed
        .ranked('broken')
        .page()
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RankingScoreError);
      expect(error).toMatchObject({
        code: 'SF_RANKING_SCORE',
        ranking: 'broken',
        activityId: activities[2]!.serializationId,
        value: Number.NaN,
      });
      expect((error as Error).message).toContain(activities[2]!.serializationId);
      await expect(feed.ranked('short').page()).rejects.toThrow(/returned 1 scores/);
    });

    it('reads the window in one timeline read and one hydration per page', async () => {
      const { definition, activities } = await seeded(30, {
        popular: { ...byPopularity, candidates: 25 },
      });
      const timelineGet = vi.spyOn(definition.timeline, 'get');
      const getMany = definition.activityStorage
        ? vi.spyOn(definition.activityStorage, 'getMany')
        : null;
      const pages = await readAll(() => definition.for(21).ranked('popular'), 10);
      expect(pages.flat()).toEqual(expectedOrder(activities.slice(-25)));
      expect(timelineGet).toHaveBeenCalledTimes(3);
      if (getMany) {
        expect(getMany).toHaveBeenCalledTimes(3);
        for (const call of getMany.mock.calls) expect(call[0]).toHaveLength(25);
      }
    });

    it('an empty feed has an empty first page; aggregated feeds take no rankings', async () => {
      const definition = define();
      expect(await definition.for(99).ranked('popular').page()).toEqual({
        items: [],
        scores: [],
        nextCursor: null,
      });
      expect(() =>
        AggregatedFeed.define({
          name: 'agg',
          keyFormat: 'feed:agg:{userId}',
          storage: ctx.storage,
          rankings: { popular: byPopularity },
        } as Parameters<typeof AggregatedFeed.define>[0]),
      ).toThrow(InvalidFeedOptionError);
      expect(() => define({ bad: { candidates: 0, score: () => 1 } })).toThrow(
        InvalidFeedOptionError,
      );
      expect(() => define({ bad: {} })).toThrow(/exactly one of/);
    });
  });
}
