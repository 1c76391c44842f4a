import type { Activity } from '@sf/activity';

/**
 * A loader of activities by id for one batched write: the lookups the feeds of a batch make in
 * the same turn of the event loop go to the activity storage as one call, and each id is looked
 * up at most once per loader (the followers' feeds of a fanout hold the same activities).
 */
export function coalescingActivityLoader(
  load: (ids: readonly string[]) => Promise<Map<string, Activity>>,
): (ids: readonly string[]) => Promise<Map<string, Activity>> {
  const known = new Map<string, Promise<Activity | undefined>>();
  /** Lookups already answered (null: not in the storage): most calls need no promise at all. */
  const answered = new Map<string, Activity | null>();
  let queued: Array<{ id: string; resolve: (activity: Activity | undefined) => void }> = [];
  let rejectQueued: Array<(error: unknown) => void> = [];
  const flush = async (): Promise<void> => {
    const batch = queued;
    const rejects = rejectQueued;
    queued = [];
    rejectQueued = [];
    try {
      const found = await load(batch.map((entry) => entry.id));
      for (const entry of batch) {
        const activity = found.get(entry.id);
        answered.set(entry.id, activity ?? null);
        entry.resolve(activity);
      }
    } catch (error) {
      for (const reject of rejects) reject(error);
    }
  };
  const lookup = (id: string): Promise<Activity | undefined> => {
    let promise = known.get(id);
    if (promise === undefined) {
      promise = new Promise<Activity | undefined>((resolve, reject) => {
        if (queued.length === 0) setImmediate(() => void flush());
        queued.push({ id, resolve });
        rejectQueued.push(reject);
      });
      known.set(id, promise);
    }
    return promise;
  };
  return async (ids) => {
    const found = new Map<string, Activity>();
    let complete = true;
    for (const id of ids) {
      const activity = answered.get(id);
      if (activity === undefined) {
        complete = false;
        break;
      }
      if (activity !== null) found.set(id, activity);
    }
    if (complete) return found;
    found.clear();
    const activities = await Promise.all(ids.map(lookup));
    ids.forEach((id, index) => {
      const activity = activities[index];
      if (activity !== undefined) found.set(id, activity);
    });
    return found;
  };
}
