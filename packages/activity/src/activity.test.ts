import { describe, expect, it } from 'vitest';
import { Activity, sortActivities } from './activity.js';
import type { ActivityInit } from './activity.js';
import { DehydratedActivity } from './dehydrated-activity.js';
import { InvalidActivityError, SerializationIdError } from './errors.js';
import { Add, Comment, Follow, Love } from './verb.js';
import type { Verb } from './verb.js';

/** 2013-07-08 06:59:15.123456 UTC */
const MICROS_2013 = 1373266755123456;
/** 2013-07-08 06:59:15 UTC in milliseconds */
const T0 = Date.UTC(2013, 6, 8, 6, 59, 15);

describe('Activity construction', () => {
  it('keeps ids, verb, time and an empty extra context', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
      time: new Date(T0 + 123),
    });
    expect(activity.actorId).toBe(1);
    expect(activity.actor).toBe(1);
    expect(activity.objectId).toBe(42);
    expect(activity.object).toBe(42);
    expect(activity.target).toBeNull();
    expect(activity.targetId).toBeNull();
    expect(activity.verb).toBe(Love);
    expect(activity.time.toISOString()).toBe('2013-07-08T06:59:15.123Z');
    expect(activity.epochMicroseconds).toBe(1373266755123000);
    expect(activity.extraContext).toEqual({});
    expect(activity.serializationId).toBe('13732667551230000000042003');
  });

  it('computes the serialization id of the Python test example from epochMicroseconds', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
      epochMicroseconds: MICROS_2013,
    });
    expect(activity.serializationId).toBe('13732667551230000000042003');
    expect(activity.epochMicroseconds).toBe(MICROS_2013);
    // time is the microseconds truncated to milliseconds
    expect(activity.time.getTime()).toBe(1373266755123);
  });

  it('prefers epochMicroseconds over time', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
      time: new Date(0),
      epochMicroseconds: MICROS_2013,
    });
    expect(activity.epochMicroseconds).toBe(MICROS_2013);
  });

  it('accepts time as epoch milliseconds (fractions of a millisecond are dropped)', () => {
    expect(
      new Activity({
        idScheme: 'stream-framework',
        actor: 1,
        verb: Love,
        object: 42,
        time: T0 + 123,
      }).epochMicroseconds,
    ).toBe(1373266755123000);
    expect(
      new Activity({
        idScheme: 'stream-framework',
        actor: 1,
        verb: Love,
        object: 42,
        time: T0 + 123.9,
      }).epochMicroseconds,
    ).toBe(1373266755123000);
  });

  it('has a 26-digit serialization id for present-day times', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
    });
    expect(activity.serializationId).toMatch(/^[0-9]{26}$/);
    expect(activity.serializationId.endsWith('0000000042003')).toBe(true);
  });

  it('defaults time to now', () => {
    const before = Date.now();
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
    });
    const after = Date.now();
    expect(activity.time.getTime()).toBeGreaterThanOrEqual(before);
    expect(activity.time.getTime()).toBeLessThanOrEqual(after);
    expect(activity.epochMicroseconds % 1000).toBe(0);
  });

  it('accepts time 0 (1970-01-01) and gives it the integer id Python would', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 5,
      time: 0,
    });
    expect(activity.time.toISOString()).toBe('1970-01-01T00:00:00.000Z');
    expect(activity.serializationId).toBe('5003');
    expect(activity.dehydrate().serializationId).toBe('5003');
  });

  it('keeps the double rounding of Python: 768 ms gives an id with 767 ms', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Comment,
      object: 7,
      time: 1083310795768,
    });
    expect(activity.time.getTime()).toBe(1083310795768);
    expect(activity.serializationId).toBe('10833107957670000000007002');
  });

  it('accepts actor, object and target as objects with an id, and keeps the objects', () => {
    const user = { id: 7, name: 'Thierry' };
    const pin = { id: 42, title: 'a pin' };
    const board = { id: 9 };
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: user,
      verb: Add,
      object: pin,
      target: board,
      time: T0,
    });
    expect(activity.actor).toBe(user);
    expect(activity.object).toBe(pin);
    expect(activity.target).toBe(board);
    expect([activity.actorId, activity.objectId, activity.targetId]).toEqual([7, 42, 9]);
    expect(activity.serializationId).toBe('13732667550000000000042004');
  });

  it('accepts a numeric target and id 0', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 0,
      verb: Follow,
      object: 0,
      target: 3,
      time: T0,
    });
    expect([activity.actorId, activity.objectId, activity.targetId]).toEqual([0, 0, 3]);
    expect(activity.serializationId).toBe('13732667550000000000000001');
  });

  it('accepts the largest object id', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 9_999_999_999,
      time: T0,
    });
    expect(activity.serializationId).toBe('13732667550009999999999003');
  });

  it('throws SerializationIdError when the verb id does not fit (object ids take a stand-in)', () => {
    expect(new Activity({ actor: 1, verb: Love, object: 10_000_000_000, time: T0 }).objectId).toBe(
      10_000_000_000,
    );
    const bigVerb: Verb = { id: 1000, infinitive: 'big', pastTense: 'bigged' };
    expect(() => new Activity({ actor: 1, verb: bigVerb, object: 1, time: T0 })).toThrow(
      SerializationIdError,
    );
  });
});

