import {
  Activity,
  MAX_OBJECT_ID,
  OpaqueActivity,
  type RefId,
  SerializationError,
  type VerbRegistry,
  defaultVerbRegistry,
} from '@sf/activity';
import {
  buildActivity,
  fieldName,
  opaqueText,
  requireActivity,
  resolveVerb,
} from './activity-fields.js';
import { formatEpochMicroseconds, parseEpochMicroseconds } from './epoch-text.js';
import { type PickleProtocol, writePickle } from './pickle-dumps.js';
import { readPickle } from './pickle-loads.js';
import { isPlainObject } from './field-path.js';
import type { ActivityClass, Serializer } from './serializer.js';
import { bytesToLatin1, latin1ToBytes } from './utf8.js';

export interface StreamFrameworkActivitySerializerOptions {
  /** Where `loads` looks verb ids up. Default: `defaultVerbRegistry`. */
  verbRegistry?: VerbRegistry;
  /** The class `loads` builds. Default: `Activity`. */
  activityClass?: ActivityClass;
  /** Pickle protocol for `extraContext`: 4 (default, as Python 3) or 2 (readable by Python 2). */
  pickleProtocol?: PickleProtocol;
}

let encodeAt: (
  serializer: StreamFrameworkActivitySerializer,
  activity: Activity,
  prefix: string,
) => string;
let decodeAt: (
  serializer: StreamFrameworkActivitySerializer,
  data: string,
  prefix: string,
) => Activity;

/** Writes an activity nested in a larger value; errors name `prefix` (`activities[2].extraContext`). */
export function encodeNestedActivity(
  serializer: StreamFrameworkActivitySerializer,
  activity: Activity,
  prefix: string,
): string {
  return encodeAt(serializer, activity, prefix);
}

/**
 * Reads an activity nested in a larger value, or, when it cannot be read but its id can (the
 * first five parts parse), an `OpaqueActivity` holding the text verbatim.
 * @throws SerializationError naming `prefix` when not even the id can be read
 */
export function decodeNestedActivityOrOpaque(
  serializer: StreamFrameworkActivitySerializer,
  data: string,
  prefix: string,
): Activity {
  try {
    return decodeAt(serializer, data, prefix);
  } catch (error) {
    if (!(error instanceof SerializationError)) throw error;
    const parts = data.split(',', 5);
    const id = /^[0-9]{1,20}$/;
    if (parts.length < 5 || !parts.slice(0, 4).every((part) => id.test(part))) throw error;
    const [actor, verb, object, target] = parts.slice(0, 4).map((part) => BigInt(part)) as [
      bigint,
      bigint,
      bigint,
      bigint,
    ];
    try {
      const micros = parseEpochMicroseconds(parts[4]!, fieldName(prefix, 'time'));
      const small = (value: bigint) =>
        value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
      return new OpaqueActivity({
        serializationId: new Activity({
          actor: 0,
          verb: { id: Number(verb), infinitive: 'unknown', pastTense: 'unknown' },
          object: Number(object),
          epochMicroseconds: Number(micros),
          idScheme: 'stream-framework',
        }).serializationId,
        raw: data,
        reason: error,
        actor: small(actor),
        verb: Number(verb),
        object: Number(object),
        target: target === 0n ? null : small(target),
        epochMicroseconds: Number(micros),
        idScheme: 'stream-framework',
      });
    } catch {
      throw error;
    }
  }
}

