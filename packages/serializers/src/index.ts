export type {
  ActivityClass,
  AggregatedActivityClass,
  FormatOptions,
  SerializationFormat,
  Serializer,
} from './serializer.js';
export { jsonFormat } from './json-format.js';
export { streamFrameworkFormat } from './stream-framework-format.js';
export { InvalidFormatError } from './invalid-format-error.js';
export { resolveFormat } from './resolve-format.js';
export type { FormatName, FormatOption } from './resolve-format.js';
export type { StreamFrameworkFormatOptions } from './stream-framework-format.js';
export { JsonActivitySerializer } from './json-activity-serializer.js';
export type { JsonActivitySerializerOptions } from './json-activity-serializer.js';
export { JsonAggregatedActivitySerializer } from './json-aggregated-activity-serializer.js';
export type { JsonAggregatedActivitySerializerOptions } from './json-aggregated-activity-serializer.js';
export {
  FOREIGN_ID_KEY as STREAM_FRAMEWORK_FOREIGN_ID_KEY,
  StreamFrameworkActivitySerializer,
} from './stream-framework-activity-serializer.js';
export type { StreamFrameworkActivitySerializerOptions } from './stream-framework-activity-serializer.js';
export { StreamFrameworkAggregatedActivitySerializer } from './stream-framework-aggregated-activity-serializer.js';
export type { StreamFrameworkAggregatedActivitySerializerOptions } from './stream-framework-aggregated-activity-serializer.js';
export { StreamFrameworkNotificationSerializer } from './stream-framework-notification-serializer.js';
export type { StreamFrameworkNotificationSerializerOptions } from './stream-framework-notification-serializer.js';
export { SimpleTimelineSerializer } from './simple-timeline-serializer.js';
export { pickleDumps } from './pickle-dumps.js';
export type { PickleDumpsOptions, PickleProtocol } from './pickle-dumps.js';
export { pickleLoads } from './pickle-loads.js';
export type { PickleLoadsOptions } from './pickle-loads.js';
export type { PickleKey, PickleValue } from './pickle-value.js';
export { PythonDate, PythonDateTime, PythonFrozenSet, PythonTimedelta } from './python-types.js';
