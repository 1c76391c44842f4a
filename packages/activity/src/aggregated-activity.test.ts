import { describe, expect, it, vi } from 'vitest';
import { Activity } from './activity.js';
import {
  AggregatedActivity,
  MAX_AGGREGATED_ACTIVITIES_LENGTH,
  NotificationActivity,
} from './aggregated-activity.js';
import type { AggregatedActivityInit } from './aggregated-activity.js';
import {
  ActivityNotFoundError,
  DuplicateActivityError,
  EmptyAggregationError,
  InvalidActivityError,
  SfError,
} from './errors.js';
import { Comment, Love } from './verb.js';
import type { Verb } from './verb.js';

/** 2013-07-08 06:59:15 UTC in milliseconds */
const T0 = Date.UTC(2013, 6, 8, 6, 59, 15);

/** An activity `seconds` after T0, with Python's id (these tests follow Stream Framework's). */
function act(actor: number, object: number, seconds = 0, verb: Verb = Love): Activity {
  return new Activity({
    actor,
    verb,
    object,
    time: T0 + seconds * 1000,
    idScheme: 'stream-framework',
  });
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to throw');
}

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** 100 Love activities by actors 1..100 on objects 1..100, one second apart. */
function hundred(): { aggregated: AggregatedActivity; activities: Activity[] } {
  const activities = range(1, 100).map((i) => act(i, i, i));
  const aggregated = new AggregatedActivity({ group: 'loves' });
  for (const activity of activities) aggregated.append(activity);
  return { aggregated, activities };
}

describe('AggregatedActivity construction', () => {
  it('starts empty', () => {
    const aggregated = new AggregatedActivity({ group: 'g' });
    expect(aggregated.group).toBe('g');
    expect(aggregated.activities).toEqual([]);
    expect(aggregated.activityIds).toEqual([]);
    expect(aggregated.createdAt).toBeNull();
    expect(aggregated.updatedAt).toBeNull();
    expect(aggregated.seenAt).toBeNull();
    expect(aggregated.readAt).toBeNull();
    expect(aggregated.minimizedActivities).toBe(0);
    expect(aggregated.maxActivities).toBe(15);
    expect(MAX_AGGREGATED_ACTIVITIES_LENGTH).toBe(15);
    expect(aggregated.isDehydrated).toBe(false);
    expect(aggregated.activityCount).toBe(0);
    expect(aggregated.actorCount).toBe(0);
    expect(aggregated.lastActivities).toEqual([]);
  });

  it('appends the given activities and derives the dates from them', () => {
    const a = act(1, 1, 5);
    const b = act(2, 2, 3);
    const aggregated = new AggregatedActivity({ group: 'g', activities: [a, b] });
    expect(aggregated.activities).toEqual([a, b]);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 5000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 5000);
  });

  it('lets explicit dates win over derived ones', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activities: [act(1, 1, 5)],
      createdAt: new Date(T0 - 5000),
      updatedAt: new Date(T0 + 60_000),
      seenAt: new Date(T0 + 1),
      readAt: new Date(T0 + 2),
      minimizedActivities: 4,
    });
    expect(aggregated.createdAt?.getTime()).toBe(T0 - 5000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 60_000);
    expect(aggregated.seenAt?.getTime()).toBe(T0 + 1);
    expect(aggregated.readAt?.getTime()).toBe(T0 + 2);
    expect(aggregated.minimizedActivities).toBe(4);
    expect(aggregated.activityCount).toBe(5);
  });

  it('copies the given dates', () => {
    const createdAt = new Date(T0);
    const aggregated = new AggregatedActivity({ group: 'g', createdAt });
    createdAt.setTime(0);
    expect(aggregated.createdAt?.getTime()).toBe(T0);
  });

  it('minimizes beyond maxActivities, adding to the given minimizedActivities', () => {
    const activities = range(1, 16).map((i) => act(i, i, i));
    const aggregated = new AggregatedActivity({ group: 'g', activities, minimizedActivities: 10 });
    expect(aggregated.activities).toHaveLength(15);
    expect(aggregated.activities[0]?.objectId).toBe(2);
    expect(aggregated.minimizedActivities).toBe(11);
    expect(aggregated.activityCount).toBe(26);
  });

  it('throws DuplicateActivityError for the same activity given twice', () => {
    const a = act(1, 1);
    expect(() => new AggregatedActivity({ group: 'g', activities: [a, act(9, 1)] })).toThrow(
      DuplicateActivityError,
    );
  });

  it('builds a dehydrated aggregated activity from activity ids', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activityIds: ['13732667550000000000001003'],
    });
    expect(aggregated.isDehydrated).toBe(true);
    expect(aggregated.activityIds).toEqual(['13732667550000000000001003']);
    expect(aggregated.activities).toEqual([]);
    expect(aggregated.activityCount).toBe(1);
  });

  it.each<[string, unknown, string]>([
    [
      'an empty group',
      { group: '' },
      'aggregated activity group must be a non-empty string, got ""',
    ],
    [
      'a numeric group',
      { group: 5 },
      'aggregated activity group must be a non-empty string, got 5',
    ],
    ['a missing group', {}, 'aggregated activity group must be a non-empty string, got undefined'],
    [
      'negative minimizedActivities',
      { group: 'g', minimizedActivities: -1 },
      'minimizedActivities must be a non-negative integer, got -1',
    ],
    [
      'fractional minimizedActivities',
      { group: 'g', minimizedActivities: 1.5 },
      'minimizedActivities must be a non-negative integer, got 1.5',
    ],
    [
      'maxActivities 0',
      { group: 'g', maxActivities: 0 },
      'maxActivities must be a positive integer, got 0',
    ],
    [
      'both activities and activityIds',
      { group: 'g', activities: [], activityIds: [] },
      'pass either activities or activityIds to an AggregatedActivity, not both',
    ],
    [
      'a non-Activity entry',
      { group: 'g', activities: [{ serializationId: '1' }] },
      'aggregated activity "g" can only hold Activity instances, got [object Object]',
    ],
    [
      'a number as activity',
      { group: 'g', activities: [42] },
      'aggregated activity "g" can only hold Activity instances, got 42',
    ],
    [
      'an invalid createdAt',
      { group: 'g', createdAt: new Date('nope') },
      'aggregated activity createdAt must be a valid Date or null, got Invalid Date',
    ],
    [
      'a numeric seenAt',
      { group: 'g', seenAt: 5 },
      'aggregated activity seenAt must be a valid Date or null, got 5',
    ],
    ['a malformed activity id', { group: 'g', activityIds: ['01'] }, 'got string 01'],
    ['no init', undefined, 'AggregatedActivity needs { group }, got undefined'],
  ])('rejects %s with InvalidActivityError', (_label, init, message) => {
    const build = () => new AggregatedActivity(init as AggregatedActivityInit);
    expect(build).toThrow(InvalidActivityError);
    expect(build).toThrow(message);
  });
});

