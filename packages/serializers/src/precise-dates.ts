import { microsecondsToMilliseconds } from './epoch-text.js';

/**
 * `AggregatedActivity` keeps its dates as `Date`s (milliseconds), while Stream Framework writes
 * them with microseconds. The Dates a Stream Framework deserializer returns remember their
 * microseconds here, so writing an aggregated activity back unchanged gives the same string
 * (Redis removes sorted-set members by exact string). A Date changed with `setTime`, or a new
 * Date, falls back to its milliseconds.
 */
const microseconds = new WeakMap<Date, bigint>();

export function dateFromMicroseconds(epochMicroseconds: bigint): Date {
  const date = new Date(Number(microsecondsToMilliseconds(epochMicroseconds)));
  microseconds.set(date, epochMicroseconds);
  return date;
}

export function rememberMicroseconds(date: Date | null, epochMicroseconds: bigint | null): void {
  if (date !== null && epochMicroseconds !== null) microseconds.set(date, epochMicroseconds);
}

export function microsecondsOfDate(date: Date): bigint {
  const remembered = microseconds.get(date);
  const milliseconds = BigInt(date.getTime());
  if (remembered !== undefined && microsecondsToMilliseconds(remembered) === milliseconds)
    return remembered;
  return milliseconds * 1000n;
}
