import { type Activity, ActivityConflictError } from '@sf/activity';

/**
 * The activities of one `ActivityStorage.addMany` call by id (the last of equal ids wins, as
 * when they are written one after the other).
 * @throws ActivityConflictError when two of them share an id but not their actor
 */
export function activitiesById(activities: readonly Activity[]): Map<string, Activity> {
  const byId = new Map<string, Activity>();
  for (const activity of activities) {
    const earlier = byId.get(activity.serializationId);
    if (earlier) checkActivityConflict(earlier, activity);
    byId.set(activity.serializationId, activity);
  }
  return byId;
}

/**
 * What every activity storage checks before it overwrites a stored activity: the same id may be
 * written again (Stream Framework overwrites it), but never by another actor; ids of the
 * `'stream-framework'` scheme have no actor, so two actors doing the same verb to the same
 * object in the same millisecond share one.
 * @throws ActivityConflictError when `stored` and `incoming` have different actors
 */
export function checkActivityConflict(stored: Activity, incoming: Activity): void {
  if (stored.actorId !== incoming.actorId) {
    throw new ActivityConflictError(incoming.serializationId, stored.actorId, incoming.actorId);
  }
}
