import { SerializationError, SfError, StorageError, StorageUnavailableError } from '@sf/activity';
import {
  StorageConfigurationError,
  StorageLockError,
  errorMessage,
  isNetworkError,
} from '@sf/feeds/backend';
import type { StorageConfigurationErrorOptions } from '@sf/feeds/backend';

/** Where a failed PostgreSQL call was made. */
export interface PostgresOperationContext {
  /** The storage operation, e.g. `timeline.get`. */
  operation: string;
  /** The feed (or markers) key involved, when there is one. */
  key?: string | undefined;
}

function where(context: PostgresOperationContext): string {
  return context.key === undefined
    ? context.operation
    : `${context.operation} for ${JSON.stringify(context.key)}`;
}

/**
 * PostgreSQL could not be reached or is not serving: connection refused or lost, the server
 * shutting down or starting up, a connection that took longer than `connectionTimeoutMillis`.
 * Nothing can be assumed about whether a write that failed this way was applied.
 */
export class PostgresUnavailableError extends StorageUnavailableError {
  readonly operation: string;
  readonly key: string | undefined;

  constructor(context: PostgresOperationContext, cause: unknown) {
    super(`PostgreSQL is unavailable (${where(context)}): ${errorMessage(cause)}`, { cause });
    this.operation = context.operation;
    this.key = context.key;
  }
}

/**
 * Every client of the pool stayed busy for the pool's `connectionTimeoutMillis`: the process
 * asks more of the database than its pool allows (raise `max`, or lower the fanout concurrency).
 */
export class PostgresPoolExhaustedError extends StorageError {
  readonly operation: string;
  readonly key: string | undefined;

  constructor(context: PostgresOperationContext, cause: unknown) {
    super(
      `PostgreSQL pool exhausted (${where(context)}): no client became free in time: ${errorMessage(cause)}`,
      { cause, code: 'SF_POSTGRES_POOL_EXHAUSTED' },
    );
    this.operation = context.operation;
    this.key = context.key;
  }
}

/**
 * A statement was cancelled by `statement_timeout` (SQLSTATE 57014) or the driver's
 * `query_timeout`. A timed-out write inside a transaction was rolled back.
 */
export class PostgresTimeoutError extends StorageError {
  readonly operation: string;
  readonly key: string | undefined;

  constructor(context: PostgresOperationContext, cause: unknown) {
    super(`PostgreSQL statement timed out (${where(context)}): ${errorMessage(cause)}`, {
      cause,
      code: 'SF_POSTGRES_TIMEOUT',
    });
    this.operation = context.operation;
    this.key = context.key;
  }
}

/** PostgreSQL refused a statement (SQLSTATE `sqlState`) or answered something unexpected. */
export class PostgresQueryError extends StorageError {
  readonly operation: string;
  readonly key: string | undefined;
  /** The server's SQLSTATE, when the server answered with an error. */
  readonly sqlState: string | undefined;

  constructor(
    context: PostgresOperationContext,
    message: string,
    options: { cause?: unknown; sqlState?: string | undefined } = {},
  ) {
    super(`PostgreSQL ${where(context)} failed: ${message}`, {
      cause: options.cause,
      code: 'SF_POSTGRES_QUERY',
    });
    this.operation = context.operation;
    this.key = context.key;
    this.sqlState = options.sqlState;
  }
}

/**
 * The schema's tables are missing or were migrated by a newer version of this package:
 * run `sync()` (or `sf-postgres-migrate`), or upgrade the package.
 */
export class PostgresSchemaError extends StorageError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'SF_POSTGRES_SCHEMA' });
  }
}

/**
 * `modify` or a marker update could not take its feed's lock within `lockTimeout` (SQLSTATE
 * 55P03). Nothing was written; retrying later is safe. A `StorageLockError`.
 */
export class PostgresLockError extends StorageLockError {
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(key, message, { ...options, code: 'SF_POSTGRES_LOCK' });
  }
}

/**
 * A transaction kept failing with a serialization failure (40001) or a deadlock (40P01) after
 * `attempts` tries. Nothing of it was written; retrying later is safe. A `StorageLockError`.
 */
