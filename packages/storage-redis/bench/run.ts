/**
 * `pnpm bench` in packages/storage-redis: the Redis backend's fanout, read and memory figures on
 * the local Redis (REDIS_URL, default redis://127.0.0.1:6379). Prints a table; asserts nothing.
 *
 * Environment: BENCH_FEEDS (10000), BENCH_ROUNDS (100: feeds x rounds writes), BENCH_MAX_LENGTH
 * (90: the last rounds trim), BENCH_CHUNK (100 feeds per batch call, Stream Framework's
 * fanout_chunk_size), BENCH_IN_FLIGHT (16 batch calls in flight), BENCH_READS (10000).
 * Aggregated fanout: see bench/aggregated-fanout.ts (BENCH_AGG_*, SF_PYTHON_BENCH).
 * BENCH_ONLY=aggregated runs the flat and aggregated fanouts only (for profiling).
 *
 * Every key it writes is under a random `sfbench:<hex>:` prefix and deleted at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { Redis } from 'ioredis';
import { redisStorage } from '../src/index.js';
import { aggregatedFanout } from './aggregated-fanout.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const FEEDS = env('BENCH_FEEDS', 10_000);
const ROUNDS = env('BENCH_ROUNDS', 100);
const MAX_LENGTH = env('BENCH_MAX_LENGTH', 90);
const CHUNK = env('BENCH_CHUNK', 100);
const IN_FLIGHT = env('BENCH_IN_FLIGHT', 16);
const READS = env('BENCH_READS', 10_000);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sfbench:${randomBytes(4).toString('hex')}:`;

const redis = new Redis(url, { maxRetriesPerRequest: 1 });
const seconds = (start: bigint) => Number(process.hrtime.bigint() - start) / 1e9;
const formatRate = (n: number) => `${Math.round(n).toLocaleString('en-US')} /s`;

async function usedMemory(): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
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
    }),
);
const userIds = Array.from({ length: FEEDS }, (_, i) => i + 1);
const rows: Array<[string, string]> = [];

/** `MEMORY USAGE` of every feed key, summed: unaffected by other clients writing meanwhile. */
async function feedKeysMemory(): Promise<number> {
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

async function fanout(): Promise<{
  rate: number;
  cpuMicros: number;
  bytesPerEntry: number;
  keyBytesPerEntry: number;
  entries: number;
}> {
  const storage = redisStorage({ redis, keyPrefix: prefix });
  const PinFeed = Feed.define({
    name: 'normal',
    keyFormat: 'feed:normal:{userId}',
    maxLength: MAX_LENGTH,
    storage,
  });
  await PinFeed.insertActivities(activities);
  const before = await usedMemory();
  const chunks = Math.ceil(FEEDS / CHUNK);
  const start = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (const activity of activities) {
    await limited(chunks, IN_FLIGHT, (chunk) =>
      PinFeed.addToMany(userIds.slice(chunk * CHUNK, (chunk + 1) * CHUNK), [activity]),
    );
  }
  const elapsed = seconds(start);
  const used = process.cpuUsage(cpu);
  const after = await usedMemory();
  const entries = FEEDS * Math.min(ROUNDS, MAX_LENGTH);
  const sample = await redis.zcard(`${prefix}feed:normal:${FEEDS}`);
  if (sample !== Math.min(ROUNDS, MAX_LENGTH))
    throw new Error(`feed length ${sample}, expected ${Math.min(ROUNDS, MAX_LENGTH)}`);
  const keyBytes = await feedKeysMemory();
  return {
    rate: (FEEDS * ROUNDS) / elapsed,
    cpuMicros: (used.user + used.system) / (FEEDS * ROUNDS),
    bytesPerEntry: (after - before) / entries,
    keyBytesPerEntry: keyBytes / entries,
    entries,
  };
}

async function reads(): Promise<{ p50: number; p99: number; mean: number }> {
  const storage = redisStorage({ redis, keyPrefix: prefix });
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
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    p50: at(0.5),
    p99: at(0.99),
    mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
  };
}

