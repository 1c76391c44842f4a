import { describe, expect, it } from 'vitest';
import { Activity, Love, defineVerb } from '@sf/activity';
import { indexValue, indexedValuesOf, matchesWhere } from './backend/indexes.js';
import { InvalidQueryError } from './errors.js';
import { resolveVerbId, toViewFilter } from './query.js';

const index = { verb: true, field: 'board' } as const;

describe('verb and field filters (units)', () => {
  it('index values: strings as they are, integers as decimals, nothing else', () => {
    expect(indexValue('b1')).toBe('b1');
    expect(indexValue(12)).toBe('12');
    expect(indexValue(12n)).toBe('12');
    expect(indexValue(1.5)).toBeUndefined();
    expect(indexValue(null)).toBeUndefined();
    expect(indexValue({ a: 1 })).toBeUndefined();
  });

  it("an activity's indexed values, and matching", () => {
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 2,
      time: Date.UTC(2024, 0, 1),
      extraContext: { board: 7 },
    });
    const values = indexedValuesOf(activity, index);
    expect(values).toEqual({ verb: Love.id, field: '7' });
    expect(indexedValuesOf(activity, { verb: false, field: null })).toEqual({});
    expect(indexedValuesOf({ serializationId: '1' }, index)).toEqual({});
    expect(matchesWhere(values, { verb: Love.id, field: '7' })).toBe(true);
    expect(matchesWhere(values, { field: '8' })).toBe(false);
    expect(matchesWhere({}, { verb: Love.id })).toBe(false);
  });

  it('resolves verbs by infinitive, id or Verb; unknown ones name themselves', () => {
    const Cheer = defineVerb({ id: 77, infinitive: 'cheer', pastTense: 'cheered' });
    expect(resolveVerbId('cheer')).toBe(77);
    expect(resolveVerbId(77)).toBe(77);
    expect(resolveVerbId('77')).toBe(77);
    expect(resolveVerbId(Cheer)).toBe(77);
    // A Verb of another registry is taken by its id.
    expect(resolveVerbId({ id: 500, infinitive: 'x', pastTense: 'xed' })).toBe(500);
    expect(() => resolveVerbId('boo')).toThrow(InvalidQueryError);
    expect(() => resolveVerbId('boo')).toThrow(/unknown verb "boo"; registered verbs: .*cheer/);
    expect(() => resolveVerbId(null)).toThrow(InvalidQueryError);
  });

  it('splits a filter into id bounds and indexed values, combining with earlier ones', () => {
    const first = toViewFilter(
      { filter: {}, where: {} },
      { verb: 'love', activityIdLt: '123' },
      index,
      'f',
    );
    expect(first).toEqual({ filter: { lt: '123' }, where: { verb: Love.id } });
    const second = toViewFilter(first, { extraContext: { board: 9 } }, index, 'f');
    expect(second).toEqual({ filter: { lt: '123' }, where: { verb: Love.id, field: '9' } });
    expect(() => toViewFilter(first, { verb: 'love' }, { verb: false, field: null }, 'f')).toThrow(
      /feed f cannot filter on verb: declare it with Feed\.define\(\{ index: \{ verb: true \} \}\) \(it has no index\)/,
    );
    expect(() => toViewFilter(first, { extraContext: 'x' as never }, index, 'f')).toThrow(
      InvalidQueryError,
    );
    expect(() => toViewFilter(first, { colour: 1 } as never, index, 'f')).toThrow(
      /unknown filter "colour"; use one of .*verb, extraContext/,
    );
  });
});
