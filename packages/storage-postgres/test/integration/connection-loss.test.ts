/**
 * A connection lost while a transaction holds it (the server stopped hard, or the backend
 * terminated) must fail that call with a typed error, not crash the process: node-postgres emits
 * 'error' on a checked-out client, and an 'error' event nobody listens to throws. Found by
 * drill 4 (apps/drills): both fanout workers died when PostgreSQL stopped mid-fanout.
 * runLockedDdl: the apps' own schema code (pinterest-example, stream-server) held a pool client
 * with no listener the same way, until it moved onto this helper.
 */
import { randomBytes } from 'node:crypto';
import { StorageError } from '@sf/activity';
import { makeActivities } from '@sf/feeds/testing';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { postgresStorage, PostgresUnavailableError, runLockedDdl } from '../../src/index.js';
import {
  createPool,
  dropStorage,
  eventually,
  postgresUrl,
  testStorage,
  uniqueSchema,
} from './helpers.js';

const admin = createPool({ max: 1 });
afterAll(async () => {
  await admin.end();
});

it('a transaction whose connection is terminated rejects with PostgresUnavailableError and the process survives', async () => {
  const applicationName = `sf_conn_loss_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: postgresUrl(),
    max: 2,
    application_name: applicationName,
  });
  pool.on('error', () => undefined);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.prependListener('uncaughtException', onUncaught);
  const storage = await testStorage(pool, { countsChannel: null });
  try {
    const timeline = storage.timelineStorage({
      name: 'normal',
      kind: 'flat',
      serializer: storage.format.activitySerializer(),
      format: storage.format.name,
    });
    const [activity] = makeActivities(1);
    const error = await timeline
      .modify('feed:loss:1', {}, async () => {
        // Only this test's connections (its own application_name), never another client's.
        await admin.query(
          'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()',
          [applicationName],
        );
        await new Promise((resolve) => setTimeout(resolve, 200)); // the client sees its socket close
        return { add: [activity!], remove: [] };
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toBeInstanceOf(StorageError);
    expect(uncaught).toEqual([]);
    // The pool replaced the broken client: the next call works.
    expect(await timeline.count('feed:loss:1')).toBe(0);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    await dropStorage(storage);
    await pool.end();
  }
});

it('sync() whose connection is terminated while it waits rejects with PostgresUnavailableError and the process survives', async () => {
  const applicationName = `sf_conn_loss_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: postgresUrl(),
    max: 2,
    application_name: applicationName,
  });
  pool.on('error', () => undefined);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.prependListener('uncaughtException', onUncaught);
  const schema = uniqueSchema();
  const storage = postgresStorage({ pool, schema, countsChannel: null });
  // The lock sync() takes first: held here, sync() waits on it with its client checked out.
  const holder = await admin.connect();
  const lockKey = `sf-storage-postgres:migrate:${schema}`;
  try {
    await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
    const pending = storage.sync().catch((caught: unknown) => caught);
    await eventually(async () => {
      const { rows } = await holder.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      return rows[0]!.n === 1;
    });
    await holder.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    const error = await pending;
    await new Promise((resolve) => setTimeout(resolve, 200)); // a late 'error' would come now
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(uncaught).toEqual([]);
    await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
    // The broken client was not returned to the pool: the next calls work.
    expect(await storage.sync()).not.toEqual([]);
    expect((await storage.schemaVersion()).current).toBeGreaterThan(0);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    holder.release();
    await dropStorage(storage);
    await pool.end();
  }
});

it('runLockedDdl whose connection is terminated mid-statement rejects with PostgresUnavailableError, applies nothing, and the process survives', async () => {
  const applicationName = `sf_conn_loss_${randomBytes(4).toString('hex')}`;
  const pool = new pg.Pool({
    connectionString: postgresUrl(),
    max: 1,
    application_name: applicationName,
  });
  pool.on('error', () => undefined);
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.prependListener('uncaughtException', onUncaught);
  const schema = uniqueSchema();
  const lockKey = `sf-test:ddl:${schema}`;
  const tables = [`CREATE SCHEMA "${schema}"`, `CREATE TABLE "${schema}".t (id int)`];
  try {
    // The last statement keeps the client checked out until the backend is terminated.
    const pending = runLockedDdl({
      pool,
      lockKey,
      statements: [...tables, 'SELECT pg_sleep(60)'],
    }).catch((caught: unknown) => caught);
    await eventually(async () => {
      const { rows } = await admin.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
         WHERE application_name = $1 AND state = 'active' AND query LIKE '%pg_sleep%'`,
        [applicationName],
      );
      return rows[0]!.n === 1;
    });
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    const error = await pending;
    await new Promise((resolve) => setTimeout(resolve, 200)); // a late 'error' would come now
    expect(error).toBeInstanceOf(PostgresUnavailableError);
    expect(error).toBeInstanceOf(StorageError);
    expect(error).toMatchObject({ operation: 'ddl' });
    expect(uncaught).toEqual([]);
    // Nothing of the transaction was applied.
    const { rows } = await admin.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    expect(rows).toEqual([]);
    // The broken client was destroyed, not reused (max: 1): the pool's next client works.
    await runLockedDdl({ pool, lockKey, statements: tables });
    expect((await pool.query(`SELECT count(*)::int AS n FROM "${schema}".t`)).rows).toEqual([
      { n: 0 },
    ]);
  } finally {
    process.removeListener('uncaughtException', onUncaught);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
});
