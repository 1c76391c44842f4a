import { describe, expect, it } from 'vitest';
import {
  Activity,
  AggregatedActivity,
  Comment,
  DuplicateActivityError,
  Follow,
  InvalidActivityError,
  InvalidArgumentError,
  Love,
  NotificationActivity,
} from '@sf/activity';
import {
  BaseAggregator,
  NotificationAggregator,
  RecentVerbAggregator,
  createAggregator,
} from './index.js';

const base = Date.UTC(2013, 6, 8, 6, 59, 15);
const activity = (actor: number, verb = Love, object = actor, offset = actor * 1000) =>
  new Activity({ actor, verb, object, time: base + offset });
const ids = (items: readonly { serializationId: string }[]) => items.map((i) => i.serializationId);

describe('RecentVerbAggregator', () => {
  it('groups by verb id and UTC day', () => {
    const aggregator = new RecentVerbAggregator();
    expect(aggregator.getGroup(activity(1))).toBe('3-2013-07-08');
    expect(aggregator.getGroup(activity(1, Comment, 1, 86_400_000))).toBe('2-2013-07-09');
  });

  it('aggregates oldest first within a group and ranks groups by updatedAt, newest first', () => {
    const aggregator = new RecentVerbAggregator();
    const loves = [activity(3), activity(1), activity(2)];
    const follow = activity(9, Follow, 9, 500);
    const result = aggregator.aggregate([...loves, follow]);
    expect(result.map((a) => a.group)).toEqual(['3-2013-07-08', '1-2013-07-08']);
    expect(result[0]!.actorIds).toEqual([1, 2, 3]);
    expect(result[0]!.createdAt?.getTime()).toBe(base + 1000);
    expect(result[0]!.updatedAt?.getTime()).toBe(base + 3000);
    expect(result[1]!.activityCount).toBe(1);
  });

  it('refuses the same activity twice', () => {
    expect(() => new RecentVerbAggregator().aggregate([activity(1), activity(1)])).toThrow(
      DuplicateActivityError,
    );
  });

  it('keeps the newest 15 of a large group', () => {
    const result = new RecentVerbAggregator().aggregate(
      Array.from({ length: 100 }, (_, i) => activity(i + 1)),
    );
    expect(result).toHaveLength(1);
    expect(result[0]!.actorIds).toEqual(Array.from({ length: 15 }, (_, i) => 86 + i));
    expect(result[0]!.minimizedActivities).toBe(85);
    expect(result[0]!.actorCount).toBe(100);
    expect(result[0]!.otherActorCount).toBe(99);
  });

  it('builds the configured aggregated class and length', () => {
    const aggregator = new RecentVerbAggregator({
      aggregatedActivityClass: NotificationActivity,
      maxAggregatedActivities: 2,
    });
    const [group] = aggregator.aggregate([activity(1), activity(2), activity(3)]);
    expect(group).toBeInstanceOf(NotificationActivity);
    expect(group!.activities).toHaveLength(2);
    expect(group!.minimizedActivities).toBe(1);
  });
});

describe('NotificationAggregator', () => {
  it('groups by verb, object and day', () => {
    const aggregator = new NotificationAggregator();
    expect(aggregator.getGroup(activity(1, Love, 7))).toBe('3-7-2013-07-08');
    const result = aggregator.aggregate([
      activity(1, Love, 7),
      activity(2, Love, 7),
      activity(3, Love, 8),
    ]);
    expect(result.map((a) => [a.group, a.actorIds])).toEqual([
      ['3-8-2013-07-08', [3]],
      ['3-7-2013-07-08', [1, 2]],
    ]);
  });
});

describe('merge', () => {
  const aggregator = new RecentVerbAggregator();

  it('reports new groups and changed ones without touching the inputs', () => {
    const current = aggregator.aggregate([activity(1), activity(2)]);
    const before = ids(current[0]!.activities);
    const result = aggregator.merge(current, [activity(3), activity(4, Follow)]);
    expect(result.new.map((a) => a.group)).toEqual(['1-2013-07-08']);
    expect(result.changed).toHaveLength(1);
    const [from, to] = result.changed[0]!;
    expect(from).toBe(current[0]);
    expect(ids(from.activities)).toEqual(before);
    expect(to.actorIds).toEqual([1, 2, 3]);
    expect(result.deleted).toEqual([]);
  });

  it('ignores activities already in their group', () => {
    const current = aggregator.aggregate([activity(1), activity(2)]);
    const result = aggregator.merge(current, [activity(2)]);
    expect(result).toEqual({ new: [], changed: [], deleted: [] });
  });

  it('reports a change when a full group drops its oldest activity for a new one', () => {
    const current = aggregator.aggregate(Array.from({ length: 15 }, (_, i) => activity(i + 1)));
    const result = aggregator.merge(current, [activity(16)]);
    const [, to] = result.changed[0]!;
    expect(to.actorIds[0]).toBe(2);
    expect(to.minimizedActivities).toBe(1);
    expect(to.activityCount).toBe(16);
  });
});

