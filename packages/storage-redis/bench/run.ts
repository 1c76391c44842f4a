/**
 * `pnpm bench` in packages/storage-redis: the Redis backend's fanout, read and memory figures on
 * the local Redis (REDIS_URL, default redis://127.0.0.1:6379), for both layouts side by side in
 * the same run ('stream-framework' then 'compact', in the reverse order on every other repeat).
 * Server time comes from `INFO commandstats` deltas: give it a Redis no other client uses (the
 * connected clients are printed) for clean figures. Prints a table; asserts nothing.
 *
 * Environment: BENCH_FEEDS (10000), BENCH_ROUNDS (100: feeds x rounds writes), BENCH_MAX_LENGTH
 * (90: the last rounds trim), BENCH_CHUNK (100 feeds per batch call, Stream Framework's
 * fanout_chunk_size), BENCH_IN_FLIGHT (16 batch calls in flight), BENCH_READS (10000),
 * BENCH_REPEAT (1: runs of both layouts), BENCH_ID_SCHEME ('actor', the default 46-digit ids, or
 * 'stream-framework', Python's 26-digit ids).
 * Aggregated fanout (batched `modifyMany` against the locked path, beside the flat fanout): see
 * bench/aggregated-fanout.ts (BENCH_AGG_*, SF_PYTHON_BENCH). BENCH_ONLY=aggregated runs one flat
 * fanout and the aggregated fanouts only (for profiling).
 *
 * Every key it writes is under a random `sfbench:<hex>:` prefix and deleted at the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { percentile, printTable } from '@sf/feeds/bench';
import { Redis } from 'ioredis';
import { REDIS_LAYOUTS, compactScore, redisStorage, type RedisLayout } from '../src/index.js';
import { aggregatedFanout } from './aggregated-fanout.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 10_000);
const ROUNDS = env('BENCH_ROUNDS', 100);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const CHUNK = env('BENCH_CHUNK', 100);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 16);
const READS = env('BENCH_READS', 10_000);
const REPEAT = env('BENCH_REPEAT', 1);
const ID_SCHEME = process.env.BENCH_ID_SCHEME === 'stream-framework' ? 'stream-framework' : 'actor';
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const runPrefix = `sfbench:${randomBytes(4).toString('hex')}:`;

const redis = new Redis(url, { maxRetriesPerRequest: 1 });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const formatRate = (n: number) => `${Math.round(n).toLocaleString('en-US')} /s`;

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** `calls` and `usec` of every command in `INFO commandstats` (server-wide, since the last reset). */
async function commandStats(): Promise<Map<string, { calls: number; usec: number }>> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([a-z|_-]+):calls=(\d+),usec=(\d+)/gm,
  ))
    stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) });
  return stats;
}

/** What `run` cost Redis, per command: the commandstats after minus before. */
async function serverTime<T>(
  run: () => Promise<T>,
): Promise<{ result: T; cost: (command: string) => { calls: number; usec: number } }> {
  const before = await commandStats();
  const result = await run();
  const after = await commandStats();
  return {
    result,
    cost: (command) => {
      const a = after.get(command) ?? { calls: 0, usec: 0 };
      const b = before.get(command) ?? { calls: 0, usec: 0 };
      return { calls: a.calls - b.calls, usec: a.usec - b.usec };
    },
  };
}

async function deleteKeys(match: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

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
      extraContext: { itemId: round },
      idScheme: ID_SCHEME,
    }),
);
const userIds = Array.from({ length: FEEDS }, (_, i) => i + 1);
const rows: Array<[string, string, string, string]> = [];

/** `MEMORY USAGE` of every feed key, summed: unaffected by other clients writing meanwhile. */
async function feedKeysMemory(prefix: string): Promise<number> {
  let total = 0;
  for (let start = 0; start < FEEDS; start += 1000) {
    const pipeline = redis.pipeline();
    for (const userId of userIds.slice(start, start + 1000))
      pipeline.memory('USAGE', `${prefix}feed:normal:${userId}`, 'SAMPLES', 0);
    for (const [error, bytes] of (await pipeline.exec()) ?? []) {
      if (error) throw error;
      total += Number(bytes);
    }
  }
  return total;
}