describe('append', () => {
  it('appends at the end whatever the time; createdAt is the first appended, updatedAt the newest', () => {
    const a = act(1, 1, 2);
    const b = act(2, 2, 1);
    const c = act(3, 3, 3);
    const aggregated = new AggregatedActivity({ group: 'g' });
    aggregated.append(a);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 2000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 2000);
    aggregated.append(b);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 2000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 2000);
    aggregated.append(c);
    expect(aggregated.activities).toEqual([a, b, c]);
    expect(aggregated.activities.map((x) => x.objectId)).toEqual([1, 2, 3]);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 2000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 3000);
    expect(aggregated.lastActivity).toBe(c);
    expect(aggregated.lastActivities.map((x) => x.objectId)).toEqual([3, 2, 1]);
  });

  it('throws DuplicateActivityError for an activity with the same serialization id', () => {
    const aggregated = new AggregatedActivity({ group: 'g', activities: [act(1, 1)] });
    const duplicate = act(2, 1); // other actor, same time/object/verb
    const error = caught(() => aggregated.append(duplicate));
    expect(error).toBeInstanceOf(DuplicateActivityError);
    expect((error as DuplicateActivityError).activityId).toBe('13732667550000000000001003');
    expect((error as Error).message).toBe(
      'activity 13732667550000000000001003 is already in aggregated activity "g"',
    );
    expect(aggregated.activities).toHaveLength(1);
    expect(aggregated.activities[0]?.actorId).toBe(1);
  });

  it('rejects something that is not an Activity', () => {
    const aggregated = new AggregatedActivity({ group: 'g' });
    expect(() => aggregated.append('13732667550000000000001003' as unknown as Activity)).toThrow(
      'can only append an Activity to aggregated activity "g", got 13732667550000000000001003',
    );
  });

  it('keeps the 15 newest of 100 activities and counts the others (Stream Framework example)', () => {
    const { aggregated } = hundred();
    expect(aggregated.activities).toHaveLength(15);
    expect(aggregated.actorIds).toEqual(range(86, 100));
    expect(aggregated.objectIds).toEqual(range(86, 100));
    expect(aggregated.minimizedActivities).toBe(85);
    expect(aggregated.actorCount).toBe(100);
    expect(aggregated.otherActorCount).toBe(99);
    expect(aggregated.activityCount).toBe(100);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 1000);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 100_000);
    expect(aggregated.lastActivity.actorId).toBe(100);
  });

  it('honours a custom maxActivities', () => {
    const aggregated = new AggregatedActivity({ group: 'g', maxActivities: 2 });
    for (const i of [1, 2, 3]) aggregated.append(act(i, i, i));
    expect(aggregated.objectIds).toEqual([2, 3]);
    expect(aggregated.minimizedActivities).toBe(1);
    expect(aggregated.activityCount).toBe(3);
  });
});

