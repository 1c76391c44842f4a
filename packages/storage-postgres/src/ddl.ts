import type pg from 'pg';
import { errorMessage } from '@sf/feeds/backend';
import {
  PostgresConfigurationError,
  PostgresQueryError,
  PostgresSchemaError,
  toStorageError,
  type PostgresOperationContext,
} from './errors.js';
import { PostgresRunner } from './runner.js';

/**
 * Runs `work` in one transaction on `client`, after taking the transaction-scoped advisory lock
 * keyed by `lockKey` (`pg_advisory_xact_lock(hashtextextended(lockKey, 0))`), so that callers
 * with the same key, in any process, run one at a time: concurrent `CREATE ... IF NOT EXISTS`
 * race on PostgreSQL's catalogs (a unique violation on `pg_type`) without it. Commits, or rolls
 * back and throws the package's typed error (toStorageError). The lock ends with the transaction.
 *
 * The caller owns `client` and its 'error' listener (runLockedDdl, or `migrate`'s own client).
 */
export async function lockedTransaction<R>(
  client: pg.ClientBase,
  lockKey: string,
  context: PostgresOperationContext,
  work: (client: pg.ClientBase) => Promise<R>,
): Promise<R> {
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A lost connection fails the ROLLBACK too; the server then rolls back on its own.
    await client.query('ROLLBACK').catch(() => undefined);
    throw toStorageError(error, context);
  }
}

export interface LockedDdlOptions {
  /** The pool to take one client from, held for the transaction and then released (not ended). */
  pool: pg.Pool;
  /**
   * What the advisory lock is keyed by: calls with the same key, from any process, run one at a
   * time (e.g. `my-app:schema:<schema name>`). Choose one that no other code locks on.
   */
  lockKey: string;
  /** The statements, run in order in one transaction (idempotent ones: `IF NOT EXISTS`). */
  statements: readonly string[];
  /** Names the call in errors (`PostgreSQL is unavailable (<operation>): ...`); default `ddl`. */
  operation?: string | undefined;
}

function checkOptions(options: LockedDdlOptions): void {
  const fail = (path: string, value: unknown, message: string): never => {
    throw new PostgresConfigurationError(`runLockedDdl: ${message}`, {
      path: `runLockedDdl.${path}`,
      value,
    });
  };
  if (typeof (options?.pool as { connect?: unknown } | undefined)?.connect !== 'function')
    fail('pool', options?.pool, `pool must be a pg.Pool, got ${typeof options?.pool}`);
  if (typeof options.lockKey !== 'string' || options.lockKey === '')
    fail(
      'lockKey',
      options.lockKey,
      `lockKey must be a non-empty string, got ${JSON.stringify(options.lockKey)}`,
    );
  if (!Array.isArray(options.statements))
    fail(
      'statements',
      options.statements,
      `statements must be an array of SQL strings, got ${typeof options.statements}`,
    );
  options.statements.forEach((statement, index) => {
    if (typeof statement !== 'string' || statement.trim() === '')
      fail(
        `statements[${index}]`,
        statement,
        `statements[${index}] must be a non-empty SQL string, got ${JSON.stringify(statement)}`,
      );
  });
  if (options.operation !== undefined && typeof options.operation !== 'string')
    fail(
      'operation',
      options.operation,
      `operation must be a string, got ${typeof options.operation}`,
    );
}

/**
 * A statement's failure, naming the statement. A missing relation or schema (42P01, 3F000) is a
 * PostgresQueryError here, not the PostgresSchemaError that tells to run `sync()`: these are the
 * caller's tables, not the package's.
 */
function statementError(error: unknown, context: PostgresOperationContext, index: number): unknown {
  const mapped = toStorageError(error, context);
  if (!(mapped instanceof PostgresQueryError || mapped instanceof PostgresSchemaError))
    return mapped;
  const sqlState = (error as { code?: unknown }).code;
  return new PostgresQueryError(context, `statements[${index}]: ${errorMessage(error)}`, {
    cause: error,
    sqlState: typeof sqlState === 'string' ? sqlState : undefined,
  });
}

/**
 * Runs DDL statements (an application's own tables beside the package's) in one transaction under
 * a transaction-scoped advisory lock keyed by `lockKey`, on one client of `pool`: processes
 * starting at once apply them one at a time, and a failure applies none of them.
 *
 * The client is held safely: a connection lost meanwhile (the server restarted, the backend
 * terminated) fails the call with PostgresUnavailableError instead of crashing the process with
 * an unheard 'error' event, and the broken client is destroyed, not returned to the pool.
 *
 * @throws PostgresUnavailableError when PostgreSQL is unreachable or the connection is lost
 * @throws PostgresPoolExhaustedError when no pool client became free in time
 * @throws PostgresQueryError when a statement fails, naming it (`statements[2]: ...`; nothing of
 *   the list is applied)
 * @throws PostgresConfigurationError when an option is not usable (names it)
 * @example
 * await runLockedDdl({
 *   pool,
 *   lockKey: 'my-app:schema:app',
 *   statements: ['CREATE SCHEMA IF NOT EXISTS app', 'CREATE TABLE IF NOT EXISTS app.t (id int)'],
 * });
 */
export async function runLockedDdl(options: LockedDdlOptions): Promise<void> {
  checkOptions(options);
  const { pool, lockKey, statements } = options;
  const context = { operation: options.operation ?? 'ddl' };
  const runner = new PostgresRunner(pool, 1);
  await runner.withClient(context, (client) =>
    lockedTransaction(client, lockKey, context, async (tx) => {
      for (const [index, statement] of statements.entries()) {
        try {
          await tx.query(statement);
        } catch (error) {
          throw statementError(error, context, index);
        }
      }
    }),
  );
}