describe('Activity rejects bad input with InvalidActivityError', () => {
  const base: ActivityInit = { actor: 1, verb: Love, object: 42, time: T0 };
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a missing actor',
      { actor: undefined },
      'activity actor must be a non-negative integer id (or an object with one), got undefined',
    ],
    [
      'a negative actor',
      { actor: -1 },
      'activity actor must be a non-negative integer id (or an object with one), got -1',
    ],
    [
      'a fractional object',
      { object: 1.5 },
      'activity object must be a non-negative integer id (or an object with one), got 1.5',
    ],
    [
      'an empty string actor',
      { actor: '' },
      'activity actor must be a non-negative integer id or a string of 1 to 256 characters of well-formed Unicode, got ""',
    ],
    [
      'an object whose id is a lone surrogate',
      { object: { id: '\uD800' } },
      'activity object must be a non-negative integer id or a string of 1 to 256 characters of well-formed Unicode, got {"id":"\\ud800"}',
    ],
    [
      'an object without id',
      { object: { name: 'x' } },
      'activity object must be a non-negative integer id (or an object with one), got {"name":"x"}',
    ],
    [
      'a boolean actor',
      { actor: true },
      'activity actor must be a non-negative integer id (or an object with one), got true',
    ],
    [
      'an unsafe actor id',
      { actor: 2 ** 53 },
      'activity actor must be a non-negative integer id (or an object with one), got 9007199254740992',
    ],
    [
      'a negative target',
      { target: -2 },
      'activity target must be a non-negative integer id (or an object with one), got -2',
    ],
    [
      'a missing verb',
      { verb: undefined },
      'activity verb must be a Verb { id, infinitive, pastTense }, got undefined',
    ],
    [
      'a verb name instead of a verb',
      { verb: 'love' },
      'activity verb must be a Verb { id, infinitive, pastTense }, got "love"',
    ],
    [
      'a verb with a negative id',
      { verb: { id: -1, infinitive: 'x', pastTense: 'y' } },
      'activity verb must be a Verb { id, infinitive, pastTense }, got {"id":-1,"infinitive":"x","pastTense":"y"}',
    ],
    [
      'an invalid Date',
      { time: new Date('not a date') },
      'activity time must be a valid Date or epoch milliseconds, got Invalid Date',
    ],
    [
      'a time string',
      { time: '2013-07-08' },
      'activity time must be a valid Date or epoch milliseconds, got "2013-07-08"',
    ],
    [
      'a NaN time',
      { time: Number.NaN },
      'activity time must be a valid Date or epoch milliseconds, got NaN',
    ],
    [
      'a time before 1970',
      { time: new Date(-1000) },
      'activity time must not be before 1970-01-01, got 1969-12-31T23:59:59.000Z',
    ],
    [
      'negative epochMicroseconds',
      { epochMicroseconds: -1 },
      'activity epochMicroseconds must be a non-negative integer, got -1',
    ],
    [
      'fractional epochMicroseconds',
      { epochMicroseconds: 1.5 },
      'activity epochMicroseconds must be a non-negative integer, got 1.5',
    ],
    [
      'a string extraContext',
      { extraContext: 'x' },
      'activity extraContext must be a plain object, got "x"',
    ],
    [
      'an array extraContext',
      { extraContext: [1, 2] },
      'activity extraContext must be a plain object, got [1,2]',
    ],
    [
      'a Map extraContext',
      { extraContext: new Map([['a', 1]]) },
      'activity extraContext must be a plain object, got {}',
    ],
    [
      'a Date extraContext',
      { extraContext: new Date(T0) },
      'activity extraContext must be a plain object, got Date 2013-07-08T06:59:15.000Z',
    ],
  ])('%s', (_label, override, message) => {
    const init = { ...base, ...override };
    expect(() => new Activity(init)).toThrow(InvalidActivityError);
    expect(() => new Activity(init)).toThrow(message);
  });

  it('rejects a missing init object', () => {
    expect(() => new Activity(undefined as unknown as ActivityInit)).toThrow(
      new InvalidActivityError('Activity needs { actor, verb, object }, got undefined'),
    );
  });
});