export class PostgresConflictError extends StorageLockError {
  /** How many times the transaction was tried. */
  readonly attempts: number;

  constructor(key: string, attempts: number, options: { cause?: unknown } = {}) {
    super(
      key,
      `PostgreSQL transaction for ${JSON.stringify(key)} kept conflicting with concurrent ones (${attempts} attempts): ${errorMessage(options.cause)}`,
      { ...options, code: 'SF_POSTGRES_CONFLICT' },
    );
    this.attempts = attempts;
  }
}

/**
 * The options given to `postgresStorage` (or `migrate`) are not usable. A
 * `StorageConfigurationError`, so an `InvalidArgumentError` (code `SF_POSTGRES_CONFIGURATION`).
 */
export class PostgresConfigurationError extends StorageConfigurationError {
  constructor(message: string, options: Omit<StorageConfigurationErrorOptions, 'code'> = {}) {
    super(message, { path: 'postgresStorage', ...options, code: 'SF_POSTGRES_CONFIGURATION' });
  }
}

/**
 * A stored row could not be decoded. Names the table (`schema.table`), the row's key (`key`, also
 * `field`: the feed key, or the activity id for the activity table) and its `id`.
 */
export class PostgresCorruptRowError extends SerializationError {
  readonly table: string;
  readonly key: string;
  /** The row's serialization id. */
  readonly id: string;

  constructor(table: string, key: string, id: string, cause: unknown) {
    super(
      `corrupt row id=${id} of ${table} for key ${JSON.stringify(key)}: ${errorMessage(cause)}`,
      {
        cause,
        field: key,
      },
    );
    this.table = table;
    this.key = key;
    this.id = id;
  }
}

// SQLSTATEs (besides class 08, connection exceptions, and Node's socket errors: isNetworkError):
// admin/crash shutdown, cannot connect now, too many connections.
const unavailableSqlStates = new Set(['57P01', '57P02', '57P03', '53300']);

const unavailableMessages = [
  /^Connection terminated/,
  /^Client has encountered a connection error/,
  /^Client was closed/,
  /^connection timeout/i,
  /the database system is (starting up|shutting down|in recovery mode)/,
];

/** The message node-postgres' pool gives when no client became free in time. */
const poolTimeout = /^timeout exceeded when trying to connect/;

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True when `error` means PostgreSQL could not be reached or cannot serve right now. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (isNetworkError(error)) return true;
  const code = sqlStateOf(error);
  if (code !== undefined && (unavailableSqlStates.has(code) || code.startsWith('08'))) return true;
  return unavailableMessages.some((pattern) => pattern.test(error.message));
}

/** True for the errors a transaction is retried on: serialization failure, deadlock. */
export function isRetryable(error: unknown): boolean {
  const code = sqlStateOf(error);
  return code === '40001' || code === '40P01';
}

/**
 * Maps anything a PostgreSQL call threw to this package's typed errors (SfErrors pass through).
 * `poolFull`: the pool had no idle client when the call waited for one.
 */
export function toStorageError(
  error: unknown,
  context: PostgresOperationContext,
  poolFull = false,
): SfError {
  if (SfError.isInstance(error)) return error;
  const code = sqlStateOf(error);
  const message = errorMessage(error);
  if (poolTimeout.test(message))
    return poolFull
      ? new PostgresPoolExhaustedError(context, error)
      : new PostgresUnavailableError(context, error);
  if (isUnavailable(error)) return new PostgresUnavailableError(context, error);
  if (code === '57014' || /^Query read timeout/.test(message))
    return new PostgresTimeoutError(context, error);
  if (code === '55P03')
    return new PostgresLockError(context.key ?? '', `lock not granted in time: ${message}`, {
      cause: error,
    });
  if (code === '42P01' || code === '3F000')
    return new PostgresSchemaError(
      `PostgreSQL ${where(context)}: ${message} (run sync() or sf-postgres-migrate first)`,
      { cause: error },
    );
  return new PostgresQueryError(context, message, { cause: error, sqlState: code });
}
