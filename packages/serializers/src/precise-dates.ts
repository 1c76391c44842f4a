import { dateFromEpochMicroseconds, epochMicrosecondsOfDate } from '@sf/activity';

/**
 * `AggregatedActivity` keeps its dates as `Date`s (milliseconds), while Stream Framework writes
 * them with microseconds. Dates from `@sf/activity`'s `dateFromEpochMicroseconds` (what the
 * deserializers and `Activity.time` return) remember their microseconds, so writing an
 * aggregated activity back unchanged gives the same string (Redis removes sorted-set members by
 * exact string), and a date derived from an activity keeps the activity's microseconds. A Date
 * changed with `setTime`, or a new Date, falls back to its milliseconds.
 */
export function dateFromMicroseconds(epochMicroseconds: bigint): Date {
  return dateFromEpochMicroseconds(epochMicroseconds);
}

export function microsecondsOfDate(date: Date): bigint {
  return epochMicrosecondsOfDate(date);
}
