import { randomBytes } from 'node:crypto';
import { StorageUnavailableError } from '@sf/activity';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { PostgresStore } from '../../src/postgres-store.js';
import { RedisStore } from '../../src/redis-store.js';
import { dropSchema, postgresUrl, runSchema } from '../postgres.js';
import { describeDomainStore } from '../store-contract.js';

/** The DomainStore contract (test/store-contract.ts) on the stores of the shared modes. */

describeDomainStore('redis', async () => {
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  const prefix = `pinterest-store-${process.pid}-${Date.now().toString(36)}:app:`;
  return {
    store: new RedisStore(redis, prefix),
    destroy: async () => {
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    },
  };
});

describeDomainStore('postgres', async () => {
  const url = postgresUrl();
  const schema = runSchema('pinterest_store');
  const store = await PostgresStore.open({ connectionString: url, schema });
  return {
    store,
    destroy: async () => {
      await store.close();
      await dropSchema(url, schema);
    },
  };
});

describe('PostgresStore schema', () => {
  it('is created once when several processes open the store at once, and opening again changes nothing', async () => {
    const url = postgresUrl();
    const schema = runSchema('pinterest_open');
    try {
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresStore.open({ connectionString: url, schema })),
      );
      await stores[0]!.createUser({ name: 'Ada', handle: 'ada', hue: 1, createdAt: 1 });
      await Promise.all(stores.map((store) => store.close()));
      const again = await PostgresStore.open({ connectionString: url, schema });
      expect((await again.totals()).users).toBe(1);
      await again.close();
    } finally {
      await dropSchema(url, schema);
    }
  });
  it('a connection terminated while it creates the tables is a StorageUnavailableError, not a crash', async () => {
    const url = postgresUrl();
    const schema = runSchema('pinterest_loss');
    const applicationName = `sf_pin_ddl_${randomBytes(4).toString('hex')}`;
    const pool = new pg.Pool({ connectionString: url, max: 1, application_name: applicationName });
    pool.on('error', () => undefined);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    // The lock the schema sync takes, held here: it waits with its client checked out.
    const lockKey = `sf-pinterest-schema:${schema}`;
    try {
      await admin.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
      const pending = PostgresStore.open({ pool, schema }).catch((caught: unknown) => caught);
      for (;;) {
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName],
        );
        if (rows[0]!.n === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await admin.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      const error = await pending;
      await new Promise((resolve) => setTimeout(resolve, 200)); // a late 'error' would come now
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect(uncaught).toEqual([]);
      await admin.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
      // The broken client was destroyed (max: 1): opening again works on a new one.
      const store = await PostgresStore.open({ pool, schema });
      expect((await store.totals()).users).toBe(0);
      await store.close();
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await admin.end();
      await pool.end();
      await dropSchema(url, schema);
    }
  });
});