describe('remove', () => {
  function three() {
    const x = act(1, 1, 3);
    const y = act(2, 2, 1);
    const z = act(3, 3, 2);
    return { x, y, z, aggregated: new AggregatedActivity({ group: 'g', activities: [x, y, z] }) };
  }

  it('removes an activity and sets updatedAt to the time of the last remaining one (not the newest)', () => {
    const { x, y, z, aggregated } = three();
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 3000);
    expect(aggregated.remove(z)).toBe(z);
    expect(aggregated.activities).toEqual([x, y]);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 1000);
    expect(aggregated.createdAt?.getTime()).toBe(T0 + 3000);
  });

  it('removes by serialization id string and by bigint', () => {
    const { x, y, z, aggregated } = three();
    expect(aggregated.remove(y.serializationId)).toBe(y);
    expect(aggregated.remove(BigInt(x.serializationId))).toBe(x);
    expect(aggregated.activities).toEqual([z]);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 2000);
  });

  it('decrements minimizedActivities', () => {
    const { aggregated, activities } = hundred();
    aggregated.remove(activities[99]!);
    expect(aggregated.minimizedActivities).toBe(84);
    expect(aggregated.activities).toHaveLength(14);
    expect(aggregated.activityCount).toBe(98);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 99_000);
  });

  it('leaves minimizedActivities at 0', () => {
    const { aggregated, y } = three();
    aggregated.remove(y);
    expect(aggregated.minimizedActivities).toBe(0);
  });

  it('throws ActivityNotFoundError for an activity that is not there', () => {
    const { aggregated } = three();
    const missing = act(1, 99);
    const error = caught(() => aggregated.remove(missing));
    expect(error).toBeInstanceOf(ActivityNotFoundError);
    expect((error as ActivityNotFoundError).activityId).toBe(missing.serializationId);
    expect((error as Error).message).toBe(
      `activity ${missing.serializationId} not found in aggregated activity "g"`,
    );
    expect(aggregated.activities).toHaveLength(3);
  });

  it('throws InvalidActivityError for a malformed id', () => {
    const { aggregated } = three();
    expect(() => aggregated.remove('01')).toThrow(InvalidActivityError);
  });

  it('throws EmptyAggregationError when removing the only activity', () => {
    const a = act(1, 1);
    const aggregated = new AggregatedActivity({ group: 'g', activities: [a] });
    const error = caught(() => aggregated.remove(a));
    expect(error).toBeInstanceOf(EmptyAggregationError);
    expect((error as SfError).code).toBe('SF_EMPTY_AGGREGATION');
    expect(aggregated.activities).toEqual([a]);
  });
});

describe('removeMany', () => {
  it('removes those present, skips missing ones and returns what it removed', () => {
    const [a, b, c] = [act(1, 1, 1), act(2, 2, 2), act(3, 3, 3)] as [Activity, Activity, Activity];
    const aggregated = new AggregatedActivity({ group: 'g', activities: [a, b, c] });
    const removed = aggregated.removeMany([a, act(9, 9, 9), b.serializationId, a]);
    expect(removed).toEqual([a, b]);
    expect(aggregated.activityIds).toEqual([c.serializationId]);
    expect(aggregated.updatedAt?.getTime()).toBe(T0 + 3000);
  });

  it('propagates EmptyAggregationError after removing the others', () => {
    const [a, b] = [act(1, 1, 1), act(2, 2, 2)] as [Activity, Activity];
    const aggregated = new AggregatedActivity({ group: 'g', activities: [a, b] });
    expect(() => aggregated.removeMany([a, b])).toThrow(EmptyAggregationError);
    expect(aggregated.activities).toEqual([b]);
  });
});

