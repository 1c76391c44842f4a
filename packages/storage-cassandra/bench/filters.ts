/**
 * `pnpm bench:filters` in packages/storage-cassandra: what the write-time verb and field indexes
 * (`index: { verb: true, field: 'board' }`, an index table beside the timeline table) cost a
 * fanout write, and what filtered reads and `countBy` cost beside unfiltered reads and beside a
 * scan (the body is `runFiltersBench` of `@sf/feeds/bench`, shared by the backends). Single node
 * (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042), its own keyspace, dropped at the end.
 * SF_BENCH_FEEDS (500) feeds per fanout write, SF_BENCH_ROUNDS (60) writes, SF_BENCH_READS
 * (2000) reads of each kind. Prints (with the load average before and after); asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { runFiltersBench } from '@sf/feeds/bench';
import { cassandraStorage } from '../src/index.js';

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const storage = cassandraStorage({
  keyspace: `sf_bench_filters_${randomBytes(4).toString('hex')}`,
  autoSchema: true,
});
console.log(`cassandra: load average before ${load()}`);
try {
  await runFiltersBench({ label: 'cassandra', storage });
} finally {
  console.log(`cassandra: load average after ${load()}`);
  await storage.dropKeyspace();
  await storage.close();
}
