export { Feed, FeedDefinition } from './feed.js';
export type { FeedOptions, FeedUpdate, WriteOptions } from './feed.js';
export { AggregatedFeed, AggregatedFeedDefinition } from './aggregated-feed.js';
export type { AggregatedFeedOptions } from './aggregated-feed.js';
export { NotificationFeed, NotificationFeedDefinition, STREAM_FRAMEWORK_MARKERS_KEY_FORMAT } from './notification-feed.js';
export type { MarkOptions, NotificationCountsEvent, NotificationFeedOptions } from './notification-feed.js';
export { BaseFeed, BaseFeedDefinition } from './base-feed.js';
export type { BaseFeedOptions, FeedView } from './base-feed.js';
export { formatFeedKey, userIdFromKey, validateKeyFormat, validateUserId } from './keys.js';
export type { UserId } from './keys.js';
export type { FeedFilter, FeedOrdering, PageOptions } from './query.js';
export { NoopMetrics, noopMetrics } from './metrics.js';
export { FormatMismatchError, detectFormatMismatch } from './format-mismatch.js';
export { InvalidFeedOptionError, InvalidQueryError } from './errors.js';
export type { StoredValueKind } from './format-mismatch.js';
export { KeyedMutex } from './storage/keyed-mutex.js';
export { applyMarkerUpdate } from './storage/marker-update.js';
export { activitiesById, checkActivityConflict } from './storage/activity-conflicts.js';
export type { Metrics, Timer } from './metrics.js';
export type {
  ActivityStorage,
  FlatTimelineItem,
  IdFilter,
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
  StorageBackend,
  TimelineChange,
  TimelineItem,
  TimelineKind,
  TimelineOrder,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWriteOptions,
} from './storage/contracts.js';
