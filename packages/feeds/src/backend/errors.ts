import { InvalidArgumentError, StorageError } from '@sf/activity';
import type { SfErrorOptions } from '@sf/activity';

/**
 * A backend could not take a feed's lock in time for `modify` (another writer held it), lost it
 * repeatedly, or a compare-and-set kept conflicting. Nothing was written; retrying later is safe.
 * Backends throw a subclass (`RedisLockError`, `CassandraLockError`) with their own `code`.
 */
export class StorageLockError extends StorageError {
  /** The feed (or marker) key whose lock could not be taken. */
  readonly key: string;

  constructor(key: string, message: string, options: SfErrorOptions & { code?: string } = {}) {
    super(message, { ...options, code: options.code ?? 'SF_STORAGE_LOCK' });
    this.key = key;
  }
}

/** Options of a {@link StorageConfigurationError}. */
export interface StorageConfigurationErrorOptions extends SfErrorOptions {
  /** The option that was wrong, as a path (`redisStorage.lock.retryDelay`); default `options`. */
  path?: string;
  value?: unknown;
  code?: string;
}

/**
 * The options given to a storage backend are not usable: a caller's mistake, found when the
 * backend is created, so it is an `InvalidArgumentError`. Backends throw a subclass
 * (`RedisConfigurationError`, `CassandraConfigurationError`) with their own `code`.
 */
export class StorageConfigurationError extends InvalidArgumentError {
  constructor(message: string, options: StorageConfigurationErrorOptions = {}) {
    super(message, {
      cause: options.cause,
      path: options.path ?? 'options',
      value: options.value,
      code: options.code ?? 'SF_STORAGE_CONFIGURATION',
    });
  }
}
