import { InvalidActivityError } from './errors.js';
import {
  type ActivityIdScheme,
  ACTOR_ID_DIGITS,
  MAX_OBJECT_ID,
  compareSerializationIds,
  computeActorSerializationId,
  computeSerializationId,
} from './serialization-id.js';
import type { Verb } from './verb.js';
import { DehydratedActivity } from './dehydrated-activity.js';
import { dateFromEpochMicroseconds } from './precise-date.js';
import { actorStandIn, foreignIdStandIn, objectStandIn } from './ref-hash.js';

/**
 * The id of an actor, object or target: a non-negative integer (a bigint beyond 2^53, e.g. 64-bit
 * "snowflake" ids) or a string (a UUID, a slug: 1 to 256 characters, well-formed Unicode). Every
 * kind is kept exactly, in the activity and in the stored value; ids that do not fit the digits
 * of a serialization id (strings, object ids beyond 10 digits) take a hashed stand-in there.
 */
export type RefId = number | bigint | string;

/** An actor, object or target: an id, or any object with an `id`. */
export type ActivityRef = RefId | { readonly id: RefId };

/** The longest string id (and foreign id), in UTF-16 code units. */
export const MAX_STRING_ID_LENGTH = 256;

/** Free-form data carried with an activity. Serializers decide which values they can carry. */
export type ExtraContext = Readonly<Record<string, unknown>>;

export interface ActivityInit {
  actor: ActivityRef;
  verb: Verb;
  object: ActivityRef;
  target?: ActivityRef | null | undefined;
  /** When it happened; a Date or epoch milliseconds. Defaults to now. */
  time?: Date | number | undefined;
  /**
   * The time as epoch microseconds, for data written by Python with sub-millisecond precision.
   * Takes precedence over `time`.
   */
  epochMicroseconds?: number | undefined;
  extraContext?: ExtraContext | undefined;
  /**
   * The application's own id of the activity (GetStream's `foreign_id`, e.g. `'pin:123'`): an
   * activity is unique by its foreign id and time. In the default `'actor'` id scheme the
   * serialization id is made from them alone, so adding the same (foreignId, time) again stores
   * nothing new; feeds and storages find and remove activities by it.
   */
  foreignId?: string | null | undefined;
  /**
   * How the serialization id is made: `'actor'` (default; cannot collide for different actors)
   * or `'stream-framework'` (Python's id, required by the Stream Framework format).
   */
  idScheme?: ActivityIdScheme | undefined;
}

/**
 * The latest time an activity can have, in epoch microseconds: ids are computed from the
 * microseconds as a JS number, exact up to `Number.MAX_SAFE_INTEGER` (2255-06-05T23:47:34.740991Z).
 */
export const MAX_EPOCH_MICROSECONDS = Number.MAX_SAFE_INTEGER;

/** The latest `time` an activity can have, in epoch milliseconds: 2255-06-05T23:47:34.740Z. */
export const MAX_ACTIVITY_TIME_MS = Math.floor(MAX_EPOCH_MICROSECONDS / 1000);

const MAX_TIME_ISO = new Date(MAX_ACTIVITY_TIME_MS).toISOString();
const TIME_RANGE = `allowed: 1970-01-01T00:00:00.000Z to ${MAX_TIME_ISO} (epoch milliseconds 0 to ${MAX_ACTIVITY_TIME_MS})`;
const MICROSECONDS_RANGE = `allowed: 0 to ${MAX_EPOCH_MICROSECONDS} (1970-01-01T00:00:00.000Z to ${MAX_TIME_ISO})`;

/**
 * An id: a number when it is a safe integer, a bigint beyond 2^53, or a string.
 */
function refId(field: string, value: unknown): RefId {
  const id = typeof value === 'object' && value !== null && 'id' in value ? value.id : value;
  if (typeof id === 'bigint' && id >= 0n) {
    return id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : id;
  }
  if (typeof id === 'string') return checkedString(field, id, value);
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new InvalidActivityError(
      `activity ${field} must be a non-negative integer id (or an object with one), got ${describe(value)}`,
      { field, value },
    );
  }
  return id;
}

function checkedString(field: string, text: string, value: unknown = text): string {
  if (text.length === 0 || text.length > MAX_STRING_ID_LENGTH || !isWellFormed(text)) {
    throw new InvalidActivityError(
      `activity ${field} must be a non-negative integer id or a string of 1 to ${MAX_STRING_ID_LENGTH} characters of well-formed Unicode, got ${describe(value)}`,
      { field, value },
    );
  }
  return text;
}

function isWellFormed(text: string): boolean {
  // eslint-disable-next-line no-control-regex -- lone surrogates cannot be written as UTF-8
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function foreignIdOf(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    throw new InvalidActivityError(
      `activity foreignId must be a string (e.g. 'pin:123') or null, got ${describe(value)}`,
      { field: 'foreignId', value },
    );
  }
  return checkedString('foreignId', value);
}