describe('Activity extraContext', () => {
  it('is a frozen copy: later changes to the caller object do not reach the activity', () => {
    const context: Record<string, unknown> = { board: 'cats', count: 1 };
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 42,
      time: T0,
      extraContext: context,
    });
    context['board'] = 'dogs';
    context['added'] = true;
    expect(activity.extraContext).toEqual({ board: 'cats', count: 1 });
    expect(Object.isFrozen(activity.extraContext)).toBe(true);
    expect(Object.isFrozen(context)).toBe(false);
    expect(() => {
      (activity.extraContext as Record<string, unknown>)['board'] = 'birds';
    }).toThrow(TypeError);
    expect(activity.extraContext['board']).toBe('cats');
  });

  it('accepts an object without prototype', () => {
    const context = Object.create(null) as Record<string, unknown>;
    context['a'] = 1;
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 42,
      time: T0,
      extraContext: context,
    });
    expect(activity.extraContext['a']).toBe(1);
  });

  it('treats null like no extra context', () => {
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 42,
      time: T0,
      extraContext: null as unknown as undefined,
    });
    expect(activity.extraContext).toEqual({});
  });
});

describe('Activity equality and ordering', () => {
  const a = new Activity({
    idScheme: 'stream-framework',
    actor: 1,
    verb: Love,
    object: 42,
    time: T0,
  });

  it('equals an activity with the same serialization id, whatever the actor, target and extra context', () => {
    const same = new Activity({
      idScheme: 'stream-framework',
      actor: 2,
      verb: Love,
      object: 42,
      target: 5,
      time: T0,
      extraContext: { x: 1 },
    });
    expect(a.equals(same)).toBe(true);
    expect(a.compare(same)).toBe(0);
  });

  it('differs when time, object or verb differ', () => {
    expect(a.equals(new Activity({ actor: 1, verb: Love, object: 42, time: T0 + 1 }))).toBe(false);
    expect(a.equals(new Activity({ actor: 1, verb: Love, object: 43, time: T0 }))).toBe(false);
    expect(a.equals(new Activity({ actor: 1, verb: Comment, object: 42, time: T0 }))).toBe(false);
  });

  it('is never equal to something that is not an Activity', () => {
    expect(a.equals({ serializationId: a.serializationId } as unknown as Activity)).toBe(false);
    expect(a.equals(null as unknown as Activity)).toBe(false);
  });

  it('compares by time, then object id, then verb id', () => {
    const later = new Activity({ actor: 1, verb: Follow, object: 1, time: T0 + 1 });
    const biggerObject = new Activity({ actor: 1, verb: Follow, object: 43, time: T0 });
    const biggerVerb = new Activity({ actor: 1, verb: Add, object: 42, time: T0 });
    expect(a.compare(later)).toBe(-1);
    expect(later.compare(a)).toBe(1);
    expect(a.compare(biggerObject)).toBe(-1);
    expect(a.compare(biggerVerb)).toBe(-1);
    expect(biggerVerb.compare(a)).toBe(1);
  });

  it('orders an id from early 1970 (shorter) before a present-day one', () => {
    const early = new Activity({ actor: 1, verb: Love, object: 5, time: 0 });
    expect(early.compare(a)).toBe(-1);
    expect(a.compare(early)).toBe(1);
  });

  it('sortActivities returns a new array, oldest first, and leaves the input alone', () => {
    const x = new Activity({ actor: 1, verb: Love, object: 1, time: T0 + 2000 });
    const y = new Activity({ actor: 1, verb: Love, object: 2, time: T0 });
    const z = new Activity({ actor: 1, verb: Love, object: 3, time: T0 + 1000 });
    const input = [x, y, z];
    const sorted = sortActivities(input);
    expect(sorted).toEqual([y, z, x]);
    expect(sorted.map((s) => s.objectId)).toEqual([2, 3, 1]);
    expect(input.map((s) => s.objectId)).toEqual([1, 2, 3]);
    expect(sorted).not.toBe(input);
  });
});

