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
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import cassandra from 'cassandra-driver';
import type { Client } from 'cassandra-driver';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';
import { median, percentile, printTable } from '@sf/feeds/bench';
import { redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { cassandraStorage } from '../src/index.js';
import type { CassandraStorage } from '../src/index.js';

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
const CEILING_IN_FLIGHT = (process.env.BENCH_CEILING_IN_FLIGHT ?? '64,128,256,512')
  .split(',')
  .map(Number);
const CEILING_ROWS = env('BENCH_CEILING_ROWS', FEEDS);
const REDIS = process.env.BENCH_REDIS !== '0';
const EXTRAS = process.env.BENCH_EXTRAS !== '0';
const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',');
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const tag = randomBytes(4).toString('hex');

const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const rate = (n: number) => (Number.isNaN(n) ? '-' : `${Math.round(n).toLocaleString('en-US')} /s`);
const ms = (n: number) => (Number.isNaN(n) ? '-' : `${n.toFixed(2)} ms`);

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

/** `uptime`'s load averages: the machine is shared, figures move with its load. */
const uptime = () => {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return '(uptime unavailable)';
  }
};

interface Figures {
  fanout: number[];
  /** Flat fanout rounds without trimming (one batched presence read per chunk instead of the head read). */
  fanoutUntrimmed?: number[] | undefined;
  /** Cassandra only, per round: concurrent prepared single INSERTs of the same rows. */
  ceiling?: CeilingRound[] | undefined;
  /** Cassandra only: unlogged single-partition batches of the same rows, rows/s. */
  batches?: number | undefined;
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

/** Rows/s of concurrent prepared single INSERTs, by requests in flight. */
type CeilingRound = Array<{ inFlight: number; rate: number }>;

/** The node's own ceiling for the rows a flat fanout writes, measured with the bare driver. */
interface CeilingProbe {
  singles(round: number): Promise<CeilingRound>;
  /** Rows/s of unlogged single-partition batches. */
  batches(): Promise<number>;
}

async function run(storage: StorageBackend, probe?: CeilingProbe): Promise<Figures> {
  /** A flat feed definition `bench_<name>`, keys `feed:<name>:<userId>`. */
  const flatFeed = (name: string) =>
    Feed.define({
      name: `bench_${name}`,
      keyFormat: `feed:${name}:{userId}`,
      maxLength: MAX_LENGTH,
      storage,
    });
  const PinFeed = flatFeed('normal');
  const ReadFeed = flatFeed('read');
  const users = Array.from({ length: FEEDS }, (_, i) => i + 1);
  const chunks = Math.ceil(FEEDS / CHUNK);
  const activities = Array.from({ length: ROUNDS }, (_, round) => activity(round));
  await PinFeed.insertActivities(activities);
  await PinFeed.for(0).count(); // schema and connection outside the timings
  await ReadFeed.for(0).count();

  // Warm-up (JIT, connection pools, prepared statements) on other feeds, not measured.
  const WarmFeed = flatFeed('warm');
  await WarmFeed.insertActivities(activities);
  for (const item of activities) {
    await limited(Math.ceil(WARM_FEEDS / CHUNK), IN_FLIGHT, (chunk) =>
      WarmFeed.addToMany(users.slice(chunk * CHUNK, Math.min(WARM_FEEDS, (chunk + 1) * CHUNK)), [
        item,
      ]),
    );
  }

  // What exact trimming costs: the same fanout without trimming (still counting new entries).
  const UntrimmedFeed = flatFeed('untrimmed');
  await UntrimmedFeed.insertActivities(activities);
  await UntrimmedFeed.for(0).count();

  const batches = probe ? await probe.batches() : undefined;
  // Each round measures the node's ceiling right before the fanout: the load of the shared
  // machine moves between rounds, a ratio within a round is steadier.
  const ceiling: CeilingRound[] = [];
  const fanoutRates: number[] = [];
  const untrimmedRates: number[] = [];
  for (const [round, item] of activities.entries()) {
    if (probe) ceiling.push(await probe.singles(round));
    let start = process.hrtime.bigint();
    let added = 0;
    await limited(chunks, IN_FLIGHT, (chunk) =>
      PinFeed.addToMany(users.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [item]).then((n) => {
        added += n;
      }),
    );
    fanoutRates.push(FEEDS / seconds(start));
    if (added !== FEEDS)
      throw new Error(`fanout round ${round + 1}: ${added} new entries, expected ${FEEDS}`);
    start = process.hrtime.bigint();
    await limited(chunks, IN_FLIGHT, (chunk) =>
      UntrimmedFeed.addToMany(users.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [item], {
        trim: false,
      }),
    );
    untrimmedRates.push(FEEDS / seconds(start));
  }
  const sample = await PinFeed.for(FEEDS).count();
  if (sample !== Math.min(ROUNDS, MAX_LENGTH))
    throw new Error(`feed length ${sample}, expected ${Math.min(ROUNDS, MAX_LENGTH)}`);
  const measured = probe ? { ceiling, batches } : {};
  if (!EXTRAS)
    return {
      fanout: fanoutRates,
      fanoutUntrimmed: untrimmedRates,
      ...measured,
      aggregated: NaN,
      p50: NaN,
      p99: NaN,
      mean: NaN,
    };

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
  return {
    fanout: fanoutRates,
    fanoutUntrimmed: untrimmedRates,
    ...measured,
    aggregated,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
}

/**
 * The node's ceiling for the fanout's rows, with the bare driver on the storage's client:
 * concurrent prepared single INSERTs of the same (feed, activity) rows at each number of
 * requests in flight (the best is the ceiling), and, for reference, unlogged batches of 100
 * rows per partition. Same table layout (created by a flat feed definition), same values
 * (`target` unset, as the storage binds it).
 */
function ceilingProbe(storage: CassandraStorage, keyspace: string): CeilingProbe {
  const client: Client = storage.client;
  const definition = Feed.define({
    name: 'bench_ceiling',
    keyFormat: 'feed:ceiling:{userId}',
    storage,
  });
  const insert = `INSERT INTO "${keyspace}"."bench_ceiling" (feed_id, activity_id, actor, verb, object, target, time, extra_context) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`;
  const values = (feedId: string, item: Activity) => [
    feedId,
    item.serializationId,
    Number(item.actorId),
    item.verb.id,
    item.objectId,
    cassandra.types.unset,
    item.time,
    Buffer.from(JSON.stringify(item.extraContext), 'utf8'),
  ];
  const options = { prepare: true, consistency: cassandra.types.consistencies.one };
  let ready: Promise<unknown> | undefined;
  const prepare = () =>
    (ready ??= definition
      .for(0)
      .count() // creates the table
      .then(() =>
        limited(500, 64, (i) => client.execute(insert, values(`warm:${i}`, activity(0)), options)),
      ));
  return {
    async singles(round) {
      await prepare();
      const item = activity(round);
      const figures: CeilingRound = [];
      for (const inFlight of CEILING_IN_FLIGHT) {
        const start = process.hrtime.bigint();
        await limited(CEILING_ROWS, inFlight, (i) =>
          client.execute(insert, values(`feed:ceiling:${inFlight}:${i}`, item), options),
        );
        figures.push({ inFlight, rate: CEILING_ROWS / seconds(start) });
      }
      return figures;
    },
    async batches() {
      await prepare();
      const BATCH_ROWS = 100;
      const items = Array.from({ length: BATCH_ROWS }, (_, i) => activity(1000 + i));
      const partitions = Math.max(1, Math.floor(CEILING_ROWS / BATCH_ROWS));
      const start = process.hrtime.bigint();
      await limited(partitions, 32, (p) =>
        client.batch(
          items.map((row) => ({ query: insert, params: values(`feed:batch:${p}`, row) })),
          { ...options, logged: false },
        ),
      );
      return (partitions * BATCH_ROWS) / seconds(start);
    },
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
    const figures = await run(storage, ceilingProbe(storage, `sf_bench_${tag}`));
    if (EXTRAS)
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
  console.log(`load before: ${uptime()}`);
  const node = await cassandraFigures();
  const loadAfterCassandra = uptime();
  const redis = REDIS ? await redisFigures() : 'BENCH_REDIS=0: Redis figures skipped';
  const columns: Array<[string, Figures | undefined, string]> = [
    [`Cassandra ${node.version}`, node.figures, ''],
    typeof redis === 'string'
      ? ['Redis', undefined, redis]
      : [`Redis ${redis.version}`, redis.figures, ''],
  ];
  const { ceiling = [], batches, fanout, fanoutUntrimmed = [] } = node.figures;
  const pct = (part: number, whole: number) => `${((100 * part) / whole).toFixed(0)}%`;
  const bestOf = (round: CeilingRound) =>
    round.reduce((a, b) => (b.rate > a.rate ? b : a), { inFlight: 0, rate: 0 });
  const lines = ceiling.map((round, r) => {
    const best = bestOf(round);
    return (
      `  round ${r + 1}: single INSERTs ${round.map((c) => `${c.inFlight}: ${rate(c.rate)}`).join(', ')}; ceiling ${rate(best.rate)} (${best.inFlight} in flight)\n` +
      `           flat fanout ${rate(fanout[r]!)} = ${pct(fanout[r]!, best.rate)} of it; without trimming ${rate(fanoutUntrimmed[r]!)} = ${pct(fanoutUntrimmed[r]!, best.rate)}`
    );
  });
  if (ceiling.length > 0) {
    const ratios = ceiling.map((round, r) => fanout[r]! / bestOf(round).rate);
    const untrimmed = ceiling.map((round, r) => fanoutUntrimmed[r]! / bestOf(round).rate);
    const overall = Math.max(...ceiling.map((round) => bestOf(round).rate));
    console.log(
      `Cassandra ${node.version}: the node's ceiling for the same rows, measured in this run (${CEILING_ROWS.toLocaleString('en-US')} rows per figure)\n` +
        `${lines.join('\n')}\n` +
        `  unlogged batches of 100 rows per partition (reference): ${batches === undefined ? '-' : rate(batches)}\n` +
        `  flat fanout / ceiling of its round, median: ${pct(median(ratios), 1)} (rounds ${ratios.map((x) => pct(x, 1)).join(', ')}); without trimming ${pct(median(untrimmed), 1)}\n` +
        `  median flat fanout ${rate(median(fanout))} / best ceiling of the run ${rate(overall)} = ${pct(median(fanout), overall)}\n` +
        `  load after the Cassandra figures: ${loadAfterCassandra}\n`,
    );
  }
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
  printTable(rows[0]!, rows.slice(1));
  for (const [, , note] of columns) if (note) console.log(`\n${note}`);
  console.log(`\nload after: ${uptime()}`);
}

await main();
