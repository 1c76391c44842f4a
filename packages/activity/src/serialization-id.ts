import { InvalidActivityError, SerializationIdError } from './errors.js';

/** Object ids must stay below this to fit the 10 digits of a serialization id. */
export const MAX_OBJECT_ID = 9_999_999_999;

const decimal = /^(0|[1-9][0-9]*)$/;

const ZEROS = [
  '',
  '0',
  '00',
  '000',
  '0000',
  '00000',
  '000000',
  '0000000',
  '00000000',
  '000000000',
  '0000000000',
];

/**
 * Stream Framework's serialization id: epoch milliseconds, the object id left-padded to 10
 * digits, the verb id left-padded to 3. The milliseconds are computed exactly as Python does
 * (`int(total_seconds * 1000)` on doubles), so both libraries agree on every id.
 */
export function computeSerializationId(
  epochMicroseconds: number,
  objectId: number,
  verbId: number,
): string {
  if (!Number.isInteger(epochMicroseconds) || epochMicroseconds < 0) {
    throw new SerializationIdError(
      `epoch microseconds must be a non-negative integer to build a serialization id, got ${String(epochMicroseconds)}`,
    );
  }
  if (!Number.isInteger(objectId) || objectId < 0) {
    throw new SerializationIdError(
      `object id must be a non-negative integer to build a serialization id, got ${String(objectId)}`,
    );
  }
  if (!Number.isInteger(verbId) || verbId < 0) {
    throw new SerializationIdError(
      `verb id must be a non-negative integer to build a serialization id, got ${String(verbId)}`,
    );
  }
  if (objectId > MAX_OBJECT_ID) {
    throw new SerializationIdError(
      `object id ${objectId} has more than 10 digits and does not fit a serialization id (max ${MAX_OBJECT_ID})`,
    );
  }
  if (verbId > 999) {
    throw new SerializationIdError(
      `verb id ${verbId} has more than 3 digits and does not fit a serialization id`,
    );
  }
  const milliseconds = Math.trunc((epochMicroseconds / 1e6) * 1000);
  const objectText = String(objectId);
  const verbText = String(verbId);
  // Zero padding from a table: padStart was a quarter of the time of decoding an activity.
  const id = `${milliseconds}${ZEROS[10 - objectText.length]}${objectText}${ZEROS[3 - verbText.length]}${verbText}`;
  // Python reads the concatenation as an integer: within the first millisecond of 1970 the
  // leading zeros disappear ('0' + '0000000005' + '003' is 5003).
  return milliseconds === 0 ? id.replace(/^0+(?=[0-9])/, '') : id;
}

/**
 * How an activity's serialization id is made:
 * - `'actor'` (the default): Stream Framework's id followed by the actor id zero-padded to
 *   20 digits (every unsigned 64-bit id), so activities that differ only by actor never share an id;
 * - `'stream-framework'`: Stream Framework's id exactly (time, object, verb; no actor), the only
 *   ids its wire format and Python can store.
 */
export type ActivityIdScheme = 'actor' | 'stream-framework';

/** The id schemes, default first. */
export const ACTIVITY_ID_SCHEMES: readonly ActivityIdScheme[] = Object.freeze([
  'actor',
  'stream-framework',
]);

/**
 * Digits of the actor id at the end of an `'actor'`-scheme id: every unsigned 64-bit id fits
 * (18446744073709551615), so snowflake ids given as bigints too.
 */
export const ACTOR_ID_DIGITS = 20;

/**
 * The longest serialization id: 13 digits of milliseconds (up to 2255), 10 of object id, 3 of
 * verb id and 20 of actor id.
 */
export const MAX_SERIALIZATION_ID_LENGTH = 46;

const ACTOR_ZEROS = '0'.repeat(ACTOR_ID_DIGITS);

/**
 * The `'actor'`-scheme serialization id: Stream Framework's id (`computeSerializationId`)
 * followed by the actor id left-padded to 20 digits. Ordered by time, then object, verb and
 * actor; two activities of this scheme share an id only when all four are equal.
 */
export function computeActorSerializationId(
  epochMicroseconds: number,
  objectId: number,
  verbId: number,
  actorId: number | bigint,
): string {
  const valid =
    typeof actorId === 'bigint' ? actorId >= 0n : Number.isSafeInteger(actorId) && actorId >= 0;
  if (!valid) {
    throw new SerializationIdError(
      `actor id must be a non-negative safe integer or bigint to build a serialization id, got ${String(actorId)}`,
    );
  }
  const actorText = String(actorId);
  if (actorText.length > ACTOR_ID_DIGITS) {
    throw new SerializationIdError(
      `actor id ${actorText} has more than ${ACTOR_ID_DIGITS} digits and does not fit an 'actor'-scheme serialization id (max ${'9'.repeat(ACTOR_ID_DIGITS)}); use idScheme 'stream-framework'`,
    );
  }
  const base = computeSerializationId(epochMicroseconds, objectId, verbId);
  // Within the first millisecond of 1970 with object 0 and verb 0 the base id is '0'.
  if (base === '0') return actorText;
  return `${base}${ACTOR_ZEROS.slice(actorText.length)}${actorText}`;
}

/** True for a non-negative decimal integer string without leading zeros. */
export function isSerializationId(value: unknown): value is string {
  return typeof value === 'string' && decimal.test(value);
}

/**
 * Normalises an id given as a decimal string, bigint or safe integer to its decimal string.
 * @throws InvalidActivityError for anything else (negative, fractional, unsafe numbers, garbage)
 */
export function toSerializationId(value: string | bigint | number): string {
  if (typeof value === 'string') {
    if (decimal.test(value)) return value;
  } else if (typeof value === 'bigint') {
    if (value >= 0n) return value.toString();
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return String(value);
  }
  throw new InvalidActivityError(
    `an activity id must be a non-negative integer as a decimal string or bigint, got ${typeof value} ${String(value)}`,
    { field: 'id', value },
  );
}

/** Orders two serialization ids numerically (they may be longer than any JS number). */
export function compareSerializationIds(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
