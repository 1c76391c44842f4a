import { runConcurrentWritersSuite } from '@sf/feeds/testing';
import type pg from 'pg';
import { postgresStorage } from '../../src/index.js';
import { createPool, uniqueSchema } from './helpers.js';

const WRITERS = 20;

// 20 writers, each with its own pool and backend like separate worker processes (only
// PostgreSQL keeps them apart). In modifyMode 'serializable' the same suite fails: 20 writers of
// one feed keep aborting each other, some past 200 attempts (see the README).
// The 1,000 writes of one feed queue on its lock: about 50 s on a 2-core machine at load 11, past
// 180 s at load 22, hence the generous timeout (nothing is asserted on time).
const schema = uniqueSchema();
const pools: pg.Pool[] = Array.from({ length: WRITERS }, () => createPool({ max: 2 }));
const backends = pools.map((pool) =>
  postgresStorage({ pool, schema, modifyMode: 'lock', lockTimeout: 60_000, attempts: 200 }),
);
runConcurrentWritersSuite({
  name: 'modifyMode lock',
  backends,
  setup: async () => {
    await Promise.all(backends.slice(0, 4).map((backend) => backend.sync()));
  },
  cleanup: async () => {
    await pools[0]!.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await Promise.all(backends.map((backend) => backend.close()));
    await Promise.all(pools.map((pool) => pool.end()));
  },
  timeout: 600_000,
});