describe('contains', () => {
  const a = act(1, 1, 1);
  const aggregated = new AggregatedActivity({ group: 'g', activities: [a] });

  it('finds an activity by instance, id string or bigint', () => {
    expect(aggregated.contains(a)).toBe(true);
    expect(aggregated.contains(act(2, 1, 1))).toBe(true);
    expect(aggregated.contains('13732667560000000000001003')).toBe(true);
    expect(aggregated.contains(13732667560000000000001003n)).toBe(true);
  });

  it('is false for other activities', () => {
    expect(aggregated.contains(act(1, 1, 2))).toBe(false);
    expect(aggregated.contains('13732667560000000000001004')).toBe(false);
  });

  it('rejects malformed ids', () => {
    expect(() => aggregated.contains('abc')).toThrow(InvalidActivityError);
  });
});

describe('derived properties', () => {
  it('actorIds, objectIds and verbs are unique, in order of appearance; verb is the first verb', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activities: [act(2, 10, 1, Love), act(1, 10, 2, Comment), act(2, 11, 3, Love)],
    });
    expect(aggregated.actorIds).toEqual([2, 1]);
    expect(aggregated.objectIds).toEqual([10, 11]);
    expect(aggregated.verbs).toEqual([Love, Comment]);
    expect(aggregated.verb).toBe(Love);
    expect(aggregated.actorCount).toBe(2);
    expect(aggregated.otherActorCount).toBe(1);
    expect(aggregated.activityCount).toBe(3);
    expect(aggregated.toString()).toBe(
      'AggregatedActivity(g-loved,commented) Actors 2,1: Objects [10, 11]',
    );
  });

  it('verbs treats two objects with the same verb id as one verb', () => {
    const loveCopy: Verb = { id: 3, infinitive: 'love', pastTense: 'loved' };
    const aggregated = new AggregatedActivity({
      group: 'g',
      activities: [act(1, 1, 1, Love), act(2, 2, 2, loveCopy)],
    });
    expect(aggregated.verbs).toHaveLength(1);
    expect(aggregated.verbs[0]).toBe(Love);
    expect(aggregated.toString()).toBe('AggregatedActivity(g-loved) Actors 1,2: Objects [1, 2]');
  });

  it('verb and lastActivity throw on an empty aggregated activity', () => {
    const aggregated = new AggregatedActivity({ group: 'g' });
    expect(() => aggregated.verb).toThrow(
      new InvalidActivityError('aggregated activity "g" has no activities'),
    );
    expect(() => aggregated.lastActivity).toThrow(
      new InvalidActivityError('aggregated activity "g" has no activities'),
    );
  });

  it('activityIds returns a fresh array each time', () => {
    const aggregated = new AggregatedActivity({ group: 'g', activities: [act(1, 1)] });
    const ids = aggregated.activityIds;
    ids.push('1');
    expect(aggregated.activityIds).toHaveLength(1);
  });
});

describe('isSeen / isRead', () => {
  function updatedAtOneSecond(): AggregatedActivity {
    return new AggregatedActivity({ group: 'g', activities: [act(1, 1, 1)] });
  }

  it('are false without seenAt / readAt', () => {
    const aggregated = updatedAtOneSecond();
    expect(aggregated.isSeen()).toBe(false);
    expect(aggregated.isRead()).toBe(false);
  });

  it('compare seenAt / readAt with updatedAt (equal counts as seen)', () => {
    const aggregated = updatedAtOneSecond();
    aggregated.seenAt = new Date(T0 + 999);
    aggregated.readAt = new Date(T0 + 999);
    expect([aggregated.isSeen(), aggregated.isRead()]).toEqual([false, false]);
    aggregated.seenAt = new Date(T0 + 1000);
    expect([aggregated.isSeen(), aggregated.isRead()]).toEqual([true, false]);
    aggregated.readAt = new Date(T0 + 5000);
    expect([aggregated.isSeen(), aggregated.isRead()]).toEqual([true, true]);
    aggregated.append(act(2, 2, 6));
    expect([aggregated.isSeen(), aggregated.isRead()]).toEqual([false, false]);
  });

  it('are false without updatedAt', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      seenAt: new Date(T0),
      readAt: new Date(T0),
    });
    expect([aggregated.isSeen(), aggregated.isRead()]).toEqual([false, false]);
  });
});

