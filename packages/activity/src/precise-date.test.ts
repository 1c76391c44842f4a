import { describe, expect, it } from 'vitest';
import { Activity } from './activity.js';
import { AggregatedActivity } from './aggregated-activity.js';
import {
  comparePreciseDates,
  copyPreciseDate,
  dateFromEpochMicroseconds,
  epochMicrosecondsOfDate,
} from './precise-date.js';
import { Love } from './verb.js';

const at = (micros: number) =>
  new Activity({ actor: 1, verb: Love, object: micros % 1000, epochMicroseconds: micros });

describe('precise dates (issue 12 item 14)', () => {
  it('remember their microseconds until changed', () => {
    const date = dateFromEpochMicroseconds(1393909567123456n);
    expect(date.getTime()).toBe(1393909567123);
    expect(epochMicrosecondsOfDate(date)).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(copyPreciseDate(date))).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(dateFromEpochMicroseconds(-1500n))).toBe(-1500n);
    expect(epochMicrosecondsOfDate(new Date(5))).toBe(5000n);
    date.setTime(1000);
    expect(epochMicrosecondsOfDate(date)).toBe(1_000_000n);
    expect(
      comparePreciseDates(dateFromEpochMicroseconds(1001n), dateFromEpochMicroseconds(1002n)),
    ).toBe(-1);
  });

  it("an activity's time and the dates of aggregated activities keep the microseconds", () => {
    expect(epochMicrosecondsOfDate(at(1393909567123456).time)).toBe(1393909567123456n);
    const aggregated = new AggregatedActivity({ group: 'g' });
    aggregated.append(at(1393909567123456));
    aggregated.append(at(1393909567123999)); // same millisecond, later microsecond
    aggregated.append(at(1393909567123001)); // same millisecond, earlier: updatedAt stays
    expect(epochMicrosecondsOfDate(aggregated.createdAt!)).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(aggregated.updatedAt!)).toBe(1393909567123999n);
    const copy = aggregated.clone();
    expect(epochMicrosecondsOfDate(copy.createdAt!)).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(copy.dehydrate().updatedAt!)).toBe(1393909567123999n);
    copy.remove(copy.activities[2]!);
    expect(epochMicrosecondsOfDate(copy.updatedAt!)).toBe(1393909567123999n);
    // seen a microsecond before the update: not seen (Python compares datetimes)
    aggregated.seenAt = dateFromEpochMicroseconds(1393909567123998n);
    expect(aggregated.isSeen()).toBe(false);
    aggregated.seenAt = dateFromEpochMicroseconds(1393909567123999n);
    expect(aggregated.isSeen()).toBe(true);
    const given = new AggregatedActivity({
      group: 'g',
      seenAt: aggregated.seenAt,
      activityIds: [],
    });
    expect(epochMicrosecondsOfDate(given.seenAt!)).toBe(1393909567123999n);
  });
});