/**
 * Stream Framework 1.4's `ActivitySerializer` (Python's name), byte for byte:
 * `actor,verb,object,target_or_0,epoch,pickle`, e.g. `13,3,42,0,1373266755.123456,`.
 *
 * - the epoch is `'%.6f'` epoch seconds, exact to the microsecond;
 * - a null target is written `0`, and `0` reads back as null (target id 0 cannot be stored);
 * - the last part is the `extraContext` pickled (protocol 4 by default), one char per byte
 *   (latin1), or empty when `extraContext` is empty (so `{}` pickled by Python reads as `{}` but
 *   is written back empty). Besides plain data it reads and writes back, byte for byte, what
 *   Python deployments put there: `datetime`/`date`/`timedelta` (`PythonDateTime`...), sets
 *   (`Set`, `PythonFrozenSet`) and dicts with int keys (`Map`); see `pickleLoads`' `pythonTypes`;
 * - actor and target ids beyond 2^53 (64-bit ids) are read as bigints and written exactly;
 * - a `foreignId` travels in the pickled extra context under the key `foreign_id` (first), so
 *   Python keeps it; `loads` takes a string `foreign_id` back out of the extra context;
 * - what Python 1.4 cannot read is refused with a `SerializationError` naming the field: string
 *   ids (its `ActivitySerializer.loads` reads every id with `int()`) and object ids of more than
 *   10 digits (its `serialization_id` raises "object_id / verb have too many digits").
 */
export class StreamFrameworkActivitySerializer implements Serializer<Activity> {
  readonly name: string = 'stream-framework/activity';
  readonly #verbs: VerbRegistry;
  readonly #activityClass: ActivityClass;
  readonly #protocol: PickleProtocol;

  constructor(options: StreamFrameworkActivitySerializerOptions = {}) {
    this.#verbs = options.verbRegistry ?? defaultVerbRegistry;
    this.#activityClass = options.activityClass ?? Activity;
    this.#protocol = options.pickleProtocol ?? 4;
  }

  /** @throws SerializationError for a non-Activity or an `extraContext` pickle cannot carry */
  dumps(activity: Activity): string {
    return this.#encode(activity, '');
  }

  /** @throws SerializationError naming the field that is missing or malformed */
  loads(data: string): Activity {
    return this.#decode(data, '');
  }

  static {
    encodeAt = (serializer, activity, prefix) => serializer.#encode(activity, prefix);
    decodeAt = (serializer, data, prefix) => serializer.#decode(data, prefix);
  }

  #encode(value: Activity, prefix: string): string {
    const activity = requireActivity(
      value,
      'StreamFrameworkActivitySerializer',
      prefix || undefined,
    );
    if (activity instanceof OpaqueActivity) return opaqueText(activity, prefix);
    if (activity.idScheme !== 'stream-framework') {
      const field = fieldName(prefix, 'idScheme');
      throw new SerializationError(
        `${field}: activity ${activity.serializationId} has an '${activity.idScheme}'-scheme id, which the Stream Framework format cannot store (its ids are time, object and verb only); create activities with idScheme: 'stream-framework' (or use activity.withIdScheme('stream-framework'))`,
        { field },
      );
    }
    pythonId(activity.actorId, fieldName(prefix, 'actor'));
    pythonId(activity.objectId, fieldName(prefix, 'object'));
    if (activity.targetId !== null) pythonId(activity.targetId, fieldName(prefix, 'target'));
    let context = activity.extraContext;
    if (activity.foreignId !== null) {
      if (Object.hasOwn(context, FOREIGN_ID_KEY)) {
        const field = fieldName(prefix, `extraContext.${FOREIGN_ID_KEY}`);
        throw new SerializationError(
          `${field}: the Stream Framework format carries foreignId ${JSON.stringify(activity.foreignId)} in extra_context.${FOREIGN_ID_KEY}, which the activity's extraContext already uses (${JSON.stringify(context[FOREIGN_ID_KEY]) ?? typeof context[FOREIGN_ID_KEY]})`,
          { field },
        );
      }
      context = { [FOREIGN_ID_KEY]: activity.foreignId, ...context };
    }
    let pickle = '';
    if (Object.keys(context).length > 0 || Object.getOwnPropertySymbols(context).length > 0) {
      pickle = bytesToLatin1(
        writePickle(context, this.#protocol, fieldName(prefix, 'extraContext'), true),
      );
    }
    const time = formatEpochMicroseconds(BigInt(activity.epochMicroseconds));
    return `${activity.actorId},${activity.verb.id},${activity.objectId},${activity.targetId ?? 0},${time},${pickle}`;
  }