describe('serializationId', () => {
  it('is updatedAt in whole seconds times 1000, as a string', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activities: [
        new Activity({ actor: 1, verb: Love, object: 42, epochMicroseconds: 1373266755123456 }),
      ],
    });
    expect(aggregated.serializationId).toBe('1373266755000');
  });

  it('is shared by aggregations updated within the same second', () => {
    const early = new AggregatedActivity({ group: 'a', updatedAt: new Date(T0) });
    const late = new AggregatedActivity({ group: 'b', updatedAt: new Date(T0 + 999) });
    const next = new AggregatedActivity({ group: 'c', updatedAt: new Date(T0 + 1000) });
    expect(early.serializationId).toBe('1373266755000');
    expect(late.serializationId).toBe('1373266755000');
    expect(next.serializationId).toBe('1373266756000');
  });

  it('throws without updatedAt', () => {
    expect(() => new AggregatedActivity({ group: 'g' }).serializationId).toThrow(
      new InvalidActivityError(
        'aggregated activity "g" has no updatedAt and so no serialization id',
      ),
    );
  });
});

describe('dehydrate / hydrate', () => {
  function sample() {
    const activities = [act(1, 1, 1), act(2, 2, 2), act(3, 3, 3)] as [Activity, Activity, Activity];
    const aggregated = new AggregatedActivity({
      group: 'g',
      activities,
      minimizedActivities: 2,
      seenAt: new Date(T0 + 10_000),
    });
    const storage = new Map<string, Activity>(activities.map((a) => [a.serializationId, a]));
    storage.set(act(9, 9, 9).serializationId, act(9, 9, 9));
    return { activities, aggregated, storage };
  }

  it('dehydrate returns a copy holding ids and leaves the original hydrated', () => {
    const { activities, aggregated } = sample();
    const dehydrated = aggregated.dehydrate();
    expect(dehydrated).not.toBe(aggregated);
    expect(dehydrated.isDehydrated).toBe(true);
    expect(dehydrated.activities).toEqual([]);
    expect(dehydrated.activityIds).toEqual(activities.map((a) => a.serializationId));
    expect(dehydrated.activityCount).toBe(5);
    expect(dehydrated.minimizedActivities).toBe(2);
    expect(dehydrated.group).toBe('g');
    expect(dehydrated.createdAt?.getTime()).toBe(T0 + 1000);
    expect(dehydrated.updatedAt?.getTime()).toBe(T0 + 3000);
    expect(dehydrated.seenAt?.getTime()).toBe(T0 + 10_000);
    expect(dehydrated.serializationId).toBe('1373266758000');
    expect(dehydrated.contains(activities[1])).toBe(true);
    expect(dehydrated.contains(act(9, 9, 9))).toBe(false);
    expect(dehydrated.toString()).toBe(
      'Dehydrated AggregatedActivity (13732667560000000000001003, 13732667570000000000002003, 13732667580000000000003003)',
    );
    expect(aggregated.isDehydrated).toBe(false);
    expect(aggregated.activities).toEqual(activities);
  });

  it('hydrate restores the same activity instances, dates and counts', () => {
    const { activities, aggregated, storage } = sample();
    const dehydrated = aggregated.dehydrate();
    const hydrated = dehydrated.hydrate(storage);
    expect(hydrated.isDehydrated).toBe(false);
    expect(hydrated.activities).toHaveLength(3);
    hydrated.activities.forEach((activity, i) => expect(activity).toBe(activities[i]));
    expect(hydrated.minimizedActivities).toBe(2);
    expect(hydrated.createdAt?.getTime()).toBe(T0 + 1000);
    expect(hydrated.updatedAt?.getTime()).toBe(T0 + 3000);
    expect(hydrated.seenAt?.getTime()).toBe(T0 + 10_000);
    expect(hydrated.equals(aggregated)).toBe(true);
    expect(dehydrated.isDehydrated).toBe(true);
  });

  it('hydrate throws ActivityNotFoundError for a missing id by default', () => {
    const { activities, aggregated, storage } = sample();
    storage.delete(activities[1].serializationId);
    const error = caught(() => aggregated.dehydrate().hydrate(storage));
    expect(error).toBeInstanceOf(ActivityNotFoundError);
    expect((error as ActivityNotFoundError).activityId).toBe('13732667570000000000002003');
    expect((error as Error).message).toBe(
      'activity 13732667570000000000002003 not found in the activity storage',
    );
  });

  it('hydrate with onMissing drops missing ids and reports them', () => {
    const { activities, aggregated, storage } = sample();
    storage.delete(activities[1].serializationId);
    storage.delete(activities[2].serializationId);
    const onMissing = vi.fn();
    const hydrated = aggregated.dehydrate().hydrate(storage, onMissing);
    expect(onMissing).toHaveBeenCalledTimes(1);
    expect(onMissing).toHaveBeenCalledWith([
      '13732667570000000000002003',
      '13732667580000000000003003',
    ]);
    expect(hydrated.activities).toEqual([activities[0]]);
    expect(hydrated.isDehydrated).toBe(false);
  });

  it('hydrate does not call onMissing when nothing is missing', () => {
    const { aggregated, storage } = sample();
    const onMissing = vi.fn();
    aggregated.dehydrate().hydrate(storage, onMissing);
    expect(onMissing).not.toHaveBeenCalled();
  });

  it('hydrate on a hydrated aggregated activity returns an equal copy', () => {
    const { aggregated, storage } = sample();
    const copy = aggregated.hydrate(storage);
    expect(copy).not.toBe(aggregated);
    expect(copy.equals(aggregated)).toBe(true);
    expect(copy.activities).toEqual(aggregated.activities);
  });

  it('refuses to change or read activities of a dehydrated instance', () => {
    const { activities, aggregated } = sample();
    const dehydrated = aggregated.dehydrate();
    const cases: Array<[() => unknown, string]> = [
      [
        () => dehydrated.append(act(9, 9, 9)),
        'cannot append to a dehydrated aggregated activity ("g"); hydrate it first',
      ],
      [
        () => dehydrated.remove(activities[0]),
        'cannot remove from a dehydrated aggregated activity ("g"); hydrate it first',
      ],
      [
        () => dehydrated.removeMany([activities[0]]),
        'cannot remove from a dehydrated aggregated activity ("g"); hydrate it first',
      ],
      [
        () => dehydrated.verb,
        'cannot read the verb of a dehydrated aggregated activity ("g"); hydrate it first',
      ],
      [
        () => dehydrated.lastActivity,
        'cannot read the last activity of a dehydrated aggregated activity ("g"); hydrate it first',
      ],
    ];
    for (const [operation, message] of cases) {
      const error = caught(operation);
      expect(SfError.isInstance(error)).toBe(true);
      expect((error as SfError).code).toBe('SF_DEHYDRATED');
      expect((error as SfError).message).toBe(message);
    }
    expect(dehydrated.activityIds).toHaveLength(3);
  });

  it('dehydrating twice keeps the ids', () => {
    const { aggregated } = sample();
    const twice = aggregated.dehydrate().dehydrate();
    expect(twice.isDehydrated).toBe(true);
    expect(twice.activityIds).toEqual(aggregated.activityIds);
  });
});

