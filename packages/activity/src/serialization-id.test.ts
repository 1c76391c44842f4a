import { describe, expect, it } from 'vitest';
import { InvalidActivityError, SerializationIdError } from './errors.js';
import {
  MAX_OBJECT_ID,
  compareSerializationIds,
  computeSerializationId,
  isSerializationId,
  toSerializationId,
} from './serialization-id.js';

/** 2013-07-08 06:59:15.123456 UTC, the time of Stream Framework's own serialization test. */
const MICROS_2013 = 1373266755123456;

describe('computeSerializationId', () => {
  it('matches the id Python computes for 2013-07-08 06:59:15.123456, object 42, Love (3)', () => {
    expect(computeSerializationId(MICROS_2013, 42, 3)).toBe('13732667551230000000042003');
  });

  it('is 26 digits for present-day times', () => {
    const id = computeSerializationId(Date.UTC(2024, 0, 1) * 1000, 1, 1);
    expect(id).toBe('17040672000000000000001001');
    expect(id).toHaveLength(26);
  });

  it('truncates sub-millisecond precision like Python int(total_seconds * 1000)', () => {
    expect(computeSerializationId(1373266755123999, 1, 1)).toBe('13732667551230000000001001');
  });

  it('reproduces the double rounding of Python (768 ms becomes 767)', () => {
    // Python: datetime(2004, 4, 30, 7, 39, 55, 768000) -> total_seconds() * 1000 = 1083310795767.9999
    expect(computeSerializationId(1083310795768000, 7, 2)).toBe('10833107957670000000007002');
  });

  it('accepts the largest object id and verb id', () => {
    expect(MAX_OBJECT_ID).toBe(9_999_999_999);
    expect(computeSerializationId(MICROS_2013, 9_999_999_999, 999)).toBe(
      '13732667551239999999999999',
    );
  });

  it('rejects an object id of 10^10 or more', () => {
    expect(() => computeSerializationId(MICROS_2013, 10_000_000_000, 3)).toThrow(
      SerializationIdError,
    );
    expect(() => computeSerializationId(MICROS_2013, 10_000_000_000, 3)).toThrow(
      /object id 10000000000 has more than 10 digits/,
    );
  });

  it('rejects a verb id of 1000 or more', () => {
    expect(() => computeSerializationId(MICROS_2013, 42, 1000)).toThrow(SerializationIdError);
    expect(() => computeSerializationId(MICROS_2013, 42, 1000)).toThrow(
      /verb id 1000 has more than 3 digits/,
    );
  });

  it.each([
    ['a negative object id', MICROS_2013, -5, 3, /object id .* got -5/],
    ['a fractional object id', MICROS_2013, 1.5, 3, /object id .* got 1.5/],
    ['a NaN object id', MICROS_2013, Number.NaN, 3, /object id .* got NaN/],
    ['a negative verb id', MICROS_2013, 5, -1, /verb id .* got -1/],
    ['negative microseconds', -1_000_000, 5, 3, /epoch microseconds .* got -1000000/],
    ['fractional microseconds', 1.5, 5, 3, /epoch microseconds .* got 1.5/],
  ])(
    'rejects %s instead of building a malformed id',
    (_label, micros, objectId, verbId, message) => {
      expect(() => computeSerializationId(micros, objectId, verbId)).toThrow(SerializationIdError);
      expect(() => computeSerializationId(micros, objectId, verbId)).toThrow(message);
    },
  );

  it('drops leading zeros within the first millisecond of 1970, as Python int() does', () => {
    expect(computeSerializationId(0, 5, 3)).toBe('5003');
    expect(computeSerializationId(999, 5, 3)).toBe('5003');
    expect(computeSerializationId(0, 0, 0)).toBe('0');
    expect(computeSerializationId(1000, 5, 3)).toBe('10000000005003');
  });
});

describe('isSerializationId', () => {
  it.each([
    ['13732667551230000000042003', true],
    ['0', true],
    ['5003', true],
    ['01', false],
    ['-1', false],
    ['1.5', false],
    ['', false],
    [' 1', false],
    [42, false],
    [42n, false],
    [null, false],
  ])('%s -> %s', (value, expected) => {
    expect(isSerializationId(value)).toBe(expected);
  });
});

describe('toSerializationId', () => {
  it('keeps decimal strings as they are', () => {
    expect(toSerializationId('13732667551230000000042003')).toBe('13732667551230000000042003');
    expect(toSerializationId('0')).toBe('0');
  });

  it('converts bigints and safe integers to decimal strings', () => {
    expect(toSerializationId(13732667551230000000042003n)).toBe('13732667551230000000042003');
    expect(toSerializationId(0n)).toBe('0');
    expect(toSerializationId(42)).toBe('42');
    expect(toSerializationId(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it.each([
    ['-1', 'string -1'],
    ['01', 'string 01'],
    ['1.5', 'string 1.5'],
    ['abc', 'string abc'],
    ['', 'string '],
    [2 ** 53, 'number 9007199254740992'],
    [Number.NaN, 'number NaN'],
    [-1, 'number -1'],
    [1.5, 'number 1.5'],
    [-1n, 'bigint -1'],
  ] as Array<[string | number | bigint, string]>)('rejects %s (%s)', (value, described) => {
    expect(() => toSerializationId(value)).toThrow(InvalidActivityError);
    expect(() => toSerializationId(value)).toThrow(`got ${described}`);
  });
});

describe('compareSerializationIds', () => {
  it('orders ids of the same length like numbers', () => {
    expect(
      compareSerializationIds('13732667551230000000042003', '13732667551230000000042004'),
    ).toBe(-1);
    expect(
      compareSerializationIds('13732667551240000000000001', '13732667551230000000042003'),
    ).toBe(1);
    expect(
      compareSerializationIds('13732667551230000000042003', '13732667551230000000042003'),
    ).toBe(0);
  });

  it('orders ids of different lengths by value, not lexicographically', () => {
    expect(compareSerializationIds('9', '10')).toBe(-1);
    expect(compareSerializationIds('10', '9')).toBe(1);
    // a 25-digit id (12-digit milliseconds: before September 2001) against a 26-digit one
    expect(compareSerializationIds('9990000000000000000042003', '13732667551230000000042003')).toBe(
      -1,
    );
    // a 27-digit id (after year 2286) sorts after every 26-digit one
    expect(
      compareSerializationIds('100000000000000000000001001', '99999999999999999999999999'),
    ).toBe(1);
  });

  it('sorts a mixed list numerically', () => {
    const ids = ['100', '5003', '9', '13732667551230000000042003', '10'];
    expect([...ids].sort(compareSerializationIds)).toEqual([
      '9',
      '10',
      '100',
      '5003',
      '13732667551230000000042003',
    ]);
  });
});