describe('merge with a custom activity limit', () => {
  it('applies the aggregator limit to aggregated activities read back with the default one', () => {
    const aggregator = new RecentVerbAggregator({ maxAggregatedActivities: 3 });
    // as read from storage: built without the aggregator, so with the default limit of 15
    const stored = new AggregatedActivity({
      group: '3-2013-07-08',
      activities: [activity(1), activity(2), activity(3)],
    });
    const { changed } = aggregator.merge([stored], [activity(4)]);
    const [, to] = changed[0]!;
    expect(to.maxActivities).toBe(3);
    expect(to.actorIds).toEqual([2, 3, 4]);
    expect(to.minimizedActivities).toBe(1);
    expect(to.activityCount).toBe(4);
    expect(stored.activities).toHaveLength(3);
  });
});

describe('custom aggregators', () => {
  it('can be a subclass', () => {
    class ByActor extends BaseAggregator {
      getGroup(a: Activity): string {
        return `actor:${a.actorId}`;
      }
      rank(aggregated: readonly AggregatedActivity[]): AggregatedActivity[] {
        return [...aggregated].sort((a, b) => a.group.localeCompare(b.group));
      }
    }
    const result = new ByActor().aggregate([activity(2), activity(1), activity(2, Comment)]);
    expect(result.map((a) => [a.group, a.activityCount])).toEqual([
      ['actor:1', 1],
      ['actor:2', 2],
    ]);
  });

  it('can be functions, ranked newest first by default', () => {
    const aggregator = createAggregator({
      getGroup: (a) => (Number(a.actorId) % 2 === 0 ? 'even' : 'odd'),
    });
    expect(
      aggregator.aggregate([activity(1), activity(2), activity(3)]).map((a) => a.group),
    ).toEqual(['odd', 'even']);
  });

  it('refuses an empty group', () => {
    const aggregator = createAggregator({ getGroup: () => '' });
    expect(() => aggregator.aggregate([activity(1)])).toThrow(/invalid group ""/);
  });

  // maxAggregatedActivities: 0 was accepted and failed at the first aggregation with an
  // InvalidActivityError about the aggregated activity's maxActivities.
  it('refuses bad options when it is made, naming the option and the value', () => {
    const cases: Array<[() => unknown, string, unknown, string]> = [
      [
        () => new RecentVerbAggregator({ maxAggregatedActivities: 0 }),
        'options.maxAggregatedActivities',
        0,
        'maxAggregatedActivities must be a positive integer, got 0',
      ],
      [
        () => createAggregator({ getGroup: () => 'g', maxAggregatedActivities: 1.5 }),
        'options.maxAggregatedActivities',
        1.5,
        'maxAggregatedActivities must be a positive integer, got 1.5',
      ],
      [
        () => new RecentVerbAggregator({ aggregatedActivityClass: 'x' as never }),
        'options.aggregatedActivityClass',
        'x',
        'aggregatedActivityClass must be a class of aggregated activities, got x',
      ],
      [
        () => createAggregator({} as never),
        'options.getGroup',
        undefined,
        'createAggregator needs a getGroup function, got undefined',
      ],
      [
        () => createAggregator({ getGroup: () => 'g', rank: 3 as never }),
        'options.rank',
        3,
        'createAggregator needs a rank function, got 3',
      ],
      [
        () => createAggregator(null as never),
        'options',
        null,
        'createAggregator takes options { getGroup }, got null',
      ],
    ];
    for (const [make, path, value, message] of cases) {
      let caught: unknown;
      try {
        make();
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect(caught).not.toBeInstanceOf(InvalidActivityError);
      expect(caught).toMatchObject({ code: 'SF_INVALID_ARGUMENT', path, value, message });
    }
  });
});