describe('clone', () => {
  it('is independent of the original', () => {
    const a = act(1, 1, 1);
    const original = new AggregatedActivity({ group: 'g', activities: [a], maxActivities: 5 });
    const copy = original.clone();
    expect(copy).not.toBe(original);
    expect(copy.maxActivities).toBe(5);
    expect(copy.equals(original)).toBe(true);

    copy.append(act(2, 2, 2));
    copy.seenAt = new Date(T0 + 9000);
    expect(copy.activities).toHaveLength(2);
    expect(original.activities).toEqual([a]);
    expect(original.updatedAt?.getTime()).toBe(T0 + 1000);
    expect(original.seenAt).toBeNull();
  });

  it('does not share Date objects with the original', () => {
    const original = new AggregatedActivity({ group: 'g', activities: [act(1, 1, 1)] });
    const copy = original.clone();
    copy.updatedAt?.setTime(0);
    copy.createdAt?.setTime(0);
    expect(original.updatedAt?.getTime()).toBe(T0 + 1000);
    expect(original.createdAt?.getTime()).toBe(T0 + 1000);
  });

  it('of a dehydrated instance stays dehydrated with the same ids', () => {
    const original = new AggregatedActivity({
      group: 'g',
      activities: [act(1, 1, 1), act(2, 2, 2)],
    }).dehydrate();
    const copy = original.clone();
    expect(copy.isDehydrated).toBe(true);
    expect(copy.activityIds).toEqual(original.activityIds);
  });
});

