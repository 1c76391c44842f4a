export { RedisStorage, redisCapabilities, redisStorage } from './redis-storage.js';
export type { RedisActivityCacheHandle, RedisStorageOptions } from './redis-storage.js';
export { REDIS_LAYOUTS, compactScore } from './layout.js';
export type { RedisLayout } from './layout.js';
export { DEFAULT_ACTIVITY_CACHE_MAX_BYTES } from './activity-cache.js';
export type { ActivityCacheOptions, ActivityCacheStats } from './activity-cache.js';
export { RedisTimelineStorage } from './redis-timeline-storage.js';
export { RedisActivityStorage } from './redis-activity-storage.js';
export { CLOCK_SHARDS, RedisActivityClock } from './redis-activity-clock.js';
export { RedisMarkerStorage } from './redis-marker-storage.js';
export type { CorruptEntryPolicy, RedisLockOptions } from './context.js';
export type { RedisClient } from './redis-runner.js';
export { RedisKeys, activityShard, DEFAULT_MARKERS_KEY_FORMAT } from './keys.js';
export type { MarkerList, MarkersKeyFormat } from './keys.js';
export { hashTagOf, keySlot } from './slot.js';
export { deleteKeysWithPrefix, keysWithPrefix, scanKeys } from './keyspace.js';
export { migrationCheck } from './check/migration-check.js';
export type { CheckedFeed, MigrationCheckOptions } from './check/migration-check.js';
export { formatReport } from './check/report.js';
export type {
  EntryExample,
  MigrationReport,
  PatternKind,
  PatternReport,
  StatusCounts,
} from './check/report.js';
export type { EntryStatus } from './check/entries.js';
export { FormatMismatchError } from '@sf/feeds';
export {
  RedisConfigurationError,
  RedisLockError,
  RedisReplyError,
  RedisSerializationError,
  RedisUnavailableError,
} from './errors.js';
export type { RedisOperationContext } from './errors.js';
