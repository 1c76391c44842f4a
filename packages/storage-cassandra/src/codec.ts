import {
  Activity,
  AggregatedActivity,
  Love,
  MAX_OBJECT_ID,
  SerializationError,
} from '@sf/activity';
import type { SerializationFormat, Serializer } from '@sf/serializers';
import type { IdColumnType } from './cql.js';

/**
 * How the `extra_context` blob of a row is written:
 * - `json`: UTF-8 JSON of `extraContext` (the JSON format's encoding of it);
 * - `stream-framework`: `pickle.dumps(extra_context)` as Stream Framework's Cassandra backend
 *   writes it (the pickle of an empty dict when there is none), so Python can read the rows;
 * - `opaque`: any other format; the blob holds the whole serialized activity and the other
 *   columns are written for reading only.
 */
export type ExtraContextEncoding = 'json' | 'stream-framework' | 'opaque';

/** `pickle.dumps({}, 2)`: an empty dict that Python 2 and 3 both read. */
const EMPTY_DICT_PICKLE = Buffer.from([0x80, 0x02, 0x7d, 0x71, 0x00, 0x2e]);

const INT_MAX = 2_147_483_647;

/** The activity fields a row stores, independent of the table's id column types. */
export interface ActivityFields {
  activityId: string;
  /**
   * A bigint beyond 2^53 (written to bigint columns only). Null (like `object` and `target`)
   * when the activity has a string id, an object id beyond 10 digits or a foreign id: the
   * `extra_context` blob then holds the whole activity in the JSON format (`j1:{...}`).
   */
  actor: number | bigint | null;
  verb: number;
  object: number | bigint | null;
  target: number | bigint | null;
  /** Milliseconds: `timestamp` columns have no finer precision. */
  time: Date;
  extraContext: Buffer;
}

