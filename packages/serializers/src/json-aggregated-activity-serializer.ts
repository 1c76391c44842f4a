import {
  type Activity,
  AggregatedActivity,
  SerializationError,
  isSerializationId,
} from '@sf/activity';
import { type AggregatedFields, buildDehydrated, buildHydrated } from './aggregated-builder.js';
import { dateFromMicroseconds, microsecondsOfDate } from './precise-dates.js';
import {
  JsonActivitySerializer,
  type JsonActivitySerializerOptions,
  decodeNestedJsonActivityOrOpaque,
  encodeNestedJsonActivity,
} from './json-activity-serializer.js';
import { JSON_PREFIX, checkKeys, parseEnvelope, readInteger } from './json-envelope.js';
import type { AggregatedActivityClass, Serializer } from './serializer.js';
import { requireAggregated } from './stream-framework-aggregated.js';

export interface JsonAggregatedActivitySerializerOptions extends JsonActivitySerializerOptions {
  /**
   * true (default): activities are stored as their ids and `loads` gives a dehydrated instance
   * (aggregated feeds). false: full activities are stored inline and `loads` gives a hydrated
   * instance (notification feeds).
   */
  dehydrate?: boolean;
  /** The class `loads` builds. Default: `AggregatedActivity`. */
  aggregatedActivityClass?: AggregatedActivityClass;
}

const DATE_FIELDS = ['createdAt', 'updatedAt', 'seenAt', 'readAt'] as const;
const MAX_DATE_US = 8_640_000_000_000_000_000n;

/**
 * A date as epoch milliseconds: a JSON integer when it has no sub-millisecond part (what
 * earlier versions wrote), else a string with exactly 3 decimals (`"1393909567123.456"`), so
 * microseconds survive (a JSON number would round them through a double).
 */
function encodeJsonDate(epochMicroseconds: bigint): string {
  if (epochMicroseconds % 1000n === 0n) return String(epochMicroseconds / 1000n);
  const magnitude = epochMicroseconds < 0n ? -epochMicroseconds : epochMicroseconds;
  const fraction = String(magnitude % 1000n).padStart(3, '0');
  return `"${epochMicroseconds < 0n ? '-' : ''}${magnitude / 1000n}.${fraction}"`;
}

function decodeJsonDate(value: unknown, field: string): bigint {
  if (typeof value === 'string') {
    const match = /^(-?)([0-9]{1,16})\.([0-9]{3})$/.exec(value);
    if (!match) {
      throw new SerializationError(
        `${field}: expected epoch milliseconds (an integer, or a string with 3 decimals like "1393909567123.456"), got ${JSON.stringify(value.slice(0, 40))}`,
        { field },
      );
    }
    const magnitude = BigInt(match[2]!) * 1000n + BigInt(match[3]!);
    return match[1] === '-' ? -magnitude : magnitude;
  }
  return BigInt(readInteger(value, field, true)) * 1000n;
}

/**
 * The JSON format's aggregated activity serializer. Dates are epoch milliseconds or null; a date
 * with microseconds (see `dateFromEpochMicroseconds`) is written as a string with 3 decimals,
 * `"1373266755123.456"`, and read back with them:
 * `j1:{"group":"3-2013-07-08","createdAt":1373266755123,"updatedAt":1373266759127,"seenAt":null,"readAt":null,"minimizedActivities":0,"activityIds":["13732667551230000000042003","13732667591270000004042003"]}`;
 * with `dehydrate: false`, `"activities":[{...}, ...]` (activity objects as `JsonActivitySerializer`
 * writes them, without the prefix) replaces `"activityIds"`. `dumps` never mutates its argument.
 */
export class JsonAggregatedActivitySerializer implements Serializer<AggregatedActivity> {
  readonly name: string;
  readonly #dehydrate: boolean;
  readonly #cls: AggregatedActivityClass;
  readonly #activities: JsonActivitySerializer;

