import { Activity, DehydratedActivity, SerializationError, isSerializationId } from '@sf/activity';
import type { Serializer } from './serializer.js';

/**
 * Timeline members: an activity is stored as its serialization id (both formats; Stream
 * Framework's `SimpleTimelineSerializer`). `loads` gives a `DehydratedActivity`, hydrated later
 * from the activity storage.
 */
export class SimpleTimelineSerializer implements Serializer<Activity | DehydratedActivity> {
  readonly name: string = 'simple-timeline';

  /** @throws SerializationError for anything but an Activity or DehydratedActivity */
  dumps(value: Activity | DehydratedActivity): string {
    if (value instanceof Activity || value instanceof DehydratedActivity)
      return value.serializationId;
    throw new SerializationError(
      `SimpleTimelineSerializer can only dump an Activity or DehydratedActivity, got ${String(value)}`,
    );
  }

  /** @throws SerializationError unless `data` is a decimal id without leading zeros */
  loads(data: string): DehydratedActivity {
    if (!isSerializationId(data)) {
      const text: unknown = data;
      throw new SerializationError(
        `serializationId: expected a decimal activity id, got ${typeof text === 'string' ? JSON.stringify(text.slice(0, 60)) : typeof text}`,
        { field: 'serializationId' },
      );
    }
    return new DehydratedActivity(data);
  }
}
