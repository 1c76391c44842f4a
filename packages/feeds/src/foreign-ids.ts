import { type Activity, InvalidArgumentError } from '@sf/activity';
import { StorageConfigurationError } from './backend/errors.js';
import type { ActivityStorage, StorageBackend } from './backend/contracts.js';

/** An activity storage that keeps the foreign-id index. */
export type ForeignIdActivityStorage = ActivityStorage &
  Required<Pick<ActivityStorage, 'idsByForeignIds'>>;

/** Checks a foreign id given to a lookup: a non-empty string. */
export function checkForeignId(foreignId: unknown): string {
  if (typeof foreignId !== 'string' || foreignId.length === 0) {
    throw new InvalidArgumentError(
      `a foreign id is a non-empty string (e.g. 'pin:123'), got ${JSON.stringify(foreignId) ?? String(foreignId)}`,
      { path: 'foreignId', value: foreignId },
    );
  }
  return foreignId;
}

/**
 * The activity storage holding the foreign-id index of a feed definition: its own one, or (on
 * backends whose timelines hold whole activities) the backend's, where `insertActivities` records
 * activities that carry a foreign id.
 * @throws StorageConfigurationError when the backend keeps no foreign-id index
 */
export function foreignIdStorage(
  storage: StorageBackend,
  own: ActivityStorage | null,
  name: string,
): ForeignIdActivityStorage {
  const activities = own ?? storage.activityStorage({ name });
  if (
    storage.capabilities.foreignIds !== true ||
    typeof activities.idsByForeignIds !== 'function'
  ) {
    throw new StorageConfigurationError(
      `feed ${name}: the ${storage.name} storage keeps no foreign-id index (capabilities.foreignIds), so activities cannot be found or removed by foreignId`,
      { path: 'options.storage', value: storage.name },
    );
  }
  return activities as ForeignIdActivityStorage;
}

/** The ids of the stored activities carrying `foreignId`, ascending (oldest first). */
export async function idsByForeignId(
  activities: ForeignIdActivityStorage,
  foreignId: string,
): Promise<string[]> {
  const found = await activities.idsByForeignIds([checkForeignId(foreignId)]);
  return found.get(foreignId) ?? [];
}

/** The stored activities carrying `foreignId`, oldest first (ids whose activity is gone are left out). */
export async function activitiesByForeignId(
  activities: ForeignIdActivityStorage,
  foreignId: string,
): Promise<Activity[]> {
  const ids = await idsByForeignId(activities, foreignId);
  if (ids.length === 0) return [];
  const found = await activities.getMany(ids);
  return ids.flatMap((id) => {
    const activity = found.get(id);
    return activity !== undefined && activity.foreignId === foreignId ? [activity] : [];
  });
}
