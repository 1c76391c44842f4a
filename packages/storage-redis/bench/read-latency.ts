/**
 * `pnpm bench:read` in packages/storage-redis: the latency of a hydrated `get({ limit: 25 })`
 * beside its floors, measured in one run and interleaved (every iteration times the read and
 * both floors, so they share the machine's noise), with a realistic popularity.
 *
 * Data: SF_BENCH_ACTIVITIES activities (default 100,000; the figure is 1,000,000) by
 * SF_BENCH_AUTHORS authors (default 1,000; issue 10,000), each author's activities spread over
 * time. Follower counts follow a power law (Zipf, exponent SF_BENCH_ZIPF, default 1): each of
 * SF_BENCH_FEEDS feeds (default 2,000; issue 10,000) follows SF_BENCH_FOLLOWS authors (default
 * 50) drawn with weight 1/rank, and holds the newest 30 activities of the authors it follows.
 * Reads: SF_BENCH_READS (default 10,000) per phase, over feeds drawn with the same power law
 * (active users read more). SF_BENCH_SHARDS (default 10, Stream Framework's) activity hashes.
 *
 * Phases: the activity cache off; on (after one pass over the feeds to warm it); on with hot
 * activities only (the 100 most read feeds); on while another connection stores new activities
 * at SF_BENCH_WRITES_PER_SECOND (default 100; each write invalidates its activity hash). Floors, in each phase's own iterations: the read's
 * own commands sent bare (ZREVRANGE 0 24, then its HMGETs corked into one write, no decoding),
 * and one bare command (ZREVRANGE 0 24). Allocation per read: young-generation bytes used across
 * batches of 50 reads that met no GC, median. GC pauses: perf_hooks 'gc' entries per phase.
 *
 * `SF_PYTHON_BENCH=<command>`: a command that prints Python Stream Framework's p50/p99 for the
 * same read on this machine (see README); not run when unset. Asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { execSync } from 'node:child_process';
import { getHeapSpaceStatistics } from 'node:v8';
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { percentile } from '@sf/feeds/bench';
import { Redis } from 'ioredis';
import { activityShard, deleteKeysWithPrefix, redisStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const ACTIVITIES = env('SF_BENCH_ACTIVITIES', 100_000);
const AUTHORS = env('SF_BENCH_AUTHORS', 1_000);
const FEEDS = env('SF_BENCH_FEEDS', 2_000);
const FOLLOWS = Math.min(env('SF_BENCH_FOLLOWS', 50), AUTHORS);
const READS = env('SF_BENCH_READS', 10_000);
const ZIPF = env('SF_BENCH_ZIPF', 1);
const SHARDS = env('SF_BENCH_SHARDS', 10);
const FEED_LENGTH = 30;
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sf-read-bench-${randomBytes(4).toString('hex')}:`;

/** mulberry32: the same data at every run. */
let seed = 0x5f3759df;
function random(): number {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** Draws 0..n-1 with weight 1/(rank+1)^ZIPF. */
function zipf(n: number): () => number {
  const cumulative = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) cumulative[i] = sum += 1 / (i + 1) ** ZIPF;
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const redis = new Redis(url);
const base = Date.UTC(2026, 0, 1);
const activity = (k: number) =>
  new Activity({
    actor: (k % AUTHORS) + 1,
    verb: Love,
    object: k + 1,
    time: base + k * 1000,
    extraContext: { itemId: k, board: `board-${k % 97}`, tags: ['a', 'b'] },
  });

const setup = redisStorage({
  redis,
  keyPrefix: prefix,
  activityShards: SHARDS,
  activityCache: false,
});
const SetupFeed = Feed.define({
  name: 'normal',
  keyFormat: 'feed:normal:{userId}',
  storage: setup,
});
const started = Date.now();
for (let k = 0; k < ACTIVITIES; k += 1000) {
  const batch: Activity[] = [];
  for (let j = k; j < Math.min(ACTIVITIES, k + 1000); j++) batch.push(activity(j));
  await SetupFeed.insertActivities(batch);
}
const perAuthor = Math.floor(ACTIVITIES / AUTHORS);
const followee = zipf(AUTHORS);
for (let feed = 1; feed <= FEEDS; feed++) {
  const authors = new Set<number>();
  while (authors.size < FOLLOWS) authors.add(followee());
  // The newest FEED_LENGTH activities of the authors it follows: activity k is by author k % AUTHORS.
  const entries: Activity[] = [];
  for (let round = perAuthor - 1; round >= 0 && entries.length < FEED_LENGTH; round--) {
    const newest = [...authors]
      .map((author) => round * AUTHORS + author)
      .filter((k) => k < ACTIVITIES)
      .sort((a, b) => b - a);
    for (const k of newest) if (entries.length < FEED_LENGTH) entries.push(activity(k));
  }
  await SetupFeed.for(feed).addMany(entries);
}
console.log(
  `setup: ${ACTIVITIES.toLocaleString('en-US')} activities, ${AUTHORS.toLocaleString('en-US')} authors, ` +
    `${FEEDS.toLocaleString('en-US')} feeds of ${FEED_LENGTH} (${FOLLOWS} follows, zipf ${ZIPF}), ` +
    `${SHARDS} shards, in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);

let gcPauses = 0;
let gcTime = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses++;
    gcTime += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });

function newSpaceUsed(): number {
  for (const space of getHeapSpaceStatistics())
    if (space.space_name === 'new_space') return space.space_used_size;
  return 0;
}

interface Phase {
  name: string;
  read: number[];
  floorCommands: number[];
  floorOne: number[];
  allocation: number[];
  gcPauses: number;
  gcTime: number;
  hitRate: string;
}

const shardKeys = setup.keys.activityShardKeys();
const readerFeed = zipf(FEEDS);

/** Another process' writes: new activities stored at WRITES_PER_SECOND while a phase reads. */
const WRITES_PER_SECOND = env('SF_BENCH_WRITES_PER_SECOND', 100);
const writer = new Redis(url);
const WriterFeed = Feed.define({
  name: 'normal',
  keyFormat: 'feed:normal:{userId}',
  storage: redisStorage({
    redis: writer,
    keyPrefix: prefix,
    activityShards: SHARDS,
    activityCache: false,
  }),
});
let written = ACTIVITIES;

async function phase(
  name: string,
  cache: boolean,
  feeds: () => number,
  warm: number[],
  writes = false,
): Promise<Phase> {
  const storage = redisStorage({
    redis,
    keyPrefix: prefix,
    activityShards: SHARDS,
    ...(cache ? {} : { activityCache: false as const }),
  });
  await storage.activityCache?.ready();
  const PinFeed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
  for (const feed of warm) await PinFeed.for(feed).get({ limit: 25 });
  const before = storage.activityCache?.stats();
  const result: Phase = {
    name,
    read: [],
    floorCommands: [],
    floorOne: [],
    allocation: [],
    gcPauses: 0,
    gcTime: 0,
    hitRate: '-',
  };
  const writing = writes
    ? setInterval(
        () => void WriterFeed.insertActivity(activity(written++)),
        1000 / WRITES_PER_SECOND,
      )
    : undefined;
  const gc0 = gcPauses;
  const gcTime0 = gcTime;
  let batchStart = newSpaceUsed();
  let batchGc = gcPauses;
  for (let i = 0; i < READS; i++) {
    const feed = feeds();
    const key = `${prefix}feed:normal:${feed}`;
    const measureAllocation = i % 100 < 50;
    if (i % 100 === 0) {
      batchStart = newSpaceUsed();
      batchGc = gcPauses;
    }
    let start = process.hrtime.bigint();
    await PinFeed.for(feed).get({ limit: 25 });
    result.read.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (measureAllocation && i % 100 === 49 && gcPauses === batchGc) {
      result.allocation.push((newSpaceUsed() - batchStart) / 50);
    }
    if (measureAllocation) continue;
    // Floors: the read's own commands, bare; one bare command.
    start = process.hrtime.bigint();
    const ids = await redis.zrevrange(key, 0, 24);
    const byShard = new Map<number, string[]>();
    for (const id of ids) {
      const shard = activityShard(id, SHARDS);
      const group = byShard.get(shard);
      if (group) group.push(id);
      else byShard.set(shard, [id]);
    }
    redis.stream.cork();
    const pending = [...byShard].map(([shard, group]) => redis.hmget(shardKeys[shard]!, ...group));
    redis.stream.uncork();
    await Promise.all(pending);
    result.floorCommands.push(Number(process.hrtime.bigint() - start) / 1e6);
    start = process.hrtime.bigint();
    await redis.zrevrange(key, 0, 24);
    result.floorOne.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  clearInterval(writing);
  result.gcPauses = gcPauses - gc0;
  result.gcTime = gcTime - gcTime0;
  const after = storage.activityCache?.stats();
  if (before && after) {
    const hits = after.hits - before.hits;
    const misses = after.misses - before.misses;
    const reused = after.revalidated - before.revalidated;
    result.hitRate =
      `${((100 * hits) / Math.max(1, hits + misses)).toFixed(1)} %` +
      (reused > 0
        ? ` (+${((100 * reused) / Math.max(1, hits + misses)).toFixed(1)} % reused)`
        : '');
  }
  await storage.close();
  return result;
}

/** Percentile p (0 to 100) of values in any order. */
const percentileOf = (values: number[], p: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
const ms = (value: number) => value.toFixed(3);

const everyFeed = Array.from({ length: FEEDS }, (_, i) => i + 1);
const hotFeeds = Array.from({ length: 100 }, (_, i) => i + 1); // rank 0..99: the most read
const phases = [
  await phase('cache off', false, () => readerFeed() + 1, []),
  await phase('cache on', true, () => readerFeed() + 1, everyFeed),
  await phase('cache on, hot', true, () => hotFeeds[readerFeed() % 100]!, hotFeeds),
  await phase(
    `cache on, ${WRITES_PER_SECOND} inserts/s`,
    true,
    () => readerFeed() + 1,
    everyFeed,
    true,
  ),
];

console.log(
  `load average ${loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}; ${READS} reads per phase`,
);
console.log(
  '| phase | hit rate | read p50 / p99 / p99.9 | floor: its commands bare, p50 / p99 / p99.9 | floor: one command, p50 / p99 / p99.9 | p99 / commands p99 | p99 / one p99 | KB allocated per read | GC pauses (ms) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const p of phases) {
  const triple = (values: number[]) =>
    `${ms(percentileOf(values, 50))} / ${ms(percentileOf(values, 99))} / ${ms(percentileOf(values, 99.9))}`;
  console.log(
    `| ${p.name} | ${p.hitRate} | ${triple(p.read)} | ${triple(p.floorCommands)} | ${triple(p.floorOne)} | ` +
      `${(percentileOf(p.read, 99) / percentileOf(p.floorCommands, 99)).toFixed(2)}x | ` +
      `${(percentileOf(p.read, 99) / percentileOf(p.floorOne, 99)).toFixed(2)}x | ` +
      `${(percentileOf(p.allocation, 50) / 1024).toFixed(1)} | ${p.gcPauses} (${p.gcTime.toFixed(0)}) |`,
  );
}
if (process.env.SF_PYTHON_BENCH) {
  console.log('Python Stream Framework (SF_PYTHON_BENCH):');
  console.log(execSync(process.env.SF_PYTHON_BENCH, { encoding: 'utf8' }).trim());
} else {
  console.log('Python Stream Framework: SF_PYTHON_BENCH unset, not measured');
}
await deleteKeysWithPrefix(redis, prefix);
redis.disconnect();
writer.disconnect();
