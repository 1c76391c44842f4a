import { StorageUnavailableError } from '@sf/activity';
import { runLockedDdl } from '@sf/storage-postgres';
import pg from 'pg';
import { redactedUrl } from './config/storage.js';
import { ApiError } from './errors.js';

/**
 * What the PostgreSQL stores need of a connection: one statement with parameters. A `pg.Pool`
 * is one; tests wrap it to see every statement and what it returned.
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: unknown[],
  ): Promise<pg.QueryResult<R>>;
}

/** A schema name as an SQL identifier (config validation allows lowercase letters, digits and `_` only). */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * The tables of the server, created if missing. Idempotent and safe when several servers start
 * at once (a transaction-scoped advisory lock per schema serializes the `CREATE ... IF NOT
 * EXISTS`, which otherwise can race on PostgreSQL's catalogs). Text columns that are compared
 * use the "C" collation: equality is byte equality and B-tree comparisons skip the locale.
 */
export function schemaStatements(schema: string): string[] {
  const s = quoteIdentifier(schema);
  return [
    `CREATE SCHEMA IF NOT EXISTS ${s}`,
    `CREATE TABLE IF NOT EXISTS ${s}.item_sequences (
      tenant text COLLATE "C" PRIMARY KEY,
      last_id bigint NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${s}.items (
      tenant text COLLATE "C" NOT NULL,
      id bigint NOT NULL,
      data text NOT NULL,
      PRIMARY KEY (tenant, id))`,
    `CREATE TABLE IF NOT EXISTS ${s}.item_index (
      tenant text COLLATE "C" NOT NULL,
      key text COLLATE "C" NOT NULL,
      value text COLLATE "C" NOT NULL,
      id bigint NOT NULL,
      PRIMARY KEY (tenant, key, value, id))`,
    `CREATE TABLE IF NOT EXISTS ${s}.follows (
      tenant text COLLATE "C" NOT NULL,
      user_id text COLLATE "C" NOT NULL,
      target_id text COLLATE "C" NOT NULL,
      PRIMARY KEY (tenant, user_id, target_id))`,
    `CREATE INDEX IF NOT EXISTS follows_by_target ON ${s}.follows (tenant, target_id, user_id)`,
  ];
}

/**
 * Creates the schema's tables and indexes (see schemaStatements) in one transaction, under the
 * advisory lock of @sf/storage-postgres's runLockedDdl, which also holds the pool client safely:
 * a connection lost meanwhile is a StorageUnavailableError (the server refuses to start), not a
 * process crashed by an unheard 'error' event of the checked-out client.
 */
export async function createSchema(pool: pg.Pool, schema: string): Promise<void> {
  const what = `creating schema ${schema}`;
  try {
    await runLockedDdl({
      pool,
      lockKey: `sf-stream-server:${schema}`,
      statements: schemaStatements(schema),
      operation: what,
    });
  } catch (error) {
    // Already typed (PostgresUnavailableError is one): wrapped again it would say it twice.
    if (error instanceof StorageUnavailableError) throw error;
    const state = (error as { sqlState?: unknown }).sqlState;
    throw new ApiError(
      500,
      'STORAGE_ERROR',
      `${(error as Error).message}${typeof state === 'string' ? ` (SQLSTATE ${state})` : ''}`,
      { cause: error },
    );
  }
}

export interface PoolOptions {
  url?: string;
  poolSize?: number;
  /** Called with errors of idle connections (a server restart); they must not crash the process. */
  onError?: (error: Error) => void;
}

export function createPool({ url, poolSize, onError }: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    ...(url === undefined ? {} : { connectionString: url }),
    max: poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    application_name: 'sf-stream-server',
  });
  pool.on('error', (error) => onError?.(error));
  return pool;
}

/** The connection's target as it may be logged (no password). */
export function describeTarget(url: string | undefined): string {
  return url === undefined ? 'PostgreSQL (PG* environment)' : redactedUrl(url);
}

/** SQLSTATE classes and codes that mean "the server is not there (now)", not "this statement is wrong". */
const unavailableStates = /^(08|57P0[1-3]|53300)/;
const unavailableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
]);

function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof AggregateError) return error.errors.some(isUnavailable);
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (unavailableStates.test(code) || unavailableErrnos.has(code)))
    return true;
  // node-postgres's own errors for a lost connection or a full pool carry no code.
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
    error.message,
  );
}

/**
 * Runs a statement of the server; a server that does not answer becomes a
 * StorageUnavailableError (503), any other failure a 500 STORAGE_ERROR naming what was being
 * done (`items of tenant acme`) and the SQLSTATE.
 */
export async function postgresCall<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isUnavailable(error))
      throw new StorageUnavailableError(
        `PostgreSQL is unavailable (${what}): ${(error as Error).message}`,
        { cause: error },
      );
    const state = (error as { code?: unknown }).code;
    throw new ApiError(
      500,
      'STORAGE_ERROR',
      `PostgreSQL failed on ${what}: ${(error as Error).message}${typeof state === 'string' ? ` (SQLSTATE ${state})` : ''}`,
      { cause: error },
    );
  }
}