describe('Activity helpers', () => {
  it('toString follows Stream Framework repr', () => {
    expect(
      new Activity({
        idScheme: 'stream-framework',
        actor: 1,
        verb: Love,
        object: 8,
        time: T0,
      }).toString(),
    ).toBe('Activity(loved) 1 8');
  });

  it('dehydrate gives a DehydratedActivity with the serialization id', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 42,
      epochMicroseconds: MICROS_2013,
    });
    const dehydrated = activity.dehydrate();
    expect(dehydrated).toBeInstanceOf(DehydratedActivity);
    expect(dehydrated.serializationId).toBe('13732667551230000000042003');
  });

  it('lets a subclass use another id scheme (the shorter id of Stream Framework tests)', () => {
    class CustomActivity extends Activity {
      protected override computeSerializationId(): string {
        const ms = Math.trunc(this.epochMicroseconds / 1000);
        return `${ms}${String(Number(this.objectId) % 100).padStart(2, '0')}${String(this.verb.id).padStart(2, '0')}`;
      }
    }
    const activity = new CustomActivity({ actor: 1, verb: Love, object: 1234, time: T0 + 5 });
    expect(activity.serializationId).toBe('13732667550053403');
    expect(activity).toBeInstanceOf(Activity);
  });
});

describe('64-bit ids (issue 12 item 15)', () => {
  it('keeps actor and target ids beyond 2^53 as bigints, exactly', () => {
    const snowflake = 1234567890123456789n;
    const activity = new Activity({
      actor: snowflake,
      verb: Love,
      object: 5,
      target: { id: snowflake + 1n },
      time: 0,
    });
    expect(activity.actorId).toBe(snowflake);
    expect(activity.targetId).toBe(snowflake + 1n);
    // bigints that fit are numbers, so equal ids compare equal
    expect(new Activity({ actor: 7n, verb: Love, object: 5n, time: 0 }).actorId).toBe(7);
    expect(new Activity({ actor: 7n, verb: Love, object: 5n, time: 0 }).objectId).toBe(5);
    // object ids beyond 2^53 too (issue 16): a hashed stand-in fills the id's 10 object digits
    expect(new Activity({ actor: 1, verb: Love, object: snowflake, time: 0 }).objectId).toBe(
      snowflake,
    );
    expect(() => new Activity({ actor: -1n, verb: Love, object: 1, time: 0 })).toThrow(
      InvalidActivityError,
    );
  });
});
