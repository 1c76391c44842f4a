import {
  type AggregatedActivity,
  AggregatedActivity as AggregatedActivityBase,
  SerializationError,
} from '@sf/activity';
import type { AggregatedFields } from './aggregated-builder.js';
import {
  formatEpochMicroseconds,
  microsecondsToMilliseconds,
  parseEpochMicroseconds,
} from './epoch-text.js';
import { dateFromMicroseconds, microsecondsOfDate } from './precise-dates.js';

/** Stream Framework's aggregated format version prefix. */
export const IDENTIFIER = 'v3';
const DATE_FIELDS = ['createdAt', 'updatedAt', 'seenAt', 'readAt'] as const;
type DateField = (typeof DATE_FIELDS)[number];
const MAX_DATE_MS = 8_640_000_000_000_000n;

/** @throws SerializationError when `value` is not an `AggregatedActivity` */
export function requireAggregated(value: unknown, serializer: string): AggregatedActivity {
  if (!(value instanceof AggregatedActivityBase)) {
    throw new SerializationError(
      `${serializer} can only dump an AggregatedActivity, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * `'v3' + ';;'.join([group, created, updated, seen, read, activities, minimized])`, dates as
 * `'%.6f'` epoch seconds or `-1`.
 */
export function encodeAggregated(aggregated: AggregatedActivity, activitiesPart: string): string {
  const group = aggregated.group;
  if (group.includes(';;') || group.endsWith(';')) {
    throw new SerializationError(
      `group: ${JSON.stringify(group)} contains the reserved separator ';;' (or ends with ';', which would form one)`,
      { field: 'group' },
    );
  }
  const dates = DATE_FIELDS.map((field) => {
    const date = aggregated[field];
    if (date === null) return '-1';
    if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
      throw new SerializationError(`${field}: expected a valid Date or null, got ${String(date)}`, {
        field,
      });
    }
    return formatEpochMicroseconds(microsecondsOfDate(date));
  });
  const minimized = aggregated.minimizedActivities;
  return `${IDENTIFIER}${[group, ...dates, activitiesPart, String(minimized)].join(';;')}`;
}

export interface DecodedAggregated {
  fields: AggregatedFields;
  microseconds: Record<DateField, bigint | null>;
  /** The activities part, still `;`-joined. */
  activitiesPart: string;
}

/** Splits and validates everything but the activities part. */
export function decodeAggregated(data: string, kind: string): DecodedAggregated {
  if (typeof data !== 'string') {
    throw new SerializationError(`${kind}: expected a string, got ${typeof data}`);
  }
  if (!data.startsWith(IDENTIFIER)) {
    throw new SerializationError(
      `version: expected the ${IDENTIFIER} prefix, got ${JSON.stringify(data.slice(0, 20))}`,
      {
        field: 'version',
      },
    );
  }
  const parts = data.slice(IDENTIFIER.length).split(';;');
  if (parts.length !== 7) {
    throw new SerializationError(
      `${kind}: expected 7 ';;'-separated parts (group, 4 dates, activities, minimized), found ${parts.length}`,
    );
  }
  const [group, created, updated, seen, read, activitiesPart, minimized] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (group === '') throw new SerializationError('group: the group is empty', { field: 'group' });
  const microseconds = {} as Record<DateField, bigint | null>;
  const dates = {} as Record<DateField, Date | null>;
  [created, updated, seen, read].forEach((text, index) => {
    const field = DATE_FIELDS[index]!;
    if (text === '-1') {
      microseconds[field] = null;
      dates[field] = null;
      return;
    }
    const micros = parseEpochMicroseconds(text, field);
    const milliseconds = microsecondsToMilliseconds(micros);
    if (milliseconds > MAX_DATE_MS || milliseconds < -MAX_DATE_MS) {
      throw new SerializationError(`${field}: epoch ${text} is outside the range of a Date`, {
        field,
      });
    }
    microseconds[field] = micros;
    dates[field] = dateFromMicroseconds(micros);
  });
  if (!/^[0-9]{1,15}$/.test(minimized)) {
    throw new SerializationError(
      `minimizedActivities: expected a non-negative integer, got ${JSON.stringify(minimized.slice(0, 40))}`,
      {
        field: 'minimizedActivities',
      },
    );
  }
  return {
    fields: { group, ...dates, minimizedActivities: Number(minimized) },
    microseconds,
    activitiesPart,
  };
}

/**
 * Checks that the built instance kept the exact microseconds read (the constructor copies dates
 * with `copyPreciseDate`); kept for subclasses whose constructors make plain Dates.
 */
export function rememberDates(
  aggregated: AggregatedActivity,
  microseconds: Record<DateField, bigint | null>,
): void {
  for (const field of DATE_FIELDS) {
    const date = aggregated[field];
    const micros = microseconds[field];
    if (date !== null && micros !== null && microsecondsOfDate(date) !== micros) {
      aggregated[field] = dateFromMicroseconds(micros);
    }
  }
}
