/**
 * `pnpm bench` in packages/storage-cassandra: feed writes per second of a fanout of one activity
 * to BENCH_FEEDS feeds, and p50/p99 of `get({ limit: 25 })`, on Cassandra and, in the same run
 * and with the same workload, on Redis. Prints a table; asserts nothing.
 *
 * Cassandra: CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042, e.g. `scripts/cassandra.sh start`),
 * in a keyspace sf_bench_<hex> dropped at the end. Redis: REDIS_URL (default
 * redis://127.0.0.1:6379), keys under sfbench:<hex>: deleted at the end; skipped (and said so)
 * when no Redis answers.
 *
 * Environment: BENCH_FEEDS (10000), BENCH_ROUNDS (3 fanouts, one activity each, after a
 * warm-up fanout to BENCH_WARM_FEEDS (2000) other feeds), BENCH_MAX_LENGTH (100), BENCH_CHUNK
 * (100 feeds per addToMany call, Stream Framework's fanout_chunk_size), BENCH_IN_FLIGHT (16
 * calls in flight, as fanout workers), BENCH_AGGREGATED_FEEDS (1000: a fanout to aggregated
 * feeds, one atomic read-modify-write each), BENCH_READ_FEEDS (1000 feeds of 50 activities),
 * BENCH_READS (2000).
 */
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';
import { redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { cassandraStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 10_000);
const ROUNDS = Math.max(1, env('BENCH_ROUNDS', 3));
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 100);
const CHUNK = env('BENCH_CHUNK', 100);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 16);
const AGGREGATED_FEEDS = env('BENCH_AGGREGATED_FEEDS', 1000);
const READ_FEEDS = env('BENCH_READ_FEEDS', 1000);
const READS = env('BENCH_READS', 2000);
const WARM_FEEDS = env('BENCH_WARM_FEEDS', 2000);
const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const tag = randomBytes(4).toString('hex');

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} /s`;
const ms = (n: number) => `${n.toFixed(2)} ms`;

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

const activity = (round: number, object = 1000 + round) =>
  new Activity({
    actor: 13,
    verb: Love,
    object,
    time: Date.UTC(2024, 0, 1) + round * 1000,
    extraContext: { itemId: round, title: `pin ${round}` },
  });

interface Figures {
  fanout: number[];
  aggregated: number;
  /** Aggregated writes with the per-process lock only (Cassandra's lock.mode 'process'). */
  aggregatedProcess?: number | undefined;
  p50: number;
  p99: number;
  mean: number;
}

async function aggregatedFanout(storage: StorageBackend, name: string): Promise<number> {
  const definition = AggregatedFeed.define({ name, keyFormat: `feed:${name}:{userId}`, storage });
  await definition.for(0).count();
  const users = Array.from({ length: AGGREGATED_FEEDS }, (_, i) => i + 1);
  const start = process.hrtime.bigint();
  await limited(Math.ceil(AGGREGATED_FEEDS / CHUNK), IN_FLIGHT, (chunk) =>
    definition.addToMany(users.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [activity(0)]),
  );
  return AGGREGATED_FEEDS / seconds(start);
}

async function run(storage: StorageBackend): Promise<Figures> {
  const PinFeed = Feed.define({
    name: 'bench_normal',
    keyFormat: 'feed:normal:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  const ReadFeed = Feed.define({
    name: 'bench_read',
    keyFormat: 'feed:read:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  const users = Array.from({ length: FEEDS }, (_, i) => i + 1);
  const chunks = Math.ceil(FEEDS / CHUNK);
  const activities = Array.from({ length: ROUNDS }, (_, round) => activity(round));
  await PinFeed.insertActivities(activities);
  await PinFeed.for(0).count(); // schema and connection outside the timings
  await ReadFeed.for(0).count();

  // Warm-up (JIT, connection pools, prepared statements) on other feeds, not measured.
  const WarmFeed = Feed.define({
    name: 'bench_warm',
    keyFormat: 'feed:warm:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  await WarmFeed.insertActivities(activities);
  for (const item of activities) {
    await limited(Math.ceil(WARM_FEEDS / CHUNK), IN_FLIGHT, (chunk) =>
      WarmFeed.addToMany(users.slice(chunk * CHUNK, Math.min(WARM_FEEDS, (chunk + 1) * CHUNK)), [
        item,
      ]),
    );
  }

  const fanoutRates: number[] = [];
  for (const item of activities) {
    const start = process.hrtime.bigint();
    await limited(chunks, IN_FLIGHT, (chunk) =>
      PinFeed.addToMany(users.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [item]),
    );
    fanoutRates.push(FEEDS / seconds(start));
  }
  const sample = await PinFeed.for(FEEDS).count();
  if (sample !== Math.min(ROUNDS, MAX_LENGTH))
    throw new Error(`feed length ${sample}, expected ${Math.min(ROUNDS, MAX_LENGTH)}`);

  const aggregated = await aggregatedFanout(storage, 'bench_aggregated');

  const history = Array.from({ length: 50 }, (_, i) => activity(100 + i, 5000 + i));
  await ReadFeed.insertActivities(history);
  await limited(READ_FEEDS, 32, (i) => ReadFeed.for(i + 1).addMany(history));
  const latencies: number[] = [];
  for (let i = 0; i < READS + 200; i++) {
    const feed = ReadFeed.for(((i * 7919) % READ_FEEDS) + 1);
    const start = process.hrtime.bigint();
    const page = await feed.get({ limit: 25 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (page.length !== 25 || !(page[0] instanceof Activity)) throw new Error('unexpected page');
    if (i >= 200) latencies.push(elapsed); // the first 200 warm up the JIT and the connections
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    fanout: fanoutRates,
    aggregated,
    p50: at(0.5),
    p99: at(0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
}

async function cassandraFigures(): Promise<{ figures: Figures; version: string }> {
  const storage = cassandraStorage({
    contactPoints,
    keyspace: `sf_bench_${tag}`,
    autoSchema: true,
  });
  const processLocks = cassandraStorage({
    client: storage.client,
    keyspace: `sf_bench_${tag}`,
    autoSchema: true,
    lock: { mode: 'process' },
  });
  try {
    await storage.connect();
    const version = String(
      (await storage.client.execute('SELECT release_version FROM system.local')).rows[0]
        ?.release_version,
    );
    const figures = await run(storage);
    figures.aggregatedProcess = await aggregatedFanout(processLocks, 'bench_aggregated_process');
    return { figures, version };
  } finally {
    await storage.dropKeyspace().catch(() => undefined);
    await storage.close();
  }
}

async function redisFigures(): Promise<{ figures: Figures; version: string } | string> {
  const redis = new Redis(redisUrl, {
    maxRetriesPerRequest: 1,
    lazyConnect: true,
    retryStrategy: () => null,
  });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    return `no Redis at ${redisUrl} (${(error as Error).message}): Redis figures skipped`;
  }
  const prefix = `sfbench:${tag}:`;
  try {
    const version = /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? '?';
    return { figures: await run(redisStorage({ redis, keyPrefix: prefix })), version };
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}

async function main(): Promise<void> {
  console.log(
    `node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model.trim()}); Cassandra at ${contactPoints.join(',')}, Redis at ${redisUrl}\n` +
      `fanout of one activity to ${FEEDS.toLocaleString('en-US')} flat feeds (maxLength ${MAX_LENGTH}), ${CHUNK} feeds per addToMany call, ${IN_FLIGHT} calls in flight, ${ROUNDS} rounds;\n` +
      `aggregated fanout to ${AGGREGATED_FEEDS.toLocaleString('en-US')} feeds; ${READS.toLocaleString('en-US')} reads of get({ limit: 25 }) on ${READ_FEEDS.toLocaleString('en-US')} feeds of 50 activities, one at a time\n`,
  );
  const cassandra = await cassandraFigures();
  const redis = await redisFigures();
  const columns: Array<[string, Figures | undefined, string]> = [
    [`Cassandra ${cassandra.version}`, cassandra.figures, ''],
    typeof redis === 'string'
      ? ['Redis', undefined, redis]
      : [`Redis ${redis.version}`, redis.figures, ''],
  ];
  const median = (values: number[]) =>
    [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const rows: Array<[string, ...string[]]> = [
    ['figure', ...columns.map(([name]) => name)],
    [
      `fanout: flat feed writes/s (median of ${ROUNDS})`,
      ...columns.map(([, f]) => (f ? rate(median(f.fanout)) : '-')),
    ],
    [
      'fanout: flat feed writes/s (slowest round)',
      ...columns.map(([, f]) => (f ? rate(Math.min(...f.fanout)) : '-')),
    ],
    [
      'fanout: aggregated feed writes/s (read-modify-write under lock)',
      ...columns.map(([, f]) => (f ? rate(f.aggregated) : '-')),
    ],
    [
      "fanout: aggregated feed writes/s, lock.mode 'process'",
      ...columns.map(([, f]) => (f?.aggregatedProcess ? rate(f.aggregatedProcess) : '-')),
    ],
    ['read: get({ limit: 25 }) p50', ...columns.map(([, f]) => (f ? ms(f.p50) : '-'))],
    ['read: get({ limit: 25 }) p99', ...columns.map(([, f]) => (f ? ms(f.p99) : '-'))],
    ['read: get({ limit: 25 }) mean', ...columns.map(([, f]) => (f ? ms(f.mean) : '-'))],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  rows.forEach((row, index) => {
    console.log(
      `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(' | ')} |`,
    );
    if (index === 0)
      console.log(
        `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`,
      );
  });
  for (const [, , note] of columns) if (note) console.log(`\n${note}`);
}

await main();
