/**
 * `@sf/feeds/backend`: what a storage backend implements, in one place. A new backend implements
 * the contracts, declares its capabilities with `defineCapabilities`, throws the storage error
 * family, reads its `format` option with `resolveFormat`, and runs the suites of
 * `@sf/feeds/testing` (and `@sf/manager/testing`).
 */
export type {
  ActivityClockStorage,
  ActivityStorage,
  BatchedTimelineChange,
  CachedPage,
  FlatTimelineItem,
  IdFilter,
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
  ModifyMany,
  ModifyManyOptions,
  ModifyManyResult,
  RebuildFinishedEvent,
  RebuildState,
  StorageBackend,
  TimelineChange,
  TimelineItem,
  TimelineKind,
  TimelineOrder,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWriteOptions,
} from './contracts.js';
export { indexValue, indexedValuesOf, isEmptyWhere, matchesWhere } from './indexes.js';
export type { IndexedValues, TimelineDimension, TimelineIndex, TimelineWhere } from './indexes.js';
export { checkFeedName, defineCapabilities } from './capabilities.js';
export type { BackendCapabilities, FeedNameRule, Reach } from './capabilities.js';
export {
  StorageConfigurationError,
  StorageLockError,
  errorMessage,
  isNetworkError,
} from './errors.js';
export type { StorageConfigurationErrorOptions } from './errors.js';
export { forEachLimited } from './concurrency.js';
export {
  RebuildListeners,
  decodeMarkerEvent,
  decodeRebuildEvent,
  encodeMarkerEvent,
  encodeRebuildEvent,
  subscribeRebuildEvents,
} from './events.js';
export type { EventChannel, MarkerEventMessage, RebuildEventMessage } from './events.js';
export { KeyedMutex } from './keyed-mutex.js';
export { applyMarkerUpdate } from './marker-update.js';
export { activitiesById, checkActivityConflict } from './activity-conflicts.js';
export { checkActivityUpdate, updateStoredActivities } from './activity-update.js';
export { FormatMismatchError, detectFormatMismatch } from '../format-mismatch.js';
export type { StoredValueKind } from '../format-mismatch.js';
// One parser of every backend's `format` option (`'json'`, `'stream-framework'` or a format).
export { InvalidFormatError, resolveFormat } from '@sf/serializers';
export type { FormatOption, SerializationFormat, Serializer } from '@sf/serializers';
export { StorageError, StorageUnavailableError } from '@sf/activity';