describe('equals', () => {
  const a = act(1, 1, 1);
  const b = act(2, 2, 2);
  const base = () => new AggregatedActivity({ group: 'g', activities: [a, b] });

  it('ignores the group and minimizedActivities', () => {
    const other = new AggregatedActivity({
      group: 'other',
      activities: [a, b],
      minimizedActivities: 7,
    });
    expect(base().equals(other)).toBe(true);
  });

  it('accepts dates up to 10 seconds apart', () => {
    const other = base();
    other.updatedAt = new Date(T0 + 2000 + 10_000);
    expect(base().equals(other)).toBe(true);
    other.updatedAt = new Date(T0 + 2000 + 10_001);
    expect(base().equals(other)).toBe(false);
    const created = base();
    created.createdAt = new Date(T0 + 1000 - 10_001);
    expect(base().equals(created)).toBe(false);
  });

  it('compares seenAt and readAt, a missing date only equal to a missing date', () => {
    const seen = base();
    seen.seenAt = new Date(T0);
    expect(base().equals(seen)).toBe(false);
    const bothSeen = base();
    bothSeen.seenAt = new Date(T0 + 5000);
    expect(bothSeen.equals(seen)).toBe(true);
    const read = base();
    read.readAt = new Date(T0);
    expect(base().equals(read)).toBe(false);
  });

  it('requires the same activities in the same order', () => {
    expect(base().equals(new AggregatedActivity({ group: 'g', activities: [b, a] }))).toBe(false);
    expect(base().equals(new AggregatedActivity({ group: 'g', activities: [a] }))).toBe(false);
    expect(
      base().equals(new AggregatedActivity({ group: 'g', activities: [a, act(3, 3, 2)] })),
    ).toBe(false);
  });

  it('compares a dehydrated copy by its ids', () => {
    expect(base().dehydrate().equals(base())).toBe(true);
  });

  it('is false for something that is not an aggregated activity', () => {
    expect(base().equals(a as unknown as AggregatedActivity)).toBe(false);
  });
});

describe('NotificationActivity', () => {
  function notification(): NotificationActivity {
    return new NotificationActivity({ group: 'n', activities: [act(1, 1, 1)] });
  }

  it('falls back to seenAt / readAt until the feed sets seen / read', () => {
    const n = notification();
    expect(n.seen).toBeUndefined();
    expect(n.read).toBeUndefined();
    expect([n.isSeen(), n.isRead()]).toEqual([false, false]);
    n.seenAt = new Date(T0 + 1000);
    n.readAt = new Date(T0 + 1000);
    expect([n.isSeen(), n.isRead()]).toEqual([true, true]);
  });

  it('seen / read override the dates', () => {
    const n = notification();
    n.seenAt = new Date(T0 + 1000);
    n.seen = false;
    n.read = true;
    expect([n.isSeen(), n.isRead()]).toEqual([false, true]);
  });

  it('keeps seen / read and its class through clone, dehydrate and hydrate', () => {
    const a = act(1, 1, 1);
    const n = new NotificationActivity({ group: 'n', activities: [a] });
    n.seen = true;
    n.read = false;
    const copy = n.clone();
    const dehydrated = n.dehydrate();
    const hydrated = dehydrated.hydrate(new Map([[a.serializationId, a]]));
    for (const x of [copy, dehydrated, hydrated]) {
      expect(x).toBeInstanceOf(NotificationActivity);
      expect([x.seen, x.read]).toEqual([true, false]);
      expect([x.isSeen(), x.isRead()]).toEqual([true, false]);
    }
    copy.seen = false;
    expect(n.seen).toBe(true);
  });

  it('is an AggregatedActivity', () => {
    const n = notification();
    expect(n).toBeInstanceOf(AggregatedActivity);
    expect(n.serializationId).toBe('1373266756000');
  });
});
