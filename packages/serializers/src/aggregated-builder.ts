import { type Activity, type AggregatedActivity, SerializationError } from '@sf/activity';
import type { AggregatedActivityClass } from './serializer.js';

/** The stored fields of an aggregated activity, validated by the deserializer. */
export interface AggregatedFields {
  group: string;
  createdAt: Date | null;
  updatedAt: Date | null;
  seenAt: Date | null;
  readAt: Date | null;
  minimizedActivities: number;
}

function construct(
  cls: AggregatedActivityClass,
  fields: AggregatedFields,
  activityIds: string[],
): AggregatedActivity {
  try {
    return new cls({ ...fields, activityIds });
  } catch (error) {
    throw new SerializationError(
      `cannot build ${cls.name} from the stored data: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/** A dehydrated instance holding exactly these fields and ids. */
export function buildDehydrated(
  cls: AggregatedActivityClass,
  fields: AggregatedFields,
  activityIds: string[],
): AggregatedActivity {
  const seen = new Set<string>();
  activityIds.forEach((id, index) => {
    if (seen.has(id)) {
      const field = `activityIds[${index}]`;
      throw new SerializationError(
        `${field}: activity ${id} appears twice in the aggregated activity`,
        { field },
      );
    }
    seen.add(id);
  });
  return construct(cls, fields, activityIds);
}

/**
 * A hydrated instance holding exactly these fields and activities: built dehydrated and then
 * hydrated, because the constructor would re-derive dates, trim to `maxActivities` and count
 * minimized activities again.
 */
export function buildHydrated(
  cls: AggregatedActivityClass,
  fields: AggregatedFields,
  activities: readonly Activity[],
  field: string,
): AggregatedActivity {
  const byId = new Map<string, Activity>();
  activities.forEach((activity, index) => {
    if (byId.has(activity.serializationId)) {
      throw new SerializationError(
        `${field}[${index}]: activity ${activity.serializationId} appears twice in the aggregated activity`,
        { field: `${field}[${index}]` },
      );
    }
    byId.set(activity.serializationId, activity);
  });
  const dehydrated = construct(cls, fields, [...byId.keys()]);
  try {
    return dehydrated.hydrate(byId);
  } catch (error) {
    throw new SerializationError(
      `cannot build ${cls.name} from the stored data: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
