import {
  ACTIVITY_ID_SCHEMES,
  Activity,
  type ActivityIdScheme,
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
import { isPlainObject } from './field-path.js';
import { JSON_PREFIX, checkKeys, parseEnvelope, readInteger, readRef } from './json-envelope.js';
import { checkJsonDepth, encodeJsonValue } from './json-value.js';
import type { ActivityClass, Serializer } from './serializer.js';

export interface JsonActivitySerializerOptions {
  /** Where `loads` looks verb ids up. Default: `defaultVerbRegistry`. */
  verbRegistry?: VerbRegistry;
  /** The class `loads` builds. Default: `Activity`. */
  activityClass?: ActivityClass;
}

const KEYS = ['actor', 'verb', 'object', 'target', 'epochMicroseconds', 'extraContext'] as const;
const KEYS_WITH_SCHEME = [...KEYS, 'idScheme'] as const;
const KEYS_WITH_FOREIGN_ID = [...KEYS, 'foreignId'] as const;
const KEYS_WITH_BOTH = [...KEYS, 'foreignId', 'idScheme'] as const;

/**
 * An actor, object or target id: a JSON number, a decimal string beyond 2^53 (kept exactly), or
 * `{"string":"..."}` for a string id.
 */
function jsonId(id: RefId): string {
  if (typeof id === 'string') return `{"string":${JSON.stringify(id)}}`;
  return typeof id === 'bigint' ? `"${id}"` : String(id);
}

let encodeAt: (serializer: JsonActivitySerializer, activity: Activity, prefix: string) => string;
let decodeAt: (serializer: JsonActivitySerializer, object: unknown, prefix: string) => Activity;

/** The JSON object (no prefix) of an activity nested in a larger value; errors name `prefix`. */
export function encodeNestedJsonActivity(
  serializer: JsonActivitySerializer,
  activity: Activity,
  prefix: string,
): string {
  return encodeAt(serializer, activity, prefix);
}

/**
 * Reads a parsed activity object nested in a larger value or, when it cannot be read but its id
 * can (an unregistered verb, a malformed extraContext...), an `OpaqueActivity` holding its JSON
 * text, written back as it is (so a merge never drops it).
 * @throws SerializationError naming `prefix` when not even the id can be read
 */
export function decodeNestedJsonActivityOrOpaque(
  serializer: JsonActivitySerializer,
  object: unknown,
  prefix: string,
): Activity {
  try {
    return decodeAt(serializer, object, prefix);
  } catch (error) {
    if (!(error instanceof SerializationError) || !isPlainObject(object)) throw error;
    try {
      const micros = readInteger(object.epochMicroseconds, 'epochMicroseconds');
      const verb = readInteger(object.verb, 'verb');
      const objectId = readRef(object.object, 'object');
      const target = object.target === null ? null : readRef(object.target, 'target');
      const foreignId = typeof object.foreignId === 'string' ? object.foreignId : null;
      // The id the value was stored under: its scheme is written with it ('stream-framework' when absent).
      const idScheme =
        object.idScheme === undefined
          ? 'stream-framework'
          : readIdScheme(object.idScheme, 'idScheme');
      return new OpaqueActivity({
        serializationId: new Activity({
          actor: readRef(object.actor, 'actor'),
          verb: { id: verb, infinitive: 'unknown', pastTense: 'unknown' },
          object: objectId,
          target,
          epochMicroseconds: micros,
          foreignId,
          idScheme,
        }).serializationId,
        raw: JSON.stringify(object),
        reason: error,
        actor: readRef(object.actor, 'actor'),
        verb,
        object: objectId,
        target,
        epochMicroseconds: micros,
        idScheme,
      });
    } catch {
      throw error;
    }
  }
}

/**
 * The JSON format's activity serializer:
 * `j1:{"actor":13,"verb":3,"object":42,"target":null,"epochMicroseconds":1373266755123456,"extraContext":{"x":1},"idScheme":"actor"}`.
 * Every field round-trips exactly (target 0 stays 0, null stays null; microseconds are kept;
 * ids beyond 2^53, bigints, are written as decimal strings: `"actor":"1234567890123456789"`;
 * string ids as `{"string":"..."}`: `"object":{"string":"3f2b8c1e-..."}`; a `foreignId` as
 * `"foreignId":"pin:123"`, only when there is one).
 * `extraContext` keys are written sorted, so equal activities give equal strings.
 *
 * The id scheme is kept so that `loads` rebuilds the very same serialization id: an activity of
 * the (default) `'actor'` scheme is written with `"idScheme":"actor"`; one of the
 * `'stream-framework'` scheme without the field, exactly as every value written before id schemes
 * existed, which therefore keep their ids.
 */
export class JsonActivitySerializer implements Serializer<Activity> {
  readonly name: string = 'json/activity';
  readonly #verbs: VerbRegistry;
  readonly #activityClass: ActivityClass;

  constructor(options: JsonActivitySerializerOptions = {}) {
    this.#verbs = options.verbRegistry ?? defaultVerbRegistry;
    this.#activityClass = options.activityClass ?? Activity;
  }

  /**
   * @throws SerializationError for a non-Activity or an `extraContext` value JSON cannot carry
   *   exactly (undefined, functions, symbols, bigints, NaN, Infinity, Dates, Maps, Sets, class
   *   instances, circular structures), naming its path, e.g. `extraContext.when`
   */
  dumps(activity: Activity): string {
    return `${JSON_PREFIX}${this.#encode(activity, '')}`;
  }

  /** @throws SerializationError naming the field that is missing or malformed */
  loads(data: string): Activity {
    return this.#decode(parseEnvelope(data, 'activity'), '');
  }

  static {
    encodeAt = (serializer, activity, prefix) => serializer.#encode(activity, prefix);
    decodeAt = (serializer, object, prefix) => serializer.#decode(object, prefix);
  }

  #encode(value: Activity, prefix: string): string {
    const activity = requireActivity(value, 'JsonActivitySerializer', prefix || undefined);
    if (activity instanceof OpaqueActivity) return opaqueText(activity, prefix);
    const extraContext = encodeJsonValue(activity.extraContext, fieldName(prefix, 'extraContext'));
    return (
      `{"actor":${jsonId(activity.actorId)},"verb":${activity.verb.id},"object":${jsonId(activity.objectId)},` +
      `"target":${activity.targetId === null ? 'null' : jsonId(activity.targetId)},` +
      `"epochMicroseconds":${activity.epochMicroseconds},"extraContext":${extraContext}` +
      `${activity.foreignId === null ? '' : `,"foreignId":${JSON.stringify(activity.foreignId)}`}` +
      `${activity.idScheme === 'stream-framework' ? '' : `,"idScheme":"${activity.idScheme}"`}}`
    );
  }

  #decode(object: unknown, prefix: string): Activity {
    const at = (field: string) => fieldName(prefix, field);
    if (!isPlainObject(object)) {
      throw new SerializationError(`${prefix || 'activity'}: expected a JSON object`, {
        field: prefix || undefined,
      });
    }
    const hasScheme = Object.hasOwn(object, 'idScheme');
    const hasForeignId = Object.hasOwn(object, 'foreignId');
    checkKeys(
      object,
      hasForeignId
        ? hasScheme
          ? KEYS_WITH_BOTH
          : KEYS_WITH_FOREIGN_ID
        : hasScheme
          ? KEYS_WITH_SCHEME
          : KEYS,
      prefix,
    );
    const idScheme = hasScheme ? readIdScheme(object.idScheme, at('idScheme')) : 'stream-framework';
    const actor = readRef(object.actor, at('actor'));
    const verb = resolveVerb(this.#verbs, readInteger(object.verb, at('verb')), at('verb'));
    const objectId = readRef(object.object, at('object'));
    const target = object.target === null ? null : readRef(object.target, at('target'));
    let foreignId: string | null = null;
    if (hasForeignId) {
      if (typeof object.foreignId !== 'string') {
        throw new SerializationError(
          `${at('foreignId')}: expected a string, got ${JSON.stringify(object.foreignId) ?? typeof object.foreignId}`,
          { field: at('foreignId') },
        );
      }
      foreignId = object.foreignId;
    }
    const epochMicroseconds = readInteger(object.epochMicroseconds, at('epochMicroseconds'));
    const extraContext = object.extraContext;
    if (!isPlainObject(extraContext)) {
      throw new SerializationError(`${at('extraContext')}: expected a JSON object`, {
        field: at('extraContext'),
      });
    }
    checkJsonDepth(extraContext, at('extraContext'), 0);
    return buildActivity(
      this.#activityClass,
      // Frozen: the activity keeps this freshly parsed object instead of copying it.
      {
        actor,
        verb,
        object: objectId,
        target,
        epochMicroseconds,
        extraContext: Object.freeze(extraContext),
        foreignId,
        idScheme,
      },
      prefix,
    );
  }
}

/** A stored `idScheme` (the field is absent for `'stream-framework'` ids). */
function readIdScheme(value: unknown, field: string): ActivityIdScheme {
  if (ACTIVITY_ID_SCHEMES.includes(value as ActivityIdScheme)) return value as ActivityIdScheme;
  throw new SerializationError(
    `${field}: expected "actor" or "stream-framework", got ${JSON.stringify(value) ?? typeof value}`,
    { field },
  );
}
