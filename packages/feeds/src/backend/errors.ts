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

/**
 * The message of anything a driver threw: an Error's `message`, else its string form. Backends
 * put it in their errors' messages, after naming the operation that failed.
 */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * Node's socket error codes (`error.code`) that mean the server could not be reached or the
 * connection broke, whatever the driver: what every backend maps to its
 * `StorageUnavailableError` before looking at its own protocol's codes.
 */
const networkErrorCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/**
 * True when `error` is an Error whose `code` is one of Node's socket error codes meaning the
 * server could not be reached or the connection broke (`ECONNREFUSED`, `ECONNRESET`, `ETIMEDOUT`,
 * `ENOTFOUND`, ...).
 */
export function isNetworkError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && networkErrorCodes.has(code);
}
