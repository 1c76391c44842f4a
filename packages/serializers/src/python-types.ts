import {
  SerializationError,
  dateFromEpochMicroseconds,
  epochMicrosecondsOfDate,
} from '@sf/activity';

const pad = (value: number, length: number) => String(value).padStart(length, '0');

function checkRange(type: string, field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SerializationError(
      `${type}: ${field} must be an integer from ${min} to ${max}, got ${String(value)}`,
      {
        field,
      },
    );
  }
}

function daysInMonth(year: number, month: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month, 0); // (not Date.UTC, which maps years 0-99 to 1900-1999)
  return date.getUTCDate();
}

/** Days from 1970-01-01 to a proleptic Gregorian date (what `Date.UTC` computes, also before 1970). */
function epochDays(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.round(date.getTime() / 86_400_000);
}

/**
 * Python's naive `datetime.datetime`, with its microseconds (a `Date` has milliseconds only).
 * Read from pickled `extraContext` by the Stream Framework format and written back as the same
 * pickle; Stream Framework's datetimes are naive UTC, so `toDate()` / `epochMicroseconds` read it
 * as UTC. `fold` is Python's `fold` attribute (pickled from protocol 4 on).
 */
export class PythonDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour = 0,
    readonly minute = 0,
    readonly second = 0,
    readonly microsecond = 0,
    readonly fold: 0 | 1 = 0,
  ) {
    checkRange('datetime', 'year', year, 1, 9999);
    checkRange('datetime', 'month', month, 1, 12);
    checkRange('datetime', 'day', day, 1, daysInMonth(year, month));
    checkRange('datetime', 'hour', hour, 0, 23);
    checkRange('datetime', 'minute', minute, 0, 59);
    checkRange('datetime', 'second', second, 0, 59);
    checkRange('datetime', 'microsecond', microsecond, 0, 999_999);
    Object.freeze(this);
  }

  /** The naive UTC datetime at these epoch microseconds (a bigint, or a safe integer). */
  static fromEpochMicroseconds(epochMicroseconds: bigint | number): PythonDateTime {
    const micros = BigInt(epochMicroseconds);
    let days = micros / 86_400_000_000n;
    let rest = micros % 86_400_000_000n;
    if (rest < 0n) {
      rest += 86_400_000_000n;
      days -= 1n;
    }
    const date = new Date(Number(days) * 86_400_000);
    const inDay = Number(rest);
    return new PythonDateTime(
      date.getUTCFullYear(),
      date.getUTCMonth() + 1,
      date.getUTCDate(),
      Math.floor(inDay / 3_600_000_000),
      Math.floor(inDay / 60_000_000) % 60,
      Math.floor(inDay / 1_000_000) % 60,
      inDay % 1_000_000,
    );
  }

  /** A Date's time, as a naive UTC datetime, with the microseconds the Date remembers (see `@sf/activity`). */
  static fromDate(date: Date): PythonDateTime {
    return PythonDateTime.fromEpochMicroseconds(epochMicrosecondsOfDate(date));
  }

  /** Epoch microseconds, reading the naive datetime as UTC. */
  get epochMicroseconds(): bigint {
    const days = BigInt(epochDays(this.year, this.month, this.day));
    const seconds = BigInt(this.hour * 3600 + this.minute * 60 + this.second);
    return (days * 86_400n + seconds) * 1_000_000n + BigInt(this.microsecond);
  }

  /** A Date (read as UTC) that remembers the microseconds. */
  toDate(): Date {
    return dateFromEpochMicroseconds(this.epochMicroseconds);
  }

  /** Python's `isoformat()`: `2014-03-04T05:06:07.123456` (no fraction when it is 0). */
  toString(): string {
    const fraction = this.microsecond === 0 ? '' : `.${pad(this.microsecond, 6)}`;
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}T${pad(this.hour, 2)}:${pad(this.minute, 2)}:${pad(this.second, 2)}${fraction}`;
  }

  toJSON(): string {
    return this.toString();
  }

  /** The 10 bytes of Python's pickled state (`datetime._getstate`); fold is kept from protocol 4 on. */
  state(protocol: number): number[] {
    const month = this.month | (this.fold === 1 && protocol > 3 ? 0x80 : 0);
    const us = this.microsecond;
    return [
      this.year >> 8,
      this.year & 0xff,
      month,
      this.day,
      this.hour,
      this.minute,
      this.second,
      us >> 16,
      (us >> 8) & 0xff,
      us & 0xff,
    ];
  }

  /** @throws SerializationError when the bytes are no datetime state */
  static fromState(bytes: readonly number[]): PythonDateTime {
    if (bytes.length !== 10)
      throw new SerializationError(`datetime: expected a 10-byte state, got ${bytes.length} bytes`);
    const [yhi, ylo, m, day, hour, minute, second, us1, us2, us3] = bytes as [
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return new PythonDateTime(
      yhi * 256 + ylo,
      m & 0x7f,
      day,
      hour,
      minute,
      second,
      (us1 << 16) | (us2 << 8) | us3,
      m & 0x80 ? 1 : 0,
    );
  }
}

/** Python's `datetime.date`, read from and written back to pickles. */
export class PythonDate {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
  ) {
    checkRange('date', 'year', year, 1, 9999);
    checkRange('date', 'month', month, 1, 12);
    checkRange('date', 'day', day, 1, daysInMonth(year, month));
    Object.freeze(this);
  }

  /** Python's `isoformat()`: `2014-03-04`. */
  toString(): string {
    return `${pad(this.year, 4)}-${pad(this.month, 2)}-${pad(this.day, 2)}`;
  }

  toJSON(): string {
    return this.toString();
  }

  state(): number[] {
    return [this.year >> 8, this.year & 0xff, this.month, this.day];
  }

  /** @throws SerializationError when the bytes are no date state */
  static fromState(bytes: readonly number[]): PythonDate {
    if (bytes.length !== 4)
      throw new SerializationError(`date: expected a 4-byte state, got ${bytes.length} bytes`);
    return new PythonDate(bytes[0]! * 256 + bytes[1]!, bytes[2]!, bytes[3]!);
  }
}

/** Python's `datetime.timedelta`, normalised as Python keeps it (days, 0 <= seconds < 86400, 0 <= microseconds < 10^6). */
export class PythonTimedelta {
  constructor(
    readonly days: number,
    readonly seconds = 0,
    readonly microseconds = 0,
  ) {
    checkRange('timedelta', 'days', days, -999_999_999, 999_999_999);
    checkRange('timedelta', 'seconds', seconds, 0, 86_399);
    checkRange('timedelta', 'microseconds', microseconds, 0, 999_999);
    Object.freeze(this);
  }

  /** The whole duration in microseconds. */
  get totalMicroseconds(): bigint {
    return (
      (BigInt(this.days) * 86_400n + BigInt(this.seconds)) * 1_000_000n + BigInt(this.microseconds)
    );
  }
}

/** Python's `frozenset` (a `Set` that pickles as a frozenset; read from pickles, written back as one). */
export class PythonFrozenSet<T> extends Set<T> {}