  constructor(options: JsonAggregatedActivitySerializerOptions = {}) {
    this.#dehydrate = options.dehydrate ?? true;
    this.#cls = options.aggregatedActivityClass ?? AggregatedActivity;
    this.#activities = new JsonActivitySerializer(options);
    this.name = this.#dehydrate ? 'json/aggregated' : 'json/notification';
  }

  /**
   * @throws SerializationError for a non-AggregatedActivity, a dehydrated one (with ids) when
   *   storing full activities, or an activity's `extraContext` JSON cannot carry exactly
   */
  dumps(value: AggregatedActivity): string {
    const aggregated = requireAggregated(value, 'JsonAggregatedActivitySerializer');
    const dates = DATE_FIELDS.map((field) => {
      const date = aggregated[field];
      if (date === null) return `"${field}":null`;
      if (!(date instanceof Date) || Number.isNaN(date.getTime())) {
        throw new SerializationError(
          `${field}: expected a valid Date or null, got ${String(date)}`,
          { field },
        );
      }
      return `"${field}":${encodeJsonDate(microsecondsOfDate(date))}`;
    });
    let activities: string;
    if (this.#dehydrate) {
      activities = `"activityIds":[${aggregated.activityIds.map((id) => `"${id}"`).join(',')}]`;
    } else {
      if (aggregated.isDehydrated && aggregated.activityIds.length > 0) {
        throw new SerializationError(
          `activities: aggregated activity ${JSON.stringify(aggregated.group)} is dehydrated; hydrate it before storing full activities`,
          { field: 'activities' },
        );
      }
      const items = aggregated.activities.map((activity, index) =>
        encodeNestedJsonActivity(this.#activities, activity, `activities[${index}]`),
      );
      activities = `"activities":[${items.join(',')}]`;
    }
    return (
      `${JSON_PREFIX}{"group":${JSON.stringify(aggregated.group)},${dates.join(',')},` +
      `"minimizedActivities":${aggregated.minimizedActivities},${activities}}`
    );
  }

  /** @throws SerializationError naming the field that is missing or malformed */
  loads(data: string): AggregatedActivity {
    const object = parseEnvelope(data, 'aggregated activity');
    const listKey = this.#dehydrate ? 'activityIds' : 'activities';
    checkKeys(object, ['group', ...DATE_FIELDS, 'minimizedActivities', listKey], '');
    const group = object.group;
    if (typeof group !== 'string' || group === '') {
      throw new SerializationError(
        `group: expected a non-empty string, got ${JSON.stringify(group)}`,
        { field: 'group' },
      );
    }
    const dates = {} as Record<(typeof DATE_FIELDS)[number], Date | null>;
    for (const field of DATE_FIELDS) {
      const value = object[field];
      if (value === null) {
        dates[field] = null;
        continue;
      }
      const micros = decodeJsonDate(value, field);
      if (micros > MAX_DATE_US || micros < -MAX_DATE_US) {
        throw new SerializationError(
          `${field}: ${JSON.stringify(value)} is outside the range of a Date`,
          {
            field,
          },
        );
      }
      dates[field] = dateFromMicroseconds(micros);
    }
    const fields: AggregatedFields = {
      group,
      ...dates,
      minimizedActivities: readInteger(object.minimizedActivities, 'minimizedActivities'),
    };
    const list = object[listKey];
    if (!Array.isArray(list)) {
      throw new SerializationError(`${listKey}: expected an array`, { field: listKey });
    }
    if (this.#dehydrate) {
      const ids = list.map((id: unknown, index) => {
        if (!isSerializationId(id)) {
          const field = `activityIds[${index}]`;
          throw new SerializationError(
            `${field}: expected a decimal activity id string, got ${JSON.stringify(id)}`,
            { field },
          );
        }
        return id;
      });
      return buildDehydrated(this.#cls, fields, ids);
    }
    const activities: Activity[] = list.map((item: unknown, index) =>
      decodeNestedJsonActivityOrOpaque(this.#activities, item, `activities[${index}]`),
    );
    return buildHydrated(this.#cls, fields, activities, 'activities');
  }
}