/** What fills the 10 object digits of a serialization id. */
function objectDigits(id: RefId): number {
  return typeof id === 'number' && id <= MAX_OBJECT_ID ? id : objectStandIn(id);
}

/** What fills the 20 actor digits of an `'actor'`-scheme serialization id. */
function actorDigits(id: RefId): number | bigint {
  if (typeof id === 'number') return id;
  if (typeof id === 'bigint' && id.toString().length <= ACTOR_ID_DIGITS) return id;
  return actorStandIn(id);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value instanceof Date)
    return Number.isNaN(value.getTime()) ? 'Invalid Date' : `Date ${value.toISOString()}`;
  if (typeof value === 'object' && value !== null) {
    try {
      return JSON.stringify(value);
    } catch {
      return Object.prototype.toString.call(value);
    }
  }
  return String(value);
}

const EMPTY_EXTRA_CONTEXT: ExtraContext = Object.freeze({});

/** An object literal (or `Object.create(null)`): not an array, Map, Date or class instance. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

function epochMicrosecondsOf(init: ActivityInit): number {
  if (init.epochMicroseconds !== undefined) {
    const micros = init.epochMicroseconds;
    if (typeof micros === 'number' && Number.isInteger(micros) && micros > MAX_EPOCH_MICROSECONDS) {
      throw new InvalidActivityError(
        `activity epochMicroseconds must not be above ${MAX_EPOCH_MICROSECONDS}, got ${describe(micros)}; ${MICROSECONDS_RANGE}`,
        { field: 'epochMicroseconds' },
      );
    }
    if (!Number.isSafeInteger(micros) || micros < 0) {
      throw new InvalidActivityError(
        `activity epochMicroseconds must be a non-negative integer, got ${describe(micros)}; ${MICROSECONDS_RANGE}`,
        { field: 'epochMicroseconds' },
      );
    }
    return micros;
  }
  const time = init.time ?? Date.now();
  const milliseconds = time instanceof Date ? time.getTime() : time;
  if (typeof milliseconds !== 'number' || !Number.isFinite(milliseconds)) {
    throw new InvalidActivityError(
      `activity time must be a valid Date or epoch milliseconds, got ${describe(init.time)}; ${TIME_RANGE}`,
      { field: 'time' },
    );
  }
  const whole = Math.trunc(milliseconds);
  if (whole < 0) {
    throw new InvalidActivityError(
      `activity time must not be before 1970-01-01, got ${describeTime(milliseconds)}; ${TIME_RANGE}`,
      { field: 'time' },
    );
  }
  if (whole > MAX_ACTIVITY_TIME_MS) {
    throw new InvalidActivityError(
      `activity time must not be after ${MAX_TIME_ISO}, got ${describeTime(milliseconds)}; ${TIME_RANGE}`,
      { field: 'time' },
    );
  }
  return whole * 1000;
}

/** A time as its ISO date when a Date can show it, with the epoch milliseconds. */
function describeTime(milliseconds: number): string {
  const date = new Date(milliseconds);
  return Number.isNaN(date.getTime())
    ? `${milliseconds} epoch milliseconds`
    : `${date.toISOString()} (epoch milliseconds ${milliseconds})`;
}

function idSchemeOf(value: unknown): ActivityIdScheme {
  if (value === undefined || value === 'actor') return 'actor';
  if (value === 'stream-framework') return value;
  throw new InvalidActivityError(
    `activity idScheme must be 'actor' or 'stream-framework', got ${describe(value)}`,
    { field: 'idScheme' },
  );
}

/**
 * One thing that happened: an actor did a verb to an object (optionally on a target).
 * Activities are immutable; equality and order follow their serialization id.
 */
export class Activity {
  readonly actor: ActivityRef;
  readonly verb: Verb;
  readonly object: ActivityRef;
  readonly target: ActivityRef | null;
  /** A number, a bigint when beyond 2^53, or a string. */
  readonly actorId: RefId;
  /** A number, a bigint when beyond 2^53, or a string. */
  readonly objectId: RefId;
  /** A number, a bigint when beyond 2^53, or a string; null without a target. */
  readonly targetId: RefId | null;
  /** The application's id of the activity (`ActivityInit.foreignId`), or null. */
  readonly foreignId: string | null;
  /** Epoch microseconds; `time` is this truncated to milliseconds. */
  readonly epochMicroseconds: number;
  readonly extraContext: ExtraContext;
  /** How `serializationId` was made (see `ActivityInit.idScheme`). */
  readonly idScheme: ActivityIdScheme;
  readonly serializationId: string;