  #decode(data: string, prefix: string): Activity {
    const at = (field: string) => fieldName(prefix, field);
    if (typeof data !== 'string') {
      throw new SerializationError(
        `${prefix || 'activity'}: expected a string, got ${typeof data}`,
        { field: prefix || undefined },
      );
    }
    const parts: string[] = [];
    let start = 0;
    for (let i = 0; i < 5; i++) {
      const comma = data.indexOf(',', start);
      if (comma === -1) {
        throw new SerializationError(
          `${prefix || 'activity'}: expected 6 comma-separated parts (actor,verb,object,target,epoch,pickle), found ${i + 1} in ${JSON.stringify(data.slice(0, 60))}`,
          { field: prefix || undefined },
        );
      }
      parts.push(data.slice(start, comma));
      start = comma + 1;
    }
    const pickle = data.slice(start);
    const integer = (text: string, field: string): number => {
      const value = /^[0-9]{1,16}$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value)) {
        throw new SerializationError(
          `${at(field)}: expected a non-negative integer, got ${JSON.stringify(text.slice(0, 40))}`,
          {
            field: at(field),
          },
        );
      }
      return value;
    };
    /** Actor and target ids: a bigint beyond 2^53 (64-bit ids), kept exactly. */
    const bigId = (text: string, field: string): number | bigint => {
      if (!/^[0-9]{17,40}$/.test(text)) return integer(text, field);
      const value = BigInt(text);
      return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
    };
    const actor = bigId(parts[0]!, 'actor');
    const verb = resolveVerb(this.#verbs, integer(parts[1]!, 'verb'), at('verb'));
    const object = integer(parts[2]!, 'object');
    pythonId(object, at('object'));
    const target = bigId(parts[3]!, 'target');
    const micros = parseEpochMicroseconds(parts[4]!, at('time'));
    if (micros < 0n || micros > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new SerializationError(
        `${at('time')}: epoch ${parts[4]} is out of range (1970 to 2255)`,
        { field: at('time') },
      );
    }
    let extraContext: Record<string, unknown> = {};
    if (pickle !== '') {
      const field = at('extraContext');
      const value = readPickle(latin1ToBytes(pickle, field), field, true);
      if (!isPlainObject(value)) {
        throw new SerializationError(
          `${field}: the pickle holds ${Array.isArray(value) ? 'a list' : typeof value}, expected a dict`,
          {
            field,
          },
        );
      }
      extraContext = value;
    }
    let foreignId: string | null = null;
    const carried = extraContext[FOREIGN_ID_KEY];
    if (typeof carried === 'string') {
      const { [FOREIGN_ID_KEY]: _carried, ...rest } = extraContext;
      foreignId = carried;
      extraContext = rest;
    }
    return buildActivity(
      this.#activityClass,
      {
        actor,
        verb,
        object,
        target: target === 0 ? null : target,
        epochMicroseconds: Number(micros),
        extraContext,
        foreignId,
        idScheme: 'stream-framework',
      },
      prefix,
    );
  }
}

/** The extra context key that carries an activity's `foreignId` in the Stream Framework format. */
export const FOREIGN_ID_KEY = 'foreign_id';

/**
 * Checks that Python 1.4 reads this id back: `ActivitySerializer.loads` reads ids with `int()`
 * and `serialization_id` refuses object ids of more than 10 digits.
 * @throws SerializationError naming the field and the value
 */
function pythonId(id: RefId, field: string): void {
  if (typeof id === 'string') {
    throw new SerializationError(
      `${field}: the Stream Framework format cannot store the string id ${JSON.stringify(id)} (Python reads ids with int()); use the JSON format for string ids`,
      { field },
    );
  }
  if (field.endsWith('object') && id > MAX_OBJECT_ID) {
    throw new SerializationError(
      `${field}: the Stream Framework format cannot store object id ${id} (more than 10 digits: Python's serialization_id raises "object_id / verb have too many digits"); use the JSON format`,
      { field },
    );
  }
}
