/**
 * A `Date` holds milliseconds, while Stream Framework (Python's `datetime`) keeps microseconds.
 * Dates made here remember their epoch microseconds, so an activity's time and an aggregated
 * activity's dates keep the precision they arrived with end to end. A Date changed since (with
 * `setTime`...), or made elsewhere, falls back to its milliseconds.
 */
const remembered = new WeakMap<Date, bigint | number>();

function floorToMilliseconds(epochMicroseconds: bigint): bigint {
  const quotient = epochMicroseconds / 1000n;
  return epochMicroseconds < 0n && quotient * 1000n !== epochMicroseconds
    ? quotient - 1n
    : quotient;
}

/** A Date at these epoch microseconds (truncated to milliseconds) that remembers them. */
export function dateFromEpochMicroseconds(epochMicroseconds: bigint | number): Date {
  // Safe integers (every activity time) stay numbers: no bigint work on the hot path.
  const date =
    typeof epochMicroseconds === 'number'
      ? new Date(Math.floor(epochMicroseconds / 1000))
      : new Date(Number(floorToMilliseconds(epochMicroseconds)));
  // A whole millisecond needs no remembering (a Date without an entry is its milliseconds x
  // 1000): no WeakMap entry, the costliest part of making a Date here, for most times.
  const whole =
    typeof epochMicroseconds === 'number'
      ? epochMicroseconds % 1000 === 0
      : epochMicroseconds % 1000n === 0n;
  if (!whole && !Number.isNaN(date.getTime())) remembered.set(date, epochMicroseconds);
  return date;
}

/**
 * The epoch microseconds of a Date: those it remembers (made by `dateFromEpochMicroseconds`,
 * `copyPreciseDate`, an activity's `time` or a deserializer) when it still holds the same
 * millisecond, else its milliseconds times 1000.
 */
export function epochMicrosecondsOfDate(date: Date): bigint {
  const stored = remembered.get(date);
  const milliseconds = BigInt(date.getTime());
  if (stored === undefined) return milliseconds * 1000n;
  const micros = BigInt(stored);
  return floorToMilliseconds(micros) === milliseconds ? micros : milliseconds * 1000n;
}

/** An independent copy of a Date that keeps its microseconds. */
export function copyPreciseDate(date: Date): Date {
  const milliseconds = date.getTime();
  // Nothing remembered: its milliseconds are all there is (no bigint work on the hot path).
  if (!remembered.has(date) && !Number.isNaN(milliseconds)) return new Date(milliseconds);
  return dateFromEpochMicroseconds(epochMicrosecondsOfDate(date));
}

/** Orders two Dates to the microsecond. */
export function comparePreciseDates(a: Date, b: Date): number {
  const x = epochMicrosecondsOfDate(a);
  const y = epochMicrosecondsOfDate(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
