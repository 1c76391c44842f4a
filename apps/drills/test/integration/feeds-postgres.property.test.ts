/**
 * The feed model properties (src/testing/feed-properties.ts) on PostgreSQL, when one answers at
 * SF_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). Each backend works in a
 * schema of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, it } from 'vitest';
import { postgresStorage } from '@sf/storage-postgres';
import { feedPropertySuite } from '../../src/testing/feed-properties.js';
import { POSTGRES_URL, reachable } from './services.js';

const available = await reachable(
  `${new URL(POSTGRES_URL).hostname}:${new URL(POSTGRES_URL).port || 5432}`,
);

if (available) {
  feedPropertySuite({
    name: 'postgres',
    numRuns: Number(process.env.SF_PROPERTY_RUNS || 40),
    timeout: 240_000,
    knownFailures: [],
    // Aggregated activities of the same id come by group, compared as bytes (COLLATE "C").
    aggregatedTies: 'group-desc',
    createBackend: async (format) => {
      const pool = new pg.Pool({ connectionString: POSTGRES_URL, max: 4 });
      pool.on('error', () => undefined);
      const storage = postgresStorage({
        pool,
        schema: `sf_drill_prop_${randomBytes(4).toString('hex')}`,
        format,
      });
      await storage.sync();
      return {
        backend: storage,
        cleanup: async () => {
          await pool
            .query(`DROP SCHEMA IF EXISTS "${storage.schema}" CASCADE`)
            .catch(() => undefined);
          await storage.close();
          await pool.end();
        },
      };
    },
  });
} else {
  describe('postgres feed properties', () => {
    // Under CI (npm test starts PostgreSQL first) a missing server is a failure, never a silent skip.
    const check = process.env.CI === 'true' ? it : it.skip;
    check(`needs a PostgreSQL at ${POSTGRES_URL} (scripts/postgres.sh start)`, () => {
      throw new Error(`no PostgreSQL answers at ${POSTGRES_URL}`);
    });
  });
}
