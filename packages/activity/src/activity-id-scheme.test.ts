import { describe, expect, it } from 'vitest';
import { Activity } from './activity.js';
import { ActivityConflictError, InvalidActivityError } from './errors.js';
import {
  MAX_SERIALIZATION_ID_LENGTH,
  compareSerializationIds,
  computeActorSerializationId,
  computeSerializationId,
} from './serialization-id.js';
import { Add, Love } from './verb.js';

/** 2013-07-08 06:59:15.123 UTC */
const T = Date.UTC(2013, 6, 8, 6, 59, 15, 123);

describe('Activity id schemes (issue 12 item 3)', () => {
  it("defaults to the 'actor' scheme: Python's id, then the actor id padded to 20 digits", () => {
    const activity = new Activity({ actor: 13, verb: Love, object: 42, time: T });
    expect(activity.idScheme).toBe('actor');
    expect(activity.serializationId).toBe('13732667551230000000042003' + '00000000000000000013');
    expect(activity.serializationId).toBe(computeActorSerializationId(T * 1000, 42, 3, 13));
  });

  it("keeps Python's id exactly in the 'stream-framework' scheme", () => {
    const activity = new Activity({
      actor: 13,
      verb: Love,
      object: 42,
      time: T,
      idScheme: 'stream-framework',
    });
    expect(activity.idScheme).toBe('stream-framework');
    expect(activity.serializationId).toBe('13732667551230000000042003');
    expect(activity.serializationId).toBe(computeSerializationId(T * 1000, 42, 3));
  });

  it('gives two actors loving the same object in the same millisecond two ids (not in Python ids)', () => {
    const one = new Activity({ actor: 1, verb: Love, object: 5, time: T });
    const two = new Activity({ actor: 2, verb: Love, object: 5, time: T });
    expect(one.serializationId).not.toBe(two.serializationId);
    expect(one.equals(two)).toBe(false);
    expect(one.compare(two)).toBe(-1);
    const sf = (activity: Activity) => activity.withIdScheme('stream-framework').serializationId;
    expect(sf(one)).toBe(sf(two));
  });

  it('orders actor-scheme ids by time, then object, verb and actor', () => {
    const at = (time: number, object: number, verb: typeof Love, actor: number) =>
      new Activity({ actor, verb, object, time });
    const sorted = [
      at(T, 5, Love, 1),
      at(T, 5, Love, 2),
      at(T, 5, Add, 0),
      at(T, 6, Love, 0),
      at(T + 1, 0, Love, 0),
      at(T + 1, 0, Love, Number.MAX_SAFE_INTEGER),
    ];
    for (let i = 1; i < sorted.length; i++) {
      expect(
        compareSerializationIds(sorted[i - 1]!.serializationId, sorted[i]!.serializationId),
      ).toBe(-1);
    }
  });

  it('fits every actor-scheme id in MAX_SERIALIZATION_ID_LENGTH digits', () => {
    const longest = new Activity({
      actor: 2n ** 64n - 1n,
      verb: { id: 999, infinitive: 'x', pastTense: 'xed' },
      object: 9_999_999_999,
      epochMicroseconds: Number.MAX_SAFE_INTEGER,
    });
    expect(longest.serializationId).toHaveLength(MAX_SERIALIZATION_ID_LENGTH);
    expect(longest.serializationId).toBe(
      '9007199254740' + '9999999999' + '999' + '18446744073709551615',
    );
    expect(
      new Activity({ actor: Number.MAX_SAFE_INTEGER, verb: Love, object: 1, time: 0 })
        .serializationId,
    ).toBe('1003' + '00009007199254740991');
  });

  it('gives actor ids of more than 20 digits a stand-in in the actor scheme, and takes them in the Stream Framework one', () => {
    expect(() => computeActorSerializationId(0, 1, 3, 10n ** 20n)).toThrow(
      /actor id 100000000000000000000 has more than 20 digits/,
    );
    const huge = new Activity({ actor: 10n ** 20n, verb: Love, object: 1, time: 0 });
    expect(huge.actorId).toBe(10n ** 20n);
    expect(huge.serializationId).toMatch(/^1003[0-9]{20}$/);
    const python = new Activity({
      actor: 10n ** 20n,
      verb: Love,
      object: 1,
      time: 0,
      idScheme: 'stream-framework',
    });
    expect(python.actorId).toBe(10n ** 20n);
  });

  it('never gives leading zeros, even in the first millisecond of 1970', () => {
    expect(new Activity({ actor: 7, verb: Love, object: 5, time: 0 }).serializationId).toBe(
      '5003' + '00000000000000000007',
    );
    expect(computeActorSerializationId(0, 0, 0, 7)).toBe('7');
    expect(computeActorSerializationId(0, 0, 0, 0)).toBe('0');
    expect(computeActorSerializationId(0, 0, 1, 0)).toBe('100000000000000000000');
  });

  it('withExtraContext keeps the class, every other field and the serialization id (update in place)', () => {
    class PinActivity extends Activity {}
    for (const idScheme of ['actor', 'stream-framework'] as const) {
      const activity = new PinActivity({
        actor: { id: 3 },
        verb: Add,
        object: 42,
        target: 9,
        epochMicroseconds: T * 1000 + 456,
        extraContext: { title: 'cats', likes: 1 },
        idScheme,
      });
      const edited = activity.withExtraContext({ title: 'dogs', likes: 2 });
      expect(edited).toBeInstanceOf(PinActivity);
      expect(edited).not.toBe(activity);
      expect(edited.serializationId).toBe(activity.serializationId);
      expect(edited.idScheme).toBe(idScheme);
      expect([edited.actor, edited.verb, edited.object, edited.target]).toEqual([
        { id: 3 },
        Add,
        42,
        9,
      ]);
      expect(edited.epochMicroseconds).toBe(T * 1000 + 456);
      expect(edited.extraContext).toEqual({ title: 'dogs', likes: 2 });
      expect(activity.extraContext).toEqual({ title: 'cats', likes: 1 });
    }
  });

  it('withIdScheme keeps every field and the class, and returns the same instance for the same scheme', () => {
    class PinActivity extends Activity {}
    const activity = new PinActivity({
      actor: { id: 3 },
      verb: Add,
      object: 42,
      target: 9,
      epochMicroseconds: T * 1000 + 456,
      extraContext: { board: 'cats' },
    });
    expect(activity.withIdScheme('actor')).toBe(activity);
    const python = activity.withIdScheme('stream-framework');
    expect(python).toBeInstanceOf(PinActivity);
    expect(python.idScheme).toBe('stream-framework');
    expect(python.serializationId).toBe('13732667551230000000042004');
    expect([python.actor, python.verb, python.object, python.target]).toEqual([
      { id: 3 },
      Add,
      42,
      9,
    ]);
    expect(python.epochMicroseconds).toBe(T * 1000 + 456);
    expect(python.extraContext).toBe(activity.extraContext);
    expect(python.withIdScheme('actor').serializationId).toBe(activity.serializationId);
  });

  it('refuses an unknown scheme', () => {
    expect(
      () => new Activity({ actor: 1, verb: Love, object: 1, idScheme: 'python' as 'actor' }),
    ).toThrow(InvalidActivityError);
    expect(
      () => new Activity({ actor: 1, verb: Love, object: 1, idScheme: 'python' as 'actor' }),
    ).toThrow(`activity idScheme must be 'actor' or 'stream-framework', got "python"`);
  });

  it('ActivityConflictError names the id and both actors', () => {
    const error = new ActivityConflictError('13732667551230000000005003', 1, 2);
    expect(error.code).toBe('SF_ACTIVITY_CONFLICT');
    expect([error.activityId, error.storedActorId, error.newActorId]).toEqual([
      '13732667551230000000005003',
      1,
      2,
    ]);
    expect(error.message).toContain('activity 13732667551230000000005003 of actor 2 was refused');
    expect(error.message).toContain(
      'an activity of actor 1 is stored under the same serialization id',
    );
  });
});
