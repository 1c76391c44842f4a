import { type AggregatedActivity, NotificationActivity, SerializationError } from '@sf/activity';
import {
  StreamFrameworkActivitySerializer,
  type StreamFrameworkActivitySerializerOptions,
  decodeNestedActivityOrOpaque,
  encodeNestedActivity,
} from './stream-framework-activity-serializer.js';
import { buildHydrated } from './aggregated-builder.js';
import type { AggregatedActivityClass, Serializer } from './serializer.js';
import {
  decodeAggregated,
  encodeAggregated,
  rememberDates,
  requireAggregated,
} from './stream-framework-aggregated.js';

export interface StreamFrameworkNotificationSerializerOptions extends StreamFrameworkActivitySerializerOptions {
  /** The class `loads` builds. Default: `NotificationActivity`. */
  aggregatedActivityClass?: AggregatedActivityClass;
}

/**
 * Stream Framework 1.4's `NotificationSerializer` (Python's name), byte for byte: the aggregated format with
 * full `ActivitySerializer` strings joined by `;` as the activities part, e.g.
 * `v33-2013-07-08;;1373266755.123456;;1373266755.123456;;-1;;-1;;13,3,42,0,1373266755.123456,;;0`.
 *
 * An activity whose string contains `;` (its pickled `extraContext` may) cannot be stored and is
 * refused, as in Python. `loads` gives a hydrated instance; an empty activities part (what Python
 * writes for an aggregated activity it had dehydrated) loads as no activities. An activity that
 * cannot be read but whose id can (an unknown pickle class, an unregistered verb) loads as an
 * `OpaqueActivity` and is written back verbatim, so a merge never drops it.
 */
export class StreamFrameworkNotificationSerializer implements Serializer<AggregatedActivity> {
  readonly name: string = 'stream-framework/notification';
  readonly #cls: AggregatedActivityClass;
  readonly #activities: StreamFrameworkActivitySerializer;

  constructor(options: StreamFrameworkNotificationSerializerOptions = {}) {
    this.#cls = options.aggregatedActivityClass ?? NotificationActivity;
    this.#activities = new StreamFrameworkActivitySerializer(options);
  }

  /**
   * @throws SerializationError for a non-AggregatedActivity, a dehydrated one that still has
   *   activity ids, a group containing `;;`, or an activity string containing `;`
   */
  dumps(value: AggregatedActivity): string {
    const aggregated = requireAggregated(value, 'StreamFrameworkNotificationSerializer');
    if (aggregated.isDehydrated && aggregated.activityIds.length > 0) {
      throw new SerializationError(
        `activities: aggregated activity ${JSON.stringify(aggregated.group)} is dehydrated; hydrate it before storing it in a notification feed`,
        { field: 'activities' },
      );
    }
    const parts = aggregated.activities.map((activity, index) => {
      const field = `activities[${index}]`;
      const text = encodeNestedActivity(this.#activities, activity, field);
      if (text.includes(';')) {
        throw new SerializationError(
          `${field}: the serialized activity contains the reserved character ';' (its pickled extraContext does), so it cannot be stored in the Stream Framework notification format`,
          { field },
        );
      }
      return text;
    });
    return encodeAggregated(aggregated, parts.join(';'));
  }

  /** @throws SerializationError naming the part that is missing or malformed */
  loads(data: string): AggregatedActivity {
    const { fields, microseconds, activitiesPart } = decodeAggregated(data, 'notification');
    const texts = activitiesPart === '' ? [] : activitiesPart.split(';');
    const activities = texts.map((text, index) =>
      decodeNestedActivityOrOpaque(this.#activities, text, `activities[${index}]`),
    );
    const aggregated = buildHydrated(this.#cls, fields, activities, 'activities');
    rememberDates(aggregated, microseconds);
    return aggregated;
  }
}