interface FanoutFigures {
  rate: number;
  /** Client CPU (user + system) per feed write, in microseconds. */
  cpuMicros: number;
  bytesPerEntry: number;
  keyBytesPerEntry: number;
  /** Server time per feed write: every EVALSHA's usec over the feed writes. */
  usecPerWrite: number;
  /** usec_per_call of the ZADDs the scripts ran. */
  zaddUsec: number;
}

async function fanout(layout: RedisLayout, prefix: string): Promise<FanoutFigures> {
  const storage = redisStorage({ redis, keyPrefix: prefix, layout });
  const PinFeed = Feed.define({
    name: 'normal',
    keyFormat: 'feed:normal:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  await PinFeed.insertActivities(activities);
  const before = await usedMemory();
  const chunks = Math.ceil(FEEDS / CHUNK);
  const cpu = process.cpuUsage();
  const { result: elapsed, cost } = await serverTime(async () => {
    const start = process.hrtime.bigint();
    for (const activity of activities) {
      await limited(chunks, IN_FLIGHT, (chunk) =>
        PinFeed.addToMany(userIds.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [activity]),
      );
    }
    return seconds(start);
  });
  const used = process.cpuUsage(cpu);
  const after = await usedMemory();
  const entries = FEEDS * Math.min(ROUNDS, MAX_LENGTH);
  const sample = await redis.zcard(`${prefix}feed:normal:${FEEDS}`);
  if (sample !== Math.min(ROUNDS, MAX_LENGTH))
    throw new Error(`feed length ${sample}, expected ${Math.min(ROUNDS, MAX_LENGTH)}`);
  const keyBytes = await feedKeysMemory(prefix);
  const zadd = cost('zadd');
  return {
    rate: (FEEDS * ROUNDS) / elapsed,
    cpuMicros: (used.user + used.system) / (FEEDS * ROUNDS),
    bytesPerEntry: (after - before) / entries,
    keyBytesPerEntry: keyBytes / entries,
    usecPerWrite: cost('evalsha').usec / (FEEDS * ROUNDS),
    zaddUsec: zadd.usec / zadd.calls,
  };
}

async function reads(
  layout: RedisLayout,
  prefix: string,
): Promise<{ p50: number; p99: number; mean: number }> {
  const storage = redisStorage({ redis, keyPrefix: prefix, layout });
  const PinFeed = Feed.define({
    name: 'normal',
    keyFormat: 'feed:normal:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  const latencies: number[] = [];
  for (let i = 0; i < READS + 500; i++) {
    const feed = PinFeed.for(userIds[(i * 7919) % FEEDS]!);
    const start = process.hrtime.bigint();
    const page = await feed.get({ limit: 25 });
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (page.length !== Math.min(25, ROUNDS, MAX_LENGTH) || !(page[0] instanceof Activity))
      throw new Error('unexpected page');
    if (i >= 500) latencies.push(elapsed); // the first 500 warm up the JIT and the connection
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
}

/**
 * The same ZADDs as RESP (scores of the layout), sent with `redis-cli --pipe` (mass insertion):
 * writes/s and the server time per ZADD.
 */
async function massInsertion(
  layout: RedisLayout,
  prefix: string,
): Promise<{ rate: number; zaddUsec: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-bench-'));
  const file = join(dir, 'zadd.resp');
  const out = createWriteStream(file);
  const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  for (const activity of activities) {
    const id = activity.serializationId;
    const score = layout === 'compact' ? compactScore(id) : id;
    let block = '';
    for (const userId of userIds)
      block += `*4\r\n$4\r\nZADD\r\n${bulk(`${prefix}pipe:feed:${userId}`)}${bulk(score)}${bulk(id)}`;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const { hostname, port } = new URL(url);
  let output = '';
  const { result, cost } = await serverTime(async () => {
    const start = process.hrtime.bigint();
    const child = spawn(
      'redis-cli',
      ['-h', hostname || '127.0.0.1', '-p', port || '6379', '--pipe'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const { createReadStream } = await import('node:fs');
    createReadStream(file).pipe(child.stdin);
    child.stdout.on('data', (data: Buffer) => (output += data.toString()));
    const [code] = (await once(child, 'exit')) as [number];
    return { code, elapsed: seconds(start) };
  });
  const { code, elapsed } = result;
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0 || !/errors: 0, replies: (\d+)/.test(output))
    throw new Error(`redis-cli --pipe failed: ${output}`);
  await deleteKeys(`${prefix}pipe:*`);
  const zadd = cost('zadd');
  return { rate: (FEEDS * ROUNDS) / elapsed, zaddUsec: zadd.usec / zadd.calls };
}

/** The same ZADDs through plain ioredis pipelines (one pipeline per activity). */
async function plainPipeline(prefix: string): Promise<number> {
  const start = process.hrtime.bigint();
  for (const activity of activities) {
    const id = activity.serializationId;
    const pipeline = redis.pipeline();
    for (const userId of userIds) pipeline.zadd(`${prefix}plain:feed:${userId}`, id, id);
    await pipeline.exec();
  }
  const elapsed = seconds(start);
  await deleteKeys(`${prefix}plain:*`);
  return (FEEDS * ROUNDS) / elapsed;
}

interface LayoutFigures extends FanoutFigures {
  read: { p50: number; p99: number; mean: number };
  ceiling: { rate: number; zaddUsec: number };
}

/** One layout: fanout (with its server time and memory), reads, then the mass-insertion ceiling. */
async function runLayout(layout: RedisLayout, prefix: string): Promise<LayoutFigures> {
  try {
    const written = await fanout(layout, prefix);
    const read = await reads(layout, prefix);
    await deleteKeys(`${prefix}*`);
    const ceiling = await massInsertion(layout, prefix);
    return { ...written, read, ceiling };
  } finally {
    await deleteKeys(`${prefix}*`);
  }
}

/** Aggregated fanout, batched and locked, beside the flat fanout of the same run. */
function printAggregated(
  flat: FanoutFigures,
  aggregated: Awaited<ReturnType<typeof aggregatedFanout>>,
): void {
  const us = (n: number) => `${n.toFixed(1)} us`;
  const body: [string, string][] = [
    ['flat fanout: feed writes/s (stream-framework layout)', formatRate(flat.rate)],
    ['flat fanout: client CPU per write', us(flat.cpuMicros)],
    [
      `aggregated fanout: writes/s, batched (modifyMany), ${aggregated.writes.toLocaleString('en-US')} writes`,
      formatRate(aggregated.batched.rate),
    ],
    ['aggregated fanout: client CPU per write, batched', us(aggregated.batched.cpuMicros)],
    [
      'aggregated fanout: writes/s, locked per feed (batchedAggregatedWrites: false)',
      formatRate(aggregated.locked.rate),
    ],
    ['aggregated fanout: client CPU per write, locked', us(aggregated.locked.cpuMicros)],
    [
      'aggregated fanout: Python SF 1.4 (SF_PYTHON_BENCH)',
      aggregated.python === null ? 'not run' : formatRate(aggregated.python),
    ],
    [
      'ratio aggregated batched / locked',
      `${(aggregated.batched.rate / aggregated.locked.rate).toFixed(1)} x`,
    ],
    [
      'ratio aggregated batched / flat fanout (target >= 33 %)',
      `${((aggregated.batched.rate / flat.rate) * 100).toFixed(0)} %`,
    ],
  ];
  if (aggregated.python !== null)
    body.push([
      'ratio aggregated batched / Python SF (target >= 30 x)',
      `${(aggregated.batched.rate / aggregated.python).toFixed(1)} x`,
    ]);
  body.push(['load average (1 min)', loadavg()[0]!.toFixed(1)]);
  console.log('');
  printTable(['aggregated fanout', 'value'], body);
}

const uptime = () => execFileSync('uptime', { encoding: 'utf8' }).trim();

async function main(): Promise<void> {
  const server = await redis.info('server');
  const version = /redis_version:(\S+)/.exec(server)?.[1];
  const clients = /connected_clients:(\d+)/.exec(await redis.info('clients'))?.[1];
  console.log(
    `Redis ${version} at ${url} (${clients} connected clients${clients === '1' ? '' : ": server times include the other clients' commands"}); node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model.trim()})\n` +
      `uptime at the start: ${uptime()}\n` +
      `${FEEDS.toLocaleString('en-US')} feeds x ${ROUNDS} activities = ${(FEEDS * ROUNDS).toLocaleString('en-US')} writes, ` +
      `maxLength ${MAX_LENGTH}, ${ID_SCHEME}-scheme ids (${activities[0]!.serializationId.length} digits), ${CHUNK} feeds per batch call, ${IN_FLIGHT} calls in flight, ${REPEAT} run(s) of each layout\n`,
  );
  const runs = new Map<RedisLayout, LayoutFigures[]>(REDIS_LAYOUTS.map((layout) => [layout, []]));
  let plain = 0;
  let aggregated: Awaited<ReturnType<typeof aggregatedFanout>>;
  let flat: FanoutFigures;
  try {
    if (process.env.BENCH_ONLY === 'aggregated') {
      flat = await fanout('stream-framework', `${runPrefix}flat:`);
      await deleteKeys(`${runPrefix}*`);
      aggregated = await aggregatedFanout(redis, `${runPrefix}agg:`, {
        chunk: CHUNK,
        inFlight: IN_FLIGHT,
        maxLength: MAX_LENGTH,
      });
      printAggregated(flat, aggregated);
      return;
    }
    for (let repeat = 0; repeat < REPEAT; repeat++) {
      const order = repeat % 2 === 0 ? REDIS_LAYOUTS : [...REDIS_LAYOUTS].reverse();
      for (const layout of order)
        runs.get(layout)!.push(await runLayout(layout, `${runPrefix}${layout}:${repeat}:`));
    }
    plain = await plainPipeline(runPrefix);
    flat = runs
      .get('stream-framework')!
      .reduce((fastest, run) => (run.rate > fastest.rate ? run : fastest));
    aggregated = await aggregatedFanout(redis, `${runPrefix}agg:`, {
      chunk: CHUNK,
      inFlight: IN_FLIGHT,
      maxLength: MAX_LENGTH,
    });
  } finally {
    await deleteKeys(`${runPrefix}*`);
    await redis.quit();
  }
  const [sf, compact] = REDIS_LAYOUTS.map((layout) => runs.get(layout)!);
  const best = (list: LayoutFigures[], pick: (f: LayoutFigures) => number) =>
    Math.max(...list.map(pick));
  const mean = (list: LayoutFigures[], pick: (f: LayoutFigures) => number) =>
    list.reduce((sum, f) => sum + pick(f), 0) / list.length;
  const row = (
    name: string,
    pick: (f: LayoutFigures) => number,
    format: (n: number) => string,
    summary: 'best' | 'mean',
  ) => {
    const all = (list: LayoutFigures[]) => list.map((f) => format(pick(f))).join(' / ');
    const of = summary === 'best' ? best : mean;
    const ratio = of(compact!, pick) / of(sf!, pick);
    rows.push([name, all(sf!), all(compact!), `${ratio.toFixed(2)} x`]);
  };
  const us = (n: number) => `${n.toFixed(2)} us`;
  const bytes = (n: number) => n.toFixed(1);
  const ms = (n: number) => `${n.toFixed(3)} ms`;
  row('fanout: feed writes/s (addToMany, trim included)', (f) => f.rate, formatRate, 'best');
  row('fanout: client CPU per feed write', (f) => f.cpuMicros, us, 'mean');
  row('server time per feed write (EVALSHA usec / writes)', (f) => f.usecPerWrite, us, 'mean');
  row('server time per ZADD inside the scripts (usec_per_call)', (f) => f.zaddUsec, us, 'mean');
  row(
    'memory: bytes per entry (MEMORY USAGE of the feeds)',
    (f) => f.keyBytesPerEntry,
    bytes,
    'mean',
  );
  row('memory: bytes per entry (INFO used_memory delta)', (f) => f.bytesPerEntry, bytes, 'mean');
  row(`read: get({ limit: 25 }) + hydration, p50`, (f) => f.read.p50, ms, 'mean');
  row('read: p99', (f) => f.read.p99, ms, 'mean');
  row(
    'ceiling: ZADD/s, redis-cli --pipe (mass insertion)',
    (f) => f.ceiling.rate,
    formatRate,
    'best',
  );
  row('ceiling: server time per ZADD (usec_per_call)', (f) => f.ceiling.zaddUsec, us, 'mean');
  row(
    'ratio fanout / ceiling',
    (f) => f.rate / f.ceiling.rate,
    (n) => `${(n * 100).toFixed(0)} %`,
    'mean',
  );
  rows.push([
    'reference: ZADD/s, plain ioredis pipeline (ids as scores)',
    formatRate(plain),
    '',
    '',
  ]);
  rows.push(['load average at the end (1 min)', loadavg()[0]!.toFixed(1), '', '']);
  printTable(['figure', 'stream-framework', 'compact', 'compact / sf'], rows);
  printAggregated(flat, aggregated);
  console.log(`\nuptime at the end: ${uptime()}`);
}

await main();
