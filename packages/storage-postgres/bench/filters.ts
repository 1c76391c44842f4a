/**
 * `pnpm bench:filters` in packages/storage-postgres: what verb and field indexes
 * (`index: { verb: true, field: 'board' }`: the verb_id / field_value columns and their partial
 * indexes) cost a fanout write, and what filtered reads cost beside unfiltered ones and beside
 * the scan a backend without indexes does (the body is `runFiltersBench` of `@sf/feeds/bench`,
 * shared by the backends). SF_POSTGRES_URL (default
 * postgres://postgres@127.0.0.1:5432/test), a schema of its own, dropped at the end.
 * SF_BENCH_FEEDS (500) feeds per fanout write, SF_BENCH_ROUNDS (60) writes, SF_BENCH_READS
 * (2000) reads of each kind. Prints; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { runFiltersBench } from '@sf/feeds/bench';
import pg from 'pg';
import { postgresStorage } from '../src/index.js';

const pool = new pg.Pool({
  connectionString: process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  max: 4,
});
const schema = `sf_filter_bench_${randomBytes(4).toString('hex')}`;
try {
  const storage = postgresStorage({ pool, schema, countsChannel: null });
  await storage.sync();
  await runFiltersBench({ label: 'postgres', storage });
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}
