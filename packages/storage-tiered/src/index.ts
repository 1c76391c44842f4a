export { TieredStorage, tieredStorage } from './tiered-storage.js';
export type { TieredStorageOptions } from './tiered-storage.js';
export type { RefillMode, TieredEvent, TieredMetrics, TieredStats } from './core.js';
export { TieredCacheError, TieredConfigurationError } from './errors.js';
export type { CacheOperation } from './errors.js';
