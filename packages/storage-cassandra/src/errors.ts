import { SerializationError, StorageError, StorageUnavailableError } from '@sf/activity';
import { StorageConfigurationError, StorageLockError } from '@sf/feeds/backend';
import type { StorageConfigurationErrorOptions } from '@sf/feeds/backend';

/** Where a failed Cassandra call was made. */
export interface CassandraOperationContext {
  /** The storage operation, e.g. `timeline.get`. */
  operation: string;
  /** The `keyspace.table` involved, when there is one. */
  table?: string | undefined;
  /** The feed (partition) key involved, when there is one. */
  key?: string | undefined;
}

function where(context: CassandraOperationContext): string {
  const parts = [context.operation];
  if (context.table !== undefined) parts.push(`on ${context.table}`);
  if (context.key !== undefined) parts.push(`for feed ${JSON.stringify(context.key)}`);
  return parts.join(' ');
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/**
 * No Cassandra node could be reached or enough replicas were not alive: connection refused, no
 * host available, `Unavailable` from the coordinator, or connecting took longer than
 * `connectTimeout`. Nothing can be assumed about whether a write that failed this way was applied.
 */
export class CassandraUnavailableError extends StorageUnavailableError {
  readonly operation: string;
  readonly table: string | undefined;
  readonly key: string | undefined;

  constructor(
    context: CassandraOperationContext,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Cassandra is unavailable (${where(context)}): ${message}`, options);
    this.operation = context.operation;
    this.table = context.table;
    this.key = context.key;
  }
}

/**
 * A query did not complete in time: the driver's `requestTimeout` elapsed, or the coordinator
 * answered `ReadTimeout` / `WriteTimeout`. A timed-out write may or may not have been applied.
 */
export class CassandraTimeoutError extends StorageError {
  readonly operation: string;
  readonly table: string | undefined;
  readonly key: string | undefined;

  constructor(
    context: CassandraOperationContext,
    message: string,
    options: { cause?: unknown } = {},
  ) {
    super(`Cassandra timed out (${where(context)}): ${message}`, {
      ...options,
      code: 'SF_CASSANDRA_TIMEOUT',
    });
    this.operation = context.operation;
    this.table = context.table;
    this.key = context.key;
  }
}

/** Cassandra rejected a query (syntax, invalid request, overload, ...) or answered unexpectedly. */
export class CassandraQueryError extends StorageError {
  readonly operation: string;
  readonly table: string | undefined;
  readonly key: string | undefined;
  /** The driver's response error code (e.g. 0x2200 for Invalid), when there is one. */
  readonly responseCode: number | undefined;

  constructor(
    context: CassandraOperationContext,
    message: string,
    options: { cause?: unknown; responseCode?: number } = {},
  ) {
    super(`Cassandra ${where(context)} failed: ${message}`, {
      cause: options.cause,
      code: 'SF_CASSANDRA_QUERY',
    });
    this.operation = context.operation;
    this.table = context.table;
    this.key = context.key;
    this.responseCode = options.responseCode;
  }
}

/**
 * The keyspace or a table is missing or has a shape this package cannot use (a column of another
 * type, another primary key). `syncSchema()` creates what is missing; it never drops anything.
 */
export class CassandraSchemaError extends StorageError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, code: 'SF_CASSANDRA_SCHEMA' });
  }
}

/**
 * `modify` could not take a feed's lock in time, or a marker update kept conflicting. A
 * `StorageLockError` (code `SF_CASSANDRA_LOCK`).
 */
export class CassandraLockError extends StorageLockError {
  constructor(key: string, message: string, options: { cause?: unknown } = {}) {
    super(key, message, { ...options, code: 'SF_CASSANDRA_LOCK' });
  }
}

/**
 * The options given to `cassandraStorage` are not usable. A `StorageConfigurationError`, so an
 * `InvalidArgumentError` (code `SF_CASSANDRA_CONFIGURATION`).
 */
export class CassandraConfigurationError extends StorageConfigurationError {
  constructor(message: string, options: Omit<StorageConfigurationErrorOptions, 'code'> = {}) {
    super(message, { path: 'cassandraStorage', ...options, code: 'SF_CASSANDRA_CONFIGURATION' });
  }
}

/**
 * A stored row could not be decoded (an undecodable `extra_context` or `activities` blob, a
 * missing column, an unknown verb). Names the feed (`key`, also `field`), the table and the row.
 */
export class CassandraSerializationError extends SerializationError {
  readonly key: string;
  readonly table: string;
  /** The row's `activity_id`. */
  readonly activityId: string;

  constructor(table: string, key: string, activityId: string, cause: unknown) {
    super(
      `feed ${JSON.stringify(key)}: cannot decode row activity_id=${activityId} of ${table}: ${messageOf(cause)}`,
      {
        cause,
        field: key,
      },
    );
    this.key = key;
    this.table = table;
    this.activityId = activityId;
  }
}
