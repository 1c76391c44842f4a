import { ActivityNotFoundError } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { activitiesById, checkActivityConflict } from './activity-conflicts.js';
import type { ActivityStorage } from './contracts.js';

/**
 * What every `ActivityStorage.updateMany` checks before it writes, given the activities of the
 * call by id (`activitiesById`) and what is stored under those ids: every id is stored (an update
 * creates nothing) and by the same actor.
 * @throws ActivityNotFoundError naming the first id that is not stored (and how many are not)
 * @throws ActivityConflictError when an id holds another actor's activity
 */
export function checkActivityUpdate(
  byId: ReadonlyMap<string, Activity>,
  stored: ReadonlyMap<string, Activity | null>,
): void {
  const missing = [...byId.keys()].filter((id) => !stored.has(id));
  if (missing.length > 0) {
    const more = missing.length > 1 ? ` (and ${missing.length - 1} more of the batch)` : '';
    throw new ActivityNotFoundError(
      missing[0]!,
      `the activity storage${more}: an update changes stored activities only, nothing was updated`,
    );
  }
  for (const [id, activity] of byId) {
    const previous = stored.get(id);
    // An undecodable stored value (null) holds no activity to protect, as in addMany.
    if (previous) checkActivityConflict(previous, activity);
  }
}

/**
 * Updates stored activities in place through `storage.updateMany`, or, for a storage without
 * it, by `getMany` + the checks + `addMany` (not atomic against a concurrent removal).
 * @throws ActivityNotFoundError, ActivityConflictError (nothing stored)
 */
export async function updateStoredActivities(
  storage: ActivityStorage,
  activities: readonly Activity[],
): Promise<number> {
  if (activities.length === 0) return 0;
  if (storage.updateMany) return storage.updateMany(activities);
  const byId = activitiesById(activities);
  checkActivityUpdate(byId, await storage.getMany([...byId.keys()]));
  await storage.addMany([...byId.values()]);
  return byId.size;
}
