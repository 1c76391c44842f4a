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
 * written again (Stream Framework overwrites it), but never by a different activity: another
 * actor (ids of the `'stream-framework'` scheme have no actor, so two actors doing the same verb
 * to the same object in the same millisecond share one), another object or another foreign id
 * (string ids and foreign ids take hashed stand-ins in ids, which can collide).
 * @throws ActivityConflictError when `stored` and `incoming` are different activities
 */
export function checkActivityConflict(stored: Activity, incoming: Activity): void {
  if (stored.actorId !== incoming.actorId) {
    throw new ActivityConflictError(incoming.serializationId, stored.actorId, incoming.actorId);
  }
  if (stored.foreignId !== incoming.foreignId) {
    throw new ActivityConflictError(incoming.serializationId, stored.actorId, incoming.actorId, {
      field: 'foreignId',
      storedValue: stored.foreignId,
      newValue: incoming.foreignId,
    });
  }
  // Same foreign id and time: the same activity, whatever its object.
  if (stored.foreignId === null && stored.objectId !== incoming.objectId) {
    throw new ActivityConflictError(incoming.serializationId, stored.actorId, incoming.actorId, {
      field: 'object',
      storedValue: stored.objectId,
      newValue: incoming.objectId,
    });
  }
}
