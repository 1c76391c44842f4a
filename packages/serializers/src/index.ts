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
export { ActivitySerializer } from './activity-serializer.js';
export type { ActivitySerializerOptions } from './activity-serializer.js';
export { AggregatedActivitySerializer } from './aggregated-activity-serializer.js';
export type { AggregatedActivitySerializerOptions } from './aggregated-activity-serializer.js';
export { NotificationSerializer } from './notification-serializer.js';
export type { NotificationSerializerOptions } from './notification-serializer.js';
export { SimpleTimelineSerializer } from './simple-timeline-serializer.js';
export { pickleDumps } from './pickle-dumps.js';
export type { PickleDumpsOptions, PickleProtocol } from './pickle-dumps.js';
export { pickleLoads } from './pickle-loads.js';
export type { PickleLoadsOptions } from './pickle-loads.js';
export type { PickleKey, PickleValue } from './pickle-value.js';
export { PythonDate, PythonDateTime, PythonFrozenSet, PythonTimedelta } from './python-types.js';
