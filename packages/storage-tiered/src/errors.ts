import { StorageError } from '@sf/activity';
import { StorageConfigurationError, errorMessage } from '@sf/feeds/backend';
import type { StorageConfigurationErrorOptions } from '@sf/feeds/backend';

/** The options of `tieredStorage` are not usable (e.g. a cache backend without `capabilities.cacheTier`). */
export class TieredConfigurationError extends StorageConfigurationError {
  constructor(message: string, options: StorageConfigurationErrorOptions = {}) {
    super(message, { ...options, code: 'SF_TIERED_CONFIGURATION' });
  }
}

/** What the tiered backend was doing with the cache when it failed. */
export type CacheOperation =
  | 'write'
  | 'read'
  | 'count'
  | 'trim'
  | 'evict'
  | 'begin-fill'
  | 'fill'
  | 'activity-write'
  | 'activity-read'
  | 'activity-remove';

/**
 * The cache backend failed. Never thrown to a feed: the tiered backend answers from (or has
 * already written to) the durable backend, and reports this to `onCacheError` and the metrics.
 */
export class TieredCacheError extends StorageError {
  readonly operation: CacheOperation;
  /** The feed keys (or activity ids, for `activity-*`) concerned. */
  readonly keys: readonly string[];

  constructor(operation: CacheOperation, keys: readonly string[], cause: unknown) {
    const shown = keys.slice(0, 3).map((key) => JSON.stringify(key));
    const more = keys.length > 3 ? ` and ${keys.length - 3} more` : '';
    super(
      `cache ${operation} failed for ${shown.join(', ') || 'no keys'}${more}: ${errorMessage(cause)}`,
      { cause, code: 'SF_TIERED_CACHE' },
    );
    this.operation = operation;
    this.keys = keys;
  }
}