/** What a row read back holds (column values as the driver returns them). */
export interface ActivityRowValues {
  /** The row's id (clustering key), when selected: tells which id scheme the activity has. */
  activity_id?: unknown;
  actor: unknown;
  verb: unknown;
  object: unknown;
  target: unknown;
  time: unknown;
  extra_context: unknown;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Uint8Array, field: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch (error) {
    throw new SerializationError(`${field}: the blob is not valid UTF-8`, { field, cause: error });
  }
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** `'%.6f'` epoch seconds of integer microseconds (Stream Framework's activity time text). */
export function epochText(epochMicroseconds: number): string {
  const seconds = Math.floor(epochMicroseconds / 1_000_000);
  const fraction = String(epochMicroseconds - seconds * 1_000_000).padStart(6, '0');
  return `${seconds}.${fraction}`;
}

/** A non-negative safe integer from a column value (number, bigint, Long or varint Integer). */
export function integerOf(value: unknown, field: string): number {
  let result: number;
  if (typeof value === 'number') result = value;
  else if (typeof value === 'bigint') result = Number(value);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the driver's Long and Integer print their decimal value
  else if (typeof value === 'object' && value !== null) result = Number(String(value));
  else result = NaN;
  if (!Number.isSafeInteger(result) || result < 0) {
    throw new SerializationError(
      `${field}: expected a non-negative integer, got ${String(value)}`,
      { field },
    );
  }
  return result;
}

/** An actor or target id: a number, or a bigint beyond 2^53 (from a bigint column). */
export function bigIdOf(value: unknown, field: string): number | bigint {
  const text =
    typeof value === 'object' && value !== null
      ? // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the driver's Long prints its decimal value
        String(value)
      : typeof value === 'bigint'
        ? value.toString()
        : '';
  if (/^[0-9]{16,40}$/.test(text) && BigInt(text) > BigInt(Number.MAX_SAFE_INTEGER))
    return BigInt(text);
  return integerOf(value, field);
}

/** The decimal string of a `varint` (BigInt with `useBigIntAsVarint`, else the driver's Integer). */
export function varintText(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value);
}

function bytesOf(value: unknown): Buffer {
  if (value === null || value === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  throw new SerializationError(`extra_context: expected a blob, got ${typeof value}`, {
    field: 'extra_context',
  });
}

/**
 * Converts activities to the columns of a flat timeline row (or an activity storage row) and
 * back, through the format's activity serializer, so the configured verb registry and activity
 * class apply on read, and every value is validated as the format validates it.
 */
export class ActivityCodec {
  readonly encoding: ExtraContextEncoding;
  readonly #serializer: Serializer<Activity>;
  readonly #jsonPrefix: string;
  /** Fanouts write one activity to many feeds: encode it once. */
  readonly #cache = new WeakMap<Activity, ActivityFields>();

  constructor(format: SerializationFormat) {
    this.#serializer = format.activitySerializer();
    this.encoding =
      format.name === 'json'
        ? 'json'
        : format.name === 'stream-framework'
          ? 'stream-framework'
          : 'opaque';
    if (this.encoding === 'json') {
      const probe = this.#serializer.dumps(
        new Activity({ actor: 0, verb: Love, object: 0, time: 0 }),
      );
      this.#jsonPrefix = probe.slice(0, probe.indexOf('{'));
    } else {
      this.#jsonPrefix = '';
    }
  }

  /** @throws SerializationError when the format cannot carry the activity (its extraContext) */
  encode(activity: Activity): ActivityFields {
    if (!(activity instanceof Activity)) {
      throw new SerializationError(
        `Cassandra timelines store whole activities (Activity instances), got ${String(activity)}`,
      );
    }
    const cached = this.#cache.get(activity);
    if (cached) return cached;
    const serialized = this.#serializer.dumps(activity);
    let extraContext: Buffer;
    if (this.encoding === 'json' && needsWholeActivity(activity)) {
      // The id columns are integers: the whole activity goes to the blob, ids null.
      const fields: ActivityFields = {
        activityId: activity.serializationId,
        actor: null,
        verb: activity.verb.id,
        object: null,
        target: null,
        time: activity.time,
        extraContext: Buffer.from(serialized, 'utf8'),
      };
      this.#cache.set(activity, fields);
      return fields;
    }
    if (this.encoding === 'json') {
      const parsed = JSON.parse(serialized.slice(this.#jsonPrefix.length)) as {
        extraContext: unknown;
      };
      extraContext = Buffer.from(JSON.stringify(parsed.extraContext), 'utf8');
    } else if (this.encoding === 'stream-framework') {
      const pickle = afterFifthComma(serialized);
      extraContext = pickle === '' ? EMPTY_DICT_PICKLE : Buffer.from(pickle, 'latin1');
    } else {
      extraContext = Buffer.from(serialized, 'utf8');
    }
    const fields: ActivityFields = {
      activityId: activity.serializationId,
      actor: activity.actorId as number | bigint,
      verb: activity.verb.id,
      object: activity.objectId as number | bigint,
      target: activity.targetId as number | bigint | null,
      time: activity.time,
      extraContext,
    };
    this.#cache.set(activity, fields);
    return fields;
  }

  /** @throws SerializationError naming the column that cannot be decoded */
  decode(row: ActivityRowValues): Activity {
    const blob = bytesOf(row.extra_context);
    if (this.encoding === 'opaque')
      return this.#serializer.loads(decodeUtf8(blob, 'extra_context'));
    if (this.encoding === 'json' && startsWith(blob, this.#jsonPrefix)) {
      // A whole activity (string ids, foreign id): an extraContext blob starts with `{`.
      return this.#serializer.loads(decodeUtf8(blob, 'extra_context'));
    }
    const actor = bigIdOf(row.actor, 'actor');
    const verb = integerOf(row.verb, 'verb');
    const object = integerOf(row.object, 'object');
    const target =
      row.target === null || row.target === undefined ? null : bigIdOf(row.target, 'target');
    if (!(row.time instanceof Date) || Number.isNaN(row.time.getTime())) {
      throw new SerializationError(`time: expected a timestamp, got ${String(row.time)}`, {
        field: 'time',
      });
    }
    const epochMicroseconds = row.time.getTime() * 1000;
    if (this.encoding === 'stream-framework') {
      const text = `${actor},${verb},${object},${target ?? 0},${epochText(epochMicroseconds)},${latin1(blob)}`;
      return this.#serializer.loads(text);
    }
    let extraContext: unknown = {};
    if (blob.length > 0) {
      try {
        extraContext = JSON.parse(decodeUtf8(blob, 'extra_context'));
      } catch (error) {
        if (error instanceof SerializationError) throw error;
        throw new SerializationError(`extra_context: invalid JSON: ${(error as Error).message}`, {
          field: 'extra_context',
          cause: error,
        });
      }
    }
    // ids beyond 2^53 as decimal strings, as the JSON format writes them
    const envelope = JSON.stringify(
      { actor, verb, object, target, epochMicroseconds, extraContext },
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
    const activity = this.#serializer.loads(`${this.#jsonPrefix}${envelope}`);
    // The columns hold no id scheme: the row's id tells whether the activity was stored with an
    // 'actor'-scheme id (the default) or a Stream Framework one.
    if (row.activity_id === undefined || row.activity_id === null) return activity;
    const id = varintText(row.activity_id);
    if (id === activity.serializationId) return activity;
    const actorScoped = activity.withIdScheme('actor');
    return id === actorScoped.serializationId ? actorScoped : activity;
  }
}

/** String ids, object ids beyond 10 digits and foreign ids do not fit the integer columns. */
function needsWholeActivity(activity: Activity): boolean {
  return (
    activity.foreignId !== null ||
    typeof activity.actorId === 'string' ||
    typeof activity.objectId === 'string' ||
    typeof activity.targetId === 'string' ||
    activity.objectId > MAX_OBJECT_ID
  );
}

function startsWith(blob: Buffer, prefix: string): boolean {
  if (prefix === '' || blob.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (blob[i] !== prefix.charCodeAt(i)) return false;
  return true;
}

function afterFifthComma(text: string): string {
  let index = -1;
  for (let i = 0; i < 5; i++) {
    index = text.indexOf(',', index + 1);
    if (index === -1)
      throw new SerializationError(
        `the activity serializer wrote ${JSON.stringify(text.slice(0, 40))}, not 6 comma-separated parts`,
      );
  }
  return text.slice(index + 1);
}

/** Column values of an id (`actor`, `object`, `target`) for a column of this type. */
export function idParameter(
  value: number | bigint | null,
  type: IdColumnType,
  column: string,
  table: string,
): number | string | null {
  if (value === null) return null;
  if (type === 'bigint') return String(value);
  if (value > INT_MAX) {
    throw new SerializationError(
      `${column} id ${value} does not fit the int column ${column} of ${table} (max ${INT_MAX}); create the table with idType: 'bigint'`,
      { field: column },
    );
  }
  return Number(value);
}

/**
 * The `activities` blob of an aggregated timeline row.
 *
 * - notification kind: UTF-8 of the notification serializer's string (whole activities inline);
 * - aggregated kind: UTF-8 JSON array `[aggregated, activity, activity, ...]` of the aggregated
 *   serializer's string (activity ids) followed by each activity as the activity serializer
 *   writes it, so the row holds whole activities (denormalised, as Stream Framework's Cassandra
 *   backend) and reads need no activity storage.
 */
export class AggregatedBlobCodec<T> {
  readonly #kind: 'aggregated' | 'notification';
  readonly #serializer: Serializer<T>;
  readonly #activities: Serializer<Activity>;

  constructor(
    kind: 'aggregated' | 'notification',
    serializer: Serializer<T>,
    activities: Serializer<Activity>,
  ) {
    this.#kind = kind;
    this.#serializer = serializer;
    this.#activities = activities;
  }

  encode(item: T): Buffer {
    const serialized = this.#serializer.dumps(item);
    if (this.#kind === 'notification') return Buffer.from(serialized, 'utf8');
    const activities =
      item instanceof AggregatedActivity
        ? item.activities.map((a) => this.#activities.dumps(a))
        : [];
    return Buffer.from(JSON.stringify([serialized, ...activities]), 'utf8');
  }

  /** @throws SerializationError for a blob that cannot be decoded */
  decode(blob: unknown): T {
    const bytes = bytesOf(blob);
    if (bytes.length === 0)
      throw new SerializationError('activities: the blob is empty', { field: 'activities' });
    const text = decodeUtf8(bytes, 'activities');
    if (this.#kind === 'notification') return this.#serializer.loads(text);
    let parts: unknown;
    try {
      parts = JSON.parse(text);
    } catch (error) {
      throw new SerializationError(`activities: invalid JSON: ${(error as Error).message}`, {
        field: 'activities',
        cause: error,
      });
    }
    if (
      !Array.isArray(parts) ||
      parts.length === 0 ||
      !parts.every((part) => typeof part === 'string')
    ) {
      throw new SerializationError(
        'activities: expected a JSON array of strings [aggregated, ...activities]',
        { field: 'activities' },
      );
    }
    const [head, ...rest] = parts;
    const item = this.#serializer.loads(head!);
    if (!(item instanceof AggregatedActivity) || !item.isDehydrated) return item;
    const byId = new Map<string, Activity>();
    rest.forEach((data, index) => {
      let activity: Activity;
      try {
        activity = this.#activities.loads(data);
      } catch (error) {
        throw new SerializationError(`activities[${index}]: ${(error as Error).message}`, {
          field: `activities[${index}]`,
          cause: error,
        });
      }
      byId.set(activity.serializationId, activity);
    });
    // Rows written with ids only (no activities) stay dehydrated: the feed hydrates them.
    if (!item.activityIds.every((id) => byId.has(id))) return item;
    return item.hydrate(byId);
  }
}
