/**
 * `pnpm bench` in packages/storage-postgres: the PostgreSQL backend's fanout beside the ceiling
 * for the same rows (`COPY` of them into the same table, in the same run), read latency, bytes
 * per entry and an aggregated fanout. Prints a table; asserts nothing.
 *
 * PostgreSQL at SF_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test), in a schema
 * sf_bench_<hex> dropped at the end.
 *
 * Environment: BENCH_FEEDS (10000), BENCH_ROUNDS (100: feeds x rounds feed writes, one activity
 * per round as a Manager fanout writes it), BENCH_MAX_LENGTH (90: the last rounds trim),
 * BENCH_CHUNK (100 feeds per addToMany call, Stream Framework's fanout chunk), BENCH_WIDE_CHUNK
 * (500, `postgresCapabilities.fanoutChunkSize`: the Manager's default chunk on this backend),
 * BENCH_IN_FLIGHT (8
 * calls in flight, as fanout workers; also the pool size), BENCH_AGGREGATED_FEEDS (1000),
 * BENCH_READS (2000), BENCH_UNLOGGED (1: the timeline table made UNLOGGED for both the fanout and
 * the COPY, to measure what WAL costs; default 0).
 */
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import { percentile } from '@sf/feeds/bench';
import { postgresCapabilities, postgresStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 10_000);
const ROUNDS = env('BENCH_ROUNDS', 100);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const CHUNK = env('BENCH_CHUNK', 100);
const WIDE_CHUNK = env('BENCH_WIDE_CHUNK', postgresCapabilities.fanoutChunkSize ?? 500);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 8);
const AGGREGATED_FEEDS = env('BENCH_AGGREGATED_FEEDS', 1000);
const READS = env('BENCH_READS', 2000);
const UNLOGGED = env('BENCH_UNLOGGED', 0) === 1;
const url = process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schema = `sf_bench_${randomBytes(4).toString('hex')}`;
const table = `"${schema}"."timeline_entries"`;
const lengths = `"${schema}"."timeline_lengths"`;

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} /s`;
const ms = (n: number) => `${n.toFixed(2)} ms`;
const load = () =>
  loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

/** Runs tasks with at most `limit` in flight. */
async function limited(
  count: number,
  limit: number,
  task: (index: number) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await task(next++);
    }),
  );
}

const activities = Array.from(
  { length: ROUNDS },
  (_, round) =>
    new Activity({
      actor: 13,
      verb: Love,
      object: 1000 + round,
      time: Date.UTC(2024, 0, 1) + round * 1000,
      extraContext: { itemId: round, title: `pin ${round}` },
    }),
);
const userIds = Array.from({ length: FEEDS }, (_, i) => i + 1);
const feedKey = (userId: number) => `feed:normal:${userId}`;

const pool = new pg.Pool({ connectionString: url, max: IN_FLIGHT });
const storage = postgresStorage({ pool, schema, countsChannel: null });
const PinFeed = Feed.define({
  name: 'normal',
  keyFormat: 'feed:normal:{userId}',
  maxLength: MAX_LENGTH,
  storage,
});

/** Bytes of the timeline table (heap, primary key, TOAST) and of the feeds' lengths, and rows. */
async function tableBytes(): Promise<{ bytes: number; lengthBytes: number; rows: number }> {
  await pool.query(`VACUUM ANALYZE ${table}`);
  await pool.query(`VACUUM ANALYZE ${lengths}`);
  const { rows } = await pool.query<{ bytes: string; lengths: string; rows: number }>(
    `SELECT pg_total_relation_size('${table}')::text AS bytes,
       pg_total_relation_size('${lengths}')::text AS lengths,
       (SELECT count(*)::int FROM ${table}) AS rows`,
  );
  const row = rows[0]!;
  return { bytes: Number(row.bytes), lengthBytes: Number(row.lengths), rows: row.rows };
}

/** The fanout: every activity to every feed, `chunk` feeds per addToMany, IN_FLIGHT at once. */
async function fanout(chunk: number): Promise<number> {
  await pool.query(`TRUNCATE ${table}, ${lengths}`);
  const chunks = Math.ceil(FEEDS / chunk);
  const start = process.hrtime.bigint();
  for (const activity of activities) {
    await limited(chunks, IN_FLIGHT, (index) =>
      PinFeed.addToMany(userIds.slice(index * chunk, (index + 1) * chunk), [activity]),
    );
  }
  const elapsed = seconds(start);
  const kept = Math.min(ROUNDS, MAX_LENGTH);
  const sample = await PinFeed.for(FEEDS).count();
  const { rows } = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  if (sample !== kept || rows[0]!.n !== FEEDS * kept)
    throw new Error(
      `feed length ${sample} and ${rows[0]!.n} rows, expected ${kept} and ${FEEDS * kept}`,
    );
  return (FEEDS * ROUNDS) / elapsed;
}

/** The ceiling: the same (feed, activity) rows, in the same order, by one COPY FROM STDIN. */
async function copy(): Promise<number> {
  const ids = activities.map((activity) => activity.serializationId);
  function* lines(): Generator<string> {
    for (const id of ids) {
      let batch = '';
      for (const userId of userIds) batch += `${feedKey(userId)}\t${id}\t\\N\n`;
      yield batch;
    }
  }
  const client = await pool.connect();
  try {
    const start = process.hrtime.bigint();
    await pipeline(
      Readable.from(lines()),
      client.query(copyFrom(`COPY ${table} (feed_key, id, value) FROM STDIN`)),
    );
    return (FEEDS * ROUNDS) / seconds(start);
  } finally {
    client.release();
  }
}

async function aggregatedFanout(): Promise<number> {
  const definition = AggregatedFeed.define({
    name: 'aggregated',
    keyFormat: 'feed:aggregated:{userId}',
    storage,
  });
  await definition.for(0).count();
  const users = userIds.slice(0, AGGREGATED_FEEDS);
  const start = process.hrtime.bigint();
  await limited(Math.ceil(users.length / CHUNK), IN_FLIGHT, (chunk) =>
    definition.addToMany(users.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [activities[0]!]),
  );
  return users.length / seconds(start);
}

async function reads(): Promise<{ p50: number; p99: number; mean: number }> {
  const latencies: number[] = [];
  const expected = Math.min(25, ROUNDS, MAX_LENGTH);
  for (let i = 0; i < READS + 200; i++) {
    const feed = PinFeed.for(userIds[(i * 7919) % FEEDS]!);
    const start = process.hrtime.bigint();
    const page = await feed.get({ limit: 25 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (page.length !== expected || !(page[0] instanceof Activity))
      throw new Error('unexpected page');
    if (i >= 200) latencies.push(elapsed); // the first 200 warm up the JIT and the pool
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / READS,
  };
}

async function main(): Promise<void> {
  const { rows } = await pool.query<{ version: string; wal: string; sync: string }>(
    `SELECT current_setting('server_version') AS version, current_setting('wal_level') AS wal,
       current_setting('synchronous_commit') AS sync`,
  );
  const server = rows[0]!;
  console.log(
    `node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model.trim()}); PostgreSQL ${server.version} at ${url.replace(/\/\/[^@]*@/, '//')} (wal_level ${server.wal}, synchronous_commit ${server.sync}); load average ${load()}\n` +
      `fanout: ${ROUNDS} activities to ${FEEDS.toLocaleString('en-US')} flat feeds each (maxLength ${MAX_LENGTH}), ${CHUNK} then ${WIDE_CHUNK} feeds per addToMany call, ${IN_FLIGHT} calls in flight (pool of ${IN_FLIGHT}); timeline table ${UNLOGGED ? 'UNLOGGED' : 'logged'}\n`,
  );
  await storage.sync();
  if (UNLOGGED) await pool.query(`ALTER TABLE ${table} SET UNLOGGED`);
  const results: Array<[string, string]> = [];
  try {
    await PinFeed.insertActivities(activities);
    const wide = await fanout(WIDE_CHUNK);
    console.log(`fanout of ${WIDE_CHUNK} feeds per call done (load ${load()})`);
    const writes = await fanout(CHUNK);
    const fanoutSize = await tableBytes();
    console.log(`fanout of ${CHUNK} feeds per call done (load ${load()})`);
    const read = await reads();
    const aggregated = await aggregatedFanout();
    await pool.query(`TRUNCATE ${table}, ${lengths}`);
    await pool.query(`CHECKPOINT`).catch(() => undefined); // needs superuser; not essential
    const ceiling = await copy();
    const copySize = await tableBytes();
    console.log(`COPY done (load ${load()})\n`);
    results.push(
      [`fanout: flat feed writes/s (addToMany of ${CHUNK} feeds, trim on)`, rate(writes)],
      [`fanout: flat feed writes/s (addToMany of ${WIDE_CHUNK} feeds, trim on)`, rate(wide)],
      [`ceiling: COPY of the same ${(FEEDS * ROUNDS).toLocaleString('en-US')} rows`, rate(ceiling)],
      [
        `ratio fanout / COPY (${CHUNK} feeds per call)`,
        `${Math.round((100 * writes) / ceiling)} %`,
      ],
      [
        `ratio fanout / COPY (${WIDE_CHUNK} feeds per call)`,
        `${Math.round((100 * wide) / ceiling)} %`,
      ],
      [
        `bytes per entry after the fanout (${fanoutSize.rows.toLocaleString('en-US')} rows)`,
        (fanoutSize.bytes / fanoutSize.rows).toFixed(1),
      ],
      [
        `  + timeline_lengths per entry (${FEEDS.toLocaleString('en-US')} feeds)`,
        (fanoutSize.lengthBytes / fanoutSize.rows).toFixed(1),
      ],
      [
        `bytes per row after the COPY (${copySize.rows.toLocaleString('en-US')} rows)`,
        (copySize.bytes / copySize.rows).toFixed(1),
      ],
      ['read: get({ limit: 25 }) + hydration, p50', ms(read.p50)],
      ['read: get({ limit: 25 }) + hydration, p99', ms(read.p99)],
      ['read: get({ limit: 25 }) + hydration, mean', ms(read.mean)],
      [
        `fanout: aggregated feed writes/s (${AGGREGATED_FEEDS.toLocaleString('en-US')} feeds)`,
        rate(aggregated),
      ],
    );
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await storage.close();
    await pool.end();
  }
  const widths = [0, 1].map((i) => Math.max(...results.map((row) => row[i]!.length), 6));
  console.log(`| ${'figure'.padEnd(widths[0]!)} | ${'value'.padStart(widths[1]!)} |`);
  console.log(`| ${'-'.repeat(widths[0]!)} | ${'-'.repeat(widths[1]! - 1)}: |`);
  for (const [name, value] of results)
    console.log(`| ${name.padEnd(widths[0]!)} | ${value.padStart(widths[1]!)} |`);
}

await main();
