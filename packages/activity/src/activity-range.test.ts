import { describe, expect, it } from 'vitest';
import { Activity, MAX_ACTIVITY_TIME_MS, MAX_EPOCH_MICROSECONDS } from './activity.js';
import type { ActivityInit } from './activity.js';
import { InvalidActivityError } from './errors.js';
import { Love } from './verb.js';

const base: ActivityInit = { actor: 7, verb: Love, object: 1 };
const RANGE =
  'allowed: 1970-01-01T00:00:00.000Z to 2255-06-05T23:47:34.740Z (epoch milliseconds 0 to 9007199254740)';

function refusal(init: Partial<ActivityInit>): InvalidActivityError {
  try {
    new Activity({ ...base, ...init });
  } catch (error) {
    if (error instanceof InvalidActivityError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(init)}`);
}

describe('Activity time range (issue 12 item 1)', () => {
  it('names the bound: 2^53 - 1 microseconds, 2255-06-05T23:47:34.740Z', () => {
    expect(MAX_EPOCH_MICROSECONDS).toBe(Number.MAX_SAFE_INTEGER);
    expect(MAX_ACTIVITY_TIME_MS).toBe(9_007_199_254_740);
    expect(new Date(MAX_ACTIVITY_TIME_MS).toISOString()).toBe('2255-06-05T23:47:34.740Z');
  });

  it('accepts the first and the last representable times in both schemes', () => {
    for (const idScheme of ['actor', 'stream-framework'] as const) {
      const last = new Activity({ ...base, time: MAX_ACTIVITY_TIME_MS, idScheme });
      expect(last.serializationId.startsWith('9007199254740')).toBe(true);
      expect(
        new Activity({ ...base, time: new Date(MAX_ACTIVITY_TIME_MS), idScheme }).epochMicroseconds,
      ).toBe(MAX_ACTIVITY_TIME_MS * 1000);
      expect(
        new Activity({
          ...base,
          epochMicroseconds: MAX_EPOCH_MICROSECONDS,
          idScheme,
        }).time.toISOString(),
      ).toBe('2255-06-05T23:47:34.740Z');
      expect(new Activity({ ...base, time: 0, idScheme }).epochMicroseconds).toBe(0);
    }
  });

  it.each<[string, number | Date]>([
    ['year 10000 (the probe)', 253_402_300_800_000],
    ['one millisecond past the bound', MAX_ACTIVITY_TIME_MS + 1],
    ['the largest Date', 8.64e15],
    ['1e21', 1e21],
    ['2^53 + 1', 2 ** 53 + 1],
    ['a Date after 2255', new Date(MAX_ACTIVITY_TIME_MS + 1)],
  ])(
    'refuses time %s with InvalidActivityError naming the field, the value and the range',
    (_label, time) => {
      const error = refusal({ time });
      expect(error.field).toBe('time');
      expect(error.message).toContain(
        'activity time must not be after 2255-06-05T23:47:34.740Z, got ',
      );
      const milliseconds = time instanceof Date ? time.getTime() : time;
      expect(error.message).toContain(String(milliseconds));
      expect(error.message).toContain(RANGE);
    },
  );

  it('names the ISO date of a refused time when a Date can show it', () => {
    expect(refusal({ time: 253_402_300_800_000 }).message).toContain(
      'got +010000-01-01T00:00:00.000Z (epoch milliseconds 253402300800000)',
    );
  });

  it.each<[string, number]>([
    ['2^53', 2 ** 53],
    ['2^53 + 2', 2 ** 53 + 2],
    ['1e21', 1e21],
  ])(
    'refuses epochMicroseconds %s naming the field, the value and the range',
    (_label, epochMicroseconds) => {
      const error = refusal({ epochMicroseconds });
      expect(error.field).toBe('epochMicroseconds');
      expect(error.message).toContain(
        `activity epochMicroseconds must not be above 9007199254740991, got ${String(epochMicroseconds)}`,
      );
      expect(error.message).toContain(
        'allowed: 0 to 9007199254740991 (1970-01-01T00:00:00.000Z to 2255-06-05T23:47:34.740Z)',
      );
    },
  );

  it('names the range for times before 1970 and invalid values too', () => {
    expect(refusal({ time: -1 }).message).toContain(RANGE);
    expect(refusal({ time: Number.POSITIVE_INFINITY }).field).toBe('time');
    expect(refusal({ epochMicroseconds: -1 }).field).toBe('epochMicroseconds');
  });
});
