/**
 * Property tests of the pickle codec's Python types (`pythonTypes`, issue 12 item 15): values with
 * datetimes, sets, int-keyed dicts and 64-bit ints, pickled as CPython writes them at protocols 0,
 * 2 and 4 by an independent encoder (./testing/python-pickle-encoder.ts), read back to the same
 * values, and written back by `pickleDumps` to the very same bytes at protocols 2 and 4.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PythonDateTime, pickleDumps, pickleLoads } from '@sf/serializers';
import { text } from './testing/arbitraries.js';
import { encodePythonPickle } from './testing/python-pickle-encoder.js';
import type { PythonKey, PythonPlain } from './testing/python-pickle-encoder.js';

const RUNS = Number(process.env.SF_PROPERTY_RUNS || 150);

const int = fc.oneof(
  fc.integer({ min: -70_000, max: 70_000 }),
  fc
    .bigInt({ min: -(2n ** 63n), max: 2n ** 64n })
    .map((v) =>
      v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v,
    ),
);
const datetime = fc
  .record({
    micros: fc.bigInt({ min: -62135596800000000n, max: 253402300799999999n }),
    fold: fc.constantFrom(0 as const, 0 as const, 1 as const),
  })
  .map(({ micros, fold }) => {
    const d = PythonDateTime.fromEpochMicroseconds(micros);
    return new PythonDateTime(
      d.year,
      d.month,
      d.day,
      d.hour,
      d.minute,
      d.second,
      d.microsecond,
      fold,
    );
  });
const key: fc.Arbitrary<PythonKey> = fc.oneof(int, text(4), fc.tuple(int, text(3)));
const value: fc.Arbitrary<PythonPlain> = fc.letrec<{ value: PythonPlain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    int,
    text(8),
    datetime,
    fc
      .uniqueArray(key, {
        maxLength: 5,
        selector: (k) => `${Array.isArray(k) ? 'tuple' : typeof k}:${String(k)}`,
      })
      .map((items) => new Set<PythonKey>(items)),
    // (an empty dict reads as a plain object, so the int-keyed ones have a key)
    fc
      .uniqueArray(fc.tuple(fc.integer({ min: -5, max: 300 }), tie('value')), {
        minLength: 1,
        maxLength: 4,
        selector: ([k]) => k,
      })
      .map((entries) => new Map<PythonKey, PythonPlain>(entries)),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(text(5), tie('value'), { maxKeys: 4 }),
  ),
})).value;
const extraContext = fc.dictionary(text(6), value, { maxKeys: 5 });

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** The value with every datetime's fold cleared. */
function unfold(v: PythonPlain): PythonPlain {
  if (v instanceof PythonDateTime)
    return new PythonDateTime(v.year, v.month, v.day, v.hour, v.minute, v.second, v.microsecond);
  if (Array.isArray(v)) return v.map(unfold);
  if (v instanceof Map) return new Map([...v].map(([k, item]) => [k, unfold(item)]));
  if (v instanceof Set || v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, unfold(item)]));
}

describe("pickles of Python's types, as CPython writes them", () => {
  it('read back to the values they were written from (protocols 0, 2 and 4)', () => {
    fc.assert(
      fc.property(
        extraContext,
        fc.constantFrom(0 as const, 2 as const, 4 as const),
        (context, protocol) => {
          const bytes = encodePythonPickle(context, protocol);
          const loaded = pickleLoads(bytes, { pythonTypes: true });
          // fold is only pickled from protocol 4 on
          expect(loaded, hex(bytes)).toEqual(protocol > 3 ? context : unfold(context));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('are written back to the same bytes (protocols 2 and 4)', () => {
    fc.assert(
      fc.property(extraContext, fc.constantFrom(2 as const, 4 as const), (context, protocol) => {
        const bytes = encodePythonPickle(context, protocol);
        const loaded = pickleLoads(bytes, { pythonTypes: true });
        expect(hex(pickleDumps(loaded, { protocol, pythonTypes: true })), hex(bytes)).toBe(
          hex(bytes),
        );
      }),
      { numRuns: RUNS },
    );
  });
});
