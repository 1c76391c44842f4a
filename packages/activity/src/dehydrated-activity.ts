import { ActivityNotFoundError } from './errors.js';
import { toSerializationId } from './serialization-id.js';
import type { Activity } from './activity.js';

/** An activity reduced to its id, as timelines store it; hydrated from the activity storage. */
export class DehydratedActivity {
  readonly serializationId: string;

  constructor(serializationId: string | bigint) {
    this.serializationId = toSerializationId(serializationId);
  }

  /** @throws ActivityNotFoundError when `activities` has no entry for this id */
  hydrate(activities: ReadonlyMap<string, Activity>): Activity {
    const activity = activities.get(this.serializationId);
    if (!activity) throw new ActivityNotFoundError(this.serializationId, 'the activity storage');
    return activity;
  }

  toString(): string {
    return `DehydratedActivity(${this.serializationId})`;
  }
}
