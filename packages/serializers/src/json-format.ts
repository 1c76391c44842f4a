import { NotificationActivity } from '@sf/activity';
import { JsonActivitySerializer } from './json-activity-serializer.js';
import { JsonAggregatedActivitySerializer } from './json-aggregated-activity-serializer.js';
import type { FormatOptions, SerializationFormat } from './serializer.js';
import { SimpleTimelineSerializer } from './simple-timeline-serializer.js';

/**
 * The default format: versioned (`j1:`) compact JSON that carries every field exactly and never
 * executes or instantiates anything on read. Timelines store bare activity ids.
 */
export function jsonFormat(options: FormatOptions = {}): SerializationFormat {
  return {
    name: 'json',
    activitySerializer: () => new JsonActivitySerializer(options),
    timelineSerializer: () => new SimpleTimelineSerializer(),
    aggregatedSerializer: (cls) =>
      new JsonAggregatedActivitySerializer({
        ...options,
        dehydrate: true,
        aggregatedActivityClass: cls,
      }),
    notificationSerializer: (cls) =>
      new JsonAggregatedActivitySerializer({
        ...options,
        dehydrate: false,
        aggregatedActivityClass: cls ?? NotificationActivity,
      }),
  };
}
