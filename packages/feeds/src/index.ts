export { Feed, FeedDefinition } from './feed.js';
export type { FeedOptions, FeedUpdate, WriteOptions } from './feed.js';
export { AggregatedFeed, AggregatedFeedDefinition } from './aggregated-feed.js';
export type { AggregatedFeedOptions } from './aggregated-feed.js';
export {
  NotificationFeed,
  NotificationFeedDefinition,
  STREAM_FRAMEWORK_MARKERS_KEY_FORMAT,
} from './notification-feed.js';
export type {
  MarkOptions,
  NotificationCountsEvent,
  NotificationFeedOptions,
} from './notification-feed.js';
export { BaseFeed, BaseFeedDefinition } from './base-feed.js';
export { RankedFeed, RankingScoreError, decayedPopularity } from './ranking.js';
export type {
  DecayedPopularityOptions,
  RankedPage,
  RankedPageOptions,
  RankedSource,
  Ranking,
  RankingContext,
  RankingDefinition,
} from './ranking.js';
export type { BaseFeedOptions, FeedIndexOptions, FeedView } from './base-feed.js';
export { formatFeedKey, userIdFromKey, validateKeyFormat, validateUserId } from './keys.js';
export type { UserId } from './keys.js';
export type { FeedFilter, FeedOrdering, PageOptions } from './query.js';
export { resolveVerbId } from './query.js';
export type {
  IndexedValues,
  TimelineDimension,
  TimelineIndex,
  TimelineWhere,
} from './backend/indexes.js';
export { NoopMetrics, noopMetrics } from './metrics.js';
export { FormatMismatchError, detectFormatMismatch } from './format-mismatch.js';
export { InvalidFeedOptionError, InvalidQueryError } from './errors.js';
export type { StoredValueKind } from './format-mismatch.js';
export type { BackendCapabilities, FeedNameRule, Reach } from './backend/capabilities.js';
export { StorageConfigurationError, StorageLockError } from './backend/errors.js';
export { KeyedMutex } from './backend/keyed-mutex.js';
export { applyMarkerUpdate } from './backend/marker-update.js';
export { activitiesById, checkActivityConflict } from './backend/activity-conflicts.js';
export { checkActivityUpdate, updateStoredActivities } from './backend/activity-update.js';
export type { ActivityCacheEvent, Metrics, Timer } from './metrics.js';
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
} from './backend/contracts.js';
