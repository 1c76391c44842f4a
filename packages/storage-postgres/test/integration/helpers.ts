import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import {
  postgresStorage,
  type PostgresStorage,
  type PostgresStorageOptions,
} from '../../src/index.js';

export const postgresUrl = (): string => inject('postgresUrl');

let counter = 0;

/** A schema name unique to this run and call (dropped by the global teardown). */
export function uniqueSchema(): string {
  counter += 1;
  return `${inject('schemaPrefix')}_${randomBytes(3).toString('hex')}_${counter}`;
}

export function createPool(options: pg.PoolConfig = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: postgresUrl(), max: 10, ...options });
  pool.on('error', () => undefined);
  return pool;
}

/** A synced backend in a fresh schema on `pool`. */
export async function testStorage(
  pool: pg.Pool,
  options: Omit<PostgresStorageOptions, 'pool' | 'connectionString'> = {},
): Promise<PostgresStorage> {
  const storage = postgresStorage({ pool, schema: uniqueSchema(), ...options });
  await storage.sync();
  return storage;
}

/** Drops a backend's schema and stops its listener (the pool stays open). */
export async function dropStorage(storage: PostgresStorage): Promise<void> {
  await storage.close();
  await storage.pool.query(`DROP SCHEMA IF EXISTS "${storage.schema}" CASCADE`);
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 5000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