/** The same ZADDs as RESP, sent with `redis-cli --pipe` (mass insertion). */
async function massInsertion(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'sf-bench-'));
  const file = join(dir, 'zadd.resp');
  const out = createWriteStream(file);
  const bulk = (text: string) => `$${Buffer.byteLength(text)}\r\n${text}\r\n`;
  for (const activity of activities) {
    const id = activity.serializationId;
    let block = '';
    for (const userId of userIds)
      block += `*4\r\n$4\r\nZADD\r\n${bulk(`${prefix}pipe:feed:${userId}`)}${bulk(id)}${bulk(id)}`;
    if (!out.write(block)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  const { hostname, port } = new URL(url);
  const start = process.hrtime.bigint();
  const child = spawn(
    'redis-cli',
    ['-h', hostname || '127.0.0.1', '-p', port || '6379', '--pipe'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const { createReadStream } = await import('node:fs');
  createReadStream(file).pipe(child.stdin);
  let output = '';
  child.stdout.on('data', (data: Buffer) => (output += data.toString()));
  const [code] = (await once(child, 'exit')) as [number];
  const elapsed = seconds(start);
  rmSync(dir, { recursive: true, force: true });
  if (code !== 0 || !/errors: 0, replies: (\d+)/.test(output))
    throw new Error(`redis-cli --pipe failed: ${output}`);
  await deleteKeys(`${prefix}pipe:*`);
  return (FEEDS * ROUNDS) / elapsed;
}

/** The same ZADDs through plain ioredis pipelines (one pipeline per activity). */
async function plainPipeline(): Promise<number> {
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

async function main(): Promise<void> {
  const server = await redis.info('server');
  const version = /redis_version:(\S+)/.exec(server)?.[1];
  console.log(
    `Redis ${version} at ${url}; node ${process.version}; ${cpus().length} cores (${cpus()[0]?.model.trim()}), load average ${loadavg()[0]!.toFixed(1)}\n` +
      `${FEEDS.toLocaleString('en-US')} feeds x ${ROUNDS} activities = ${(FEEDS * ROUNDS).toLocaleString('en-US')} writes, ` +
      `maxLength ${MAX_LENGTH}, ${CHUNK} feeds per batch call, ${IN_FLIGHT} calls in flight\n`,
  );
  try {
    const written = await fanout();
    rows.push(['fanout: feed writes/s (addToMany, trim included)', formatRate(written.rate)]);
    rows.push(['fanout: client CPU per write', `${written.cpuMicros.toFixed(1)} us`]);
    const aggregated = await aggregatedFanout(redis, prefix, {
      chunk: CHUNK,
      inFlight: IN_FLIGHT,
      maxLength: MAX_LENGTH,
    });
    const writes = aggregated.writes.toLocaleString('en-US');
    rows.push([
      `aggregated fanout: writes/s, batched (modifyMany), ${writes} writes`,
      formatRate(aggregated.batched.rate),
    ]);
    rows.push([
      'aggregated fanout: client CPU per write, batched',
      `${aggregated.batched.cpuMicros.toFixed(1)} us`,
    ]);
    rows.push([
      `aggregated fanout: writes/s, locked per feed (batchedAggregatedWrites: false)`,
      formatRate(aggregated.locked.rate),
    ]);
    rows.push([
      'aggregated fanout: client CPU per write, locked',
      `${aggregated.locked.cpuMicros.toFixed(1)} us`,
    ]);
    rows.push([
      'aggregated fanout: Python SF 1.4 (SF_PYTHON_BENCH)',
      aggregated.python === null ? 'not run' : formatRate(aggregated.python),
    ]);
    rows.push([
      'ratio aggregated batched / locked',
      `${(aggregated.batched.rate / aggregated.locked.rate).toFixed(1)} x`,
    ]);
    rows.push([
      'ratio aggregated batched / flat fanout (target >= 33 %)',
      `${((aggregated.batched.rate / written.rate) * 100).toFixed(0)} %`,
    ]);
    if (aggregated.python !== null)
      rows.push([
        'ratio aggregated batched / Python SF (target >= 30 x)',
        `${(aggregated.batched.rate / aggregated.python).toFixed(1)} x`,
      ]);
    if (process.env.BENCH_ONLY !== 'aggregated') {
      rows.push([
        'memory: bytes per feed entry (INFO used_memory after - before)',
        written.bytesPerEntry.toFixed(1),
      ]);
      rows.push([
        'memory: bytes per feed entry (MEMORY USAGE of the feed keys)',
        written.keyBytesPerEntry.toFixed(1),
      ]);
      const latency = await reads();
      rows.push([
        `read: get({ limit: 25 }) + hydration, p50 (${READS.toLocaleString('en-US')} reads)`,
        `${latency.p50.toFixed(3)} ms`,
      ]);
      rows.push(['read: p99', `${latency.p99.toFixed(3)} ms`]);
      rows.push(['read: mean', `${latency.mean.toFixed(3)} ms`]);
      await deleteKeys(`${prefix}*`);
      const ceiling = await massInsertion();
      rows.push(['ceiling: ZADD/s, redis-cli --pipe (mass insertion)', formatRate(ceiling)]);
      const plain = await plainPipeline();
      rows.push(['reference: ZADD/s, plain ioredis pipeline', formatRate(plain)]);
      rows.push(['ratio fanout / ceiling', `${((written.rate / ceiling) * 100).toFixed(0)} %`]);
      rows.push([
        'ratio fanout / plain ioredis pipeline',
        `${(written.rate / plain).toFixed(1)} x`,
      ]);
    }
  } finally {
    await deleteKeys(`${prefix}*`);
    await redis.quit();
  }
  rows.push([
    'load average at the end (other processes compete for the cores)',
    loadavg()[0]!.toFixed(1),
  ]);
  const width = Math.max(...rows.map(([name]) => name.length));
  const valueWidth = Math.max(...rows.map(([, value]) => value.length));
  console.log(`| ${'figure'.padEnd(width)} | ${'value'.padStart(valueWidth)} |`);
  console.log(`| ${'-'.repeat(width)} | ${'-'.repeat(valueWidth - 1)}: |`);
  for (const [name, value] of rows)
    console.log(`| ${name.padEnd(width)} | ${value.padStart(valueWidth)} |`);
}

await main();
