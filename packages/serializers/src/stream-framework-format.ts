import { StreamFrameworkActivitySerializer } from './stream-framework-activity-serializer.js';
import { StreamFrameworkAggregatedActivitySerializer } from './stream-framework-aggregated-activity-serializer.js';
import { StreamFrameworkNotificationSerializer } from './stream-framework-notification-serializer.js';
import type { PickleProtocol } from './pickle-dumps.js';
import { InvalidFormatError } from './invalid-format-error.js';
import type { FormatOptions, SerializationFormat } from './serializer.js';
import { SimpleTimelineSerializer } from './simple-timeline-serializer.js';

export interface StreamFrameworkFormatOptions extends FormatOptions {
  /** Pickle protocol for `extraContext`: 4 (default, as Python 3) or 2 (readable by Python 2). */
  pickleProtocol?: PickleProtocol;
}

/**
 * Stream Framework 1.4's wire formats, byte for byte, to share a Redis or Cassandra with Python
 * Stream Framework deployments (or migrate from one). `extraContext` is pickled; reading accepts
 * only plain data and never executes anything.
 */
export function streamFrameworkFormat(
  options: StreamFrameworkFormatOptions = {},
): SerializationFormat {
  // Checked here: otherwise a bad protocol surfaces as a SerializationError at the first write.
  const protocol: unknown = options.pickleProtocol;
  if (protocol !== undefined && protocol !== 2 && protocol !== 4) {
    throw new InvalidFormatError(
      'streamFrameworkFormat.pickleProtocol',
      protocol,
      'must be 2 or 4',
    );
  }
  return {
    name: 'stream-framework',
    activitySerializer: () => new StreamFrameworkActivitySerializer(options),
    timelineSerializer: () => new SimpleTimelineSerializer(),
    aggregatedSerializer: (cls) =>
      new StreamFrameworkAggregatedActivitySerializer({ aggregatedActivityClass: cls }),
    notificationSerializer: (cls) =>
      new StreamFrameworkNotificationSerializer({ ...options, aggregatedActivityClass: cls }),
  };
}
