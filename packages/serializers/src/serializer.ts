import type {
  Activity,
  ActivityInit,
  AggregatedActivity,
  AggregatedActivityInit,
  DehydratedActivity,
  VerbRegistry,
} from '@sf/activity';

/**
 * Turns values into strings for a storage backend and back. `dumps` is deterministic (the same
 * value always gives the same string: Redis removes sorted-set members by exact string) and never
 * mutates its argument. Both directions throw `SerializationError` for anything they cannot carry.
 */
export interface Serializer<T> {
  readonly name: string;
  dumps(value: T): string;
  loads(data: string): T;
}

/** The constructor deserializers build activities with (`Activity` or a subclass). */
export type ActivityClass = new (init: ActivityInit) => Activity;

/** The constructor deserializers build aggregated activities with. */
export type AggregatedActivityClass = new (init: AggregatedActivityInit) => AggregatedActivity;

/** One storage format: the serializers a feed needs for each kind of stored value. */
export interface SerializationFormat {
  /** `'json'` or `'stream-framework'`. */
  readonly name: string;
  /** Activity storage values (the full activity). */
  activitySerializer(): Serializer<Activity>;
  /** Timeline members: ids only; `dumps` gives the serialization id, `loads` a `DehydratedActivity`. */
  timelineSerializer(): Serializer<Activity | DehydratedActivity>;
  /** Aggregated timeline members, activities as ids only; `loads` gives a dehydrated instance of `cls`. */
  aggregatedSerializer(cls?: AggregatedActivityClass): Serializer<AggregatedActivity>;
  /**
   * Notification feed members, full activities inline; `loads` gives a hydrated instance of
   * `cls` (default `NotificationActivity`).
   */
  notificationSerializer(cls?: AggregatedActivityClass): Serializer<AggregatedActivity>;
}

export interface FormatOptions {
  /** Where deserializers look verb ids up. Default: `defaultVerbRegistry`. */
  verbRegistry?: VerbRegistry;
  /** The class deserialized activities are built with. Default: `Activity`. */
  activityClass?: ActivityClass;
}