  constructor(init: ActivityInit) {
    if (typeof init !== 'object' || init === null) {
      throw new InvalidActivityError(
        `Activity needs { actor, verb, object }, got ${describe(init)}`,
      );
    }
    const verb = init.verb as Verb | undefined;
    if (typeof verb !== 'object' || verb === null || !Number.isInteger(verb.id) || verb.id < 0) {
      throw new InvalidActivityError(
        `activity verb must be a Verb { id, infinitive, pastTense }, got ${describe(init.verb)}`,
        { field: 'verb', value: init.verb },
      );
    }
    this.verb = verb;
    this.actorId = refId('actor', init.actor);
    this.objectId = refId('object', init.object);
    this.targetId =
      init.target === undefined || init.target === null ? null : refId('target', init.target);
    this.foreignId = foreignIdOf(init.foreignId);
    this.actor = init.actor;
    this.object = init.object;
    this.target = init.target ?? null;
    this.epochMicroseconds = epochMicrosecondsOf(init);
    const extraContext = init.extraContext ?? EMPTY_EXTRA_CONTEXT;
    if (!isPlainObject(extraContext)) {
      throw new InvalidActivityError(
        `activity extraContext must be a plain object, got ${describe(init.extraContext)}`,
        { field: 'extraContext', value: init.extraContext },
      );
    }
    // A frozen plain object cannot change under the activity: no copy needed (serializers hand
    // over the objects they just parsed, frozen).
    this.extraContext = Object.isFrozen(extraContext)
      ? extraContext
      : Object.freeze({ ...extraContext });
    this.idScheme = idSchemeOf(init.idScheme);
    this.serializationId = this.computeSerializationId();
  }

  /**
   * The same activity (same fields, same class) with its id made by another scheme; `this`
   * when it already uses that scheme. E.g. `activity.withIdScheme('stream-framework')` to store
   * it in the Stream Framework format.
   */
  withIdScheme(idScheme: ActivityIdScheme): this {
    if (idSchemeOf(idScheme) === this.idScheme) return this;
    const ActivityClass = this.constructor as new (init: ActivityInit) => this;
    return new ActivityClass({
      actor: this.actor,
      verb: this.verb,
      object: this.object,
      target: this.target,
      epochMicroseconds: this.epochMicroseconds,
      extraContext: this.extraContext,
      foreignId: this.foreignId,
      idScheme,
    });
  }

  /**
   * The same activity (same fields and class, so the same serialization id) with new
   * `extraContext`: the new version an update in place stores (`Manager.updateActivity`).
   */
  withExtraContext(extraContext: ExtraContext): this {
    const ActivityClass = this.constructor as new (init: ActivityInit) => this;
    return new ActivityClass({
      actor: this.actor,
      verb: this.verb,
      object: this.object,
      target: this.target,
      epochMicroseconds: this.epochMicroseconds,
      extraContext,
      idScheme: this.idScheme,
    });
  }

  /**
   * When the activity happened: a Date (milliseconds) that remembers `epochMicroseconds`, so
   * aggregated activities built from it keep the microseconds (see `epochMicrosecondsOfDate`).
   */
  get time(): Date {
    return dateFromEpochMicroseconds(this.epochMicroseconds);
  }

  /**
   * Subclasses may override this for another id scheme; it must return a non-negative decimal
   * string and must only use fields set by this constructor.
   */
  protected computeSerializationId(): string {
    if (this.idScheme === 'stream-framework') {
      return computeSerializationId(
        this.epochMicroseconds,
        objectDigits(this.objectId),
        this.verb.id,
      );
    }
    // With a foreign id, the id is made from (time, foreignId) alone: unique with its time.
    if (this.foreignId !== null) {
      return computeActorSerializationId(
        this.epochMicroseconds,
        0,
        0,
        foreignIdStandIn(this.foreignId),
      );
    }
    return computeActorSerializationId(
      this.epochMicroseconds,
      objectDigits(this.objectId),
      this.verb.id,
      actorDigits(this.actorId),
    );
  }

  equals(other: Activity): boolean {
    return other instanceof Activity && other.serializationId === this.serializationId;
  }

  /** Orders by serialization id, ascending (oldest first). */
  compare(other: Activity): number {
    return compareSerializationIds(this.serializationId, other.serializationId);
  }

  dehydrate(): DehydratedActivity {
    return new DehydratedActivity(this.serializationId);
  }

  toString(): string {
    return `Activity(${this.verb.pastTense}) ${String(this.actorId)} ${String(this.objectId)}`;
  }
}

/** Sorts activities by serialization id, oldest first; returns a new array. */
export function sortActivities<T extends Activity>(activities: readonly T[]): T[] {
  return [...activities].sort((a, b) =>
    compareSerializationIds(a.serializationId, b.serializationId),
  );
}
