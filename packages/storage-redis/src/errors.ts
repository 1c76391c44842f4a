import { SerializationError, SfError, StorageError, StorageUnavailableError } from '@sf/activity';
import {
  StorageConfigurationError,
  StorageLockError,
  errorMessage,
  isNetworkError,
} from '@sf/feeds/backend';
import type { StorageConfigurationErrorOptions } from '@sf/feeds/backend';

/** Where a failed Redis call was made. */
export interface RedisOperationContext {
  /** The storage operation, e.g. `timeline.get`. */
  operation: string;
  /** The (prefixed) Redis key involved, when there is one. */
  key?: string | undefined;
}

function where(context: RedisOperationContext): string {
  return context.key === undefined
    ? context.operation
    : `${context.operation} on ${JSON.stringify(context.key)}`;
}

/**
 * Redis could not be reached: connection refused or lost, offline queue disabled, command
 * timed out, cluster down or failing over (a `MOVED` / `ASK` redirection that could not be
 * followed included). Nothing can be assumed about whether a write that
 * failed this way was applied (it was not reported as applied).
 */
export class RedisUnavailableError extends StorageUnavailableError {
  readonly operation: string;
  readonly key: string | undefined;

  constructor(context: RedisOperationContext, cause: unknown) {
    super(`Redis is unavailable (${where(context)}): ${errorMessage(cause)}`, { cause });
    this.operation = context.operation;
    this.key = context.key;
  }
}

/** Redis answered with an error (e.g. WRONGTYPE) or with a reply of an unexpected shape. */
export class RedisReplyError extends StorageError {
  readonly operation: string;
  readonly key: string | undefined;

  constructor(context: RedisOperationContext, message: string, options: { cause?: unknown } = {}) {
    super(`Redis ${where(context)} failed: ${message}`, { ...options, code: 'SF_REDIS_REPLY' });
    this.operation = context.operation;
    this.key = context.key;
  }
}

/**
 * `modify` could not take a feed's lock in time (another writer held it), or lost it repeatedly.
 * A `StorageLockError` (code `SF_REDIS_LOCK`).
 */
export class RedisLockError extends StorageLockError {
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(key, message, { ...options, code: 'SF_REDIS_LOCK' });
  }
}

/**
 * The options given to `redisStorage` (or another function of this package) are not usable. A
 * `StorageConfigurationError`, so an `InvalidArgumentError` (code `SF_REDIS_CONFIGURATION`).
 */
export class RedisConfigurationError extends StorageConfigurationError {
  constructor(message: string, options: Omit<StorageConfigurationErrorOptions, 'code'> = {}) {
    super(message, { path: 'redisStorage', ...options, code: 'SF_REDIS_CONFIGURATION' });
  }
}

/**
 * A stored entry (a timeline member or an activity hash value) could not be decoded. Names the
 * Redis key (`key`, also `field`) and the entry (`entry`: the member, or the hash field).
 */
export class RedisSerializationError extends SerializationError {
  readonly key: string;
  readonly entry: string;

  constructor(key: string, entry: string, cause: unknown) {
    super(
      `corrupt entry ${JSON.stringify(truncate(entry))} in Redis key ${JSON.stringify(key)}: ${errorMessage(cause)}`,
      {
        cause,
        field: key,
      },
    );
    this.key = key;
    this.entry = entry;
  }
}

function truncate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

const unavailableNames = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'AbortError',
]);

// ioredis' own messages when it cannot send a command, and Redis' replies while it cannot serve.
const unavailableMessages = [
  /^Connection is closed/,
  /^Stream isn't writeable/,
  /^Cluster isn't ready/,
  /^None of startup nodes is available/,
  /^Failed to refresh slots cache/,
  /^Command timed out/,
  /^Too many Cluster redirections/,
  /^(CLUSTERDOWN|LOADING|MASTERDOWN|TRYAGAIN|READONLY|BUSY)\b/,
  // A redirection that reached the caller: the cluster's slots are moving (failover, resharding).
  /^(MOVED|ASK) \d+ /,
];

/** True when `error` means Redis could not be reached or cannot serve right now. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (unavailableNames.has(error.name) || isNetworkError(error)) return true;
  return unavailableMessages.some((pattern) => pattern.test(error.message));
}

/** Maps anything a Redis call threw to this package's typed errors (SfErrors pass through). */
export function toStorageError(error: unknown, context: RedisOperationContext): SfError {
  if (SfError.isInstance(error)) return error;
  if (isUnavailable(error)) return new RedisUnavailableError(context, error);
  return new RedisReplyError(context, errorMessage(error), { cause: error });
}
