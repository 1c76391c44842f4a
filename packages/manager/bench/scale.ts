/**
 * The figures SCALING.md computes from (printed, not asserted), on the local Redis:
 *
 * 1. One activity to a million followers' flat feeds through BullMQ worker processes
 *    (`sf-fanout-worker`): time until the last follower can read it, feed writes per second, and
 *    the Redis server's CPU seconds for the whole fanout (feed writes and queue traffic), so
 *    writes per Redis core-second.
 * 3. (printed last) What an 800-entry home timeline (Twitter's) takes in Redis memory, per entry,
 *    in both layouts: past 128 entries a sorted set is no longer a listpack.
 * 2. What a read costs: a stored page (`get({ limit: 25 })`, hydrated) against a push/pull read
 *    (`manager.readFeed`) that merges the user feeds of k pulled authors in, for k = 1, 5, 20, 100.
 *
 *   pnpm bench:scale
 *   SF_SCALE_FOLLOWERS=200000 SF_SCALE_WORKERS=2 SF_SCALE_READS=1000 pnpm bench:scale
 *   SF_SCALE_FOLLOWERS=0 pnpm bench:scale      # the reads only
 */
import { performance } from 'node:perf_hooks';
import { Activity } from '@sf/activity';
import { Feed } from '@sf/feeds';
import type { UserId } from '@sf/feeds';
import { percentile } from '@sf/feeds/bench';
import { redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { Manager } from '../src/index.js';
import { AUTHOR, Pin, buildApp, pin } from '../test/fixtures/app.js';
import { REDIS_URL, deleteKeys, prefixes, startWorker, stop } from '../test/integration/helpers.js';
import type { Child } from '../test/integration/helpers.js';

const followers = Number(process.env.SF_SCALE_FOLLOWERS ?? 1_000_000);
const workerCount = Number(process.env.SF_SCALE_WORKERS ?? 2);
const concurrency = Number(process.env.SF_SCALE_CONCURRENCY ?? 4);
const chunkSize = Number(process.env.SF_SCALE_CHUNK ?? 100);
const reads = Number(process.env.SF_SCALE_READS ?? 2000);
const pulledCounts = [0, 1, 5, 20, 100];

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The Redis server's CPU seconds so far (user + system, all its threads). */
async function redisCpuSeconds(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  let total = 0;
  for (const line of info.split(/\r?\n/)) {
    const [name, value] = line.split(':');
    if (name === 'used_cpu_user' || name === 'used_cpu_sys') total += Number(value);
  }
  return total;
}

async function fanoutRun() {
  const { keyPrefix, queuePrefix } = prefixes(`scale-${followers}`);
  const app = buildApp({
    redisUrl: REDIS_URL,
    keyPrefix,
    queuePrefix,
    followers,
    lowFollowers: 0,
    chunkSize,
    flatOnly: true,
  });
  const workers: Child[] = [];
  try {
    for (let i = 0; i < workerCount; i++) {
      workers.push(
        await startWorker({ keyPrefix, queuePrefix, concurrency, env: { SF_FLAT_ONLY: '1' } }),
      );
    }
    const cpuBefore = await redisCpuSeconds(app.redis);
    const startEpoch = Date.now();
    const start = performance.now();
    const activity = pin(1);
    const handle = await app.manager.addUserActivity(AUTHOR, activity);
    const enqueueMs = performance.now() - start;
    await handle.wait();
    const waitMs = performance.now() - start;
    const cpuSeconds = (await redisCpuSeconds(app.redis)) - cpuBefore;
    const jobs = await app.queue.queue('HIGH').getJobs(['completed'], 0, -1);
    if (jobs.length !== handle.tasks)
      throw new Error(`expected ${handle.tasks} completed jobs, found ${jobs.length}`);
    const lastFinished = Math.max(...jobs.map((job) => job.finishedOn ?? 0));
    const visibleMs = lastFinished - startEpoch;
    // The last follower really can read it (spot checks across the id range, hydrated).
    for (const offset of [0, Math.floor(followers / 2), followers - 1]) {
      const [first] = await app.feeds.normal.for(100_000 + offset).get({ limit: 1 });
      if (first?.serializationId !== activity.serializationId)
        throw new Error(`follower ${100_000 + offset} cannot read the activity`);
    }
    const sampleKeys = Array.from({ length: 200 }, (_, i) =>
      app.feeds.normal.keyFor(100_000 + Math.floor((i * followers) / 200)),
    );
    let sampleBytes = 0;
    for (const key of sampleKeys)
      sampleBytes += Number(await app.redis.memory('USAGE', `${keyPrefix}${key}`)) || 0;
    return {
      jobs: handle.tasks,
      enqueueMs,
      visibleMs,
      waitMs,
      cpuSeconds,
      bytesPerOneEntryFeed: sampleBytes / sampleKeys.length,
    };
  } finally {
    await Promise.all(workers.map((worker) => stop(worker)));
    await app.queue.obliterate().catch(() => undefined);
    await app.close();
    await deleteKeys(keyPrefix, `${queuePrefix}:`);
  }
}

async function readRun() {
  const { keyPrefix } = prefixes('scale-read');
  const redis = new Redis(REDIS_URL);
  const storage = redisStorage({ redis, keyPrefix });
  const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
  const userFeed = Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage });
  const reader = 1;
  const maxPulled = Math.max(...pulledCounts);
  let pulled: readonly UserId[] = [];
  const manager = new Manager({
    feeds: { normal },
    userFeed,
    getFollowerIds: async () => [],
    maxFanoutFollowers: 1,
    getPulledAuthorIds: async () => pulled,
  });
  const base = Date.UTC(2026, 0, 1);
  try {
    // The reader's stored feed: 100 activities of pushed authors.
    const pushed = Array.from(
      { length: 100 },
      (_, i) =>
        new Activity({
          actor: 10 + (i % 10),
          verb: Pin,
          object: i + 1,
          time: base + i * 60_000,
          extraContext: { title: `pushed ${i}` },
        }),
    );
    await normal.insertActivities(pushed);
    await normal.for(reader).addMany(pushed);
    // Large authors (ids from 1000), 100 activities each in their user feeds.
    for (let author = 0; author < maxPulled; author++) {
      const own = Array.from(
        { length: 100 },
        (_, i) =>
          new Activity({
            actor: 1000 + author,
            verb: Pin,
            object: 10_000 + author * 100 + i,
            time: base + i * 60_000 + author * 1000 + 500,
            extraContext: { title: `pulled ${author}/${i}` },
          }),
      );
      await userFeed.insertActivities(own);
      await userFeed.for(1000 + author).addMany(own);
    }
    const rows: Array<{
      label: string;
      p50: number;
      p99: number;
      mean: number;
      redisCpuMicros: number;
    }> = [];
    const measure = async (label: string, read: () => Promise<unknown[]>) => {
      for (let i = 0; i < 100; i++) await read();
      const times: number[] = [];
      const cpuBefore = await redisCpuSeconds(redis);
      for (let i = 0; i < reads; i++) {
        const t = performance.now();
        const page = await read();
        times.push(performance.now() - t);
        if (page.length !== 25) throw new Error(`${label}: a page of ${page.length}, expected 25`);
      }
      const cpuSeconds = (await redisCpuSeconds(redis)) - cpuBefore;
      times.sort((a, b) => a - b);
      rows.push({
        redisCpuMicros: (cpuSeconds / reads) * 1e6,
        label,
        p50: percentile(times, 50),
        p99: percentile(times, 99),
        mean: times.reduce((sum, time) => sum + time, 0) / times.length,
      });
    };
    await measure('stored page: feed.get({ limit: 25 })', () =>
      normal.for(reader).get({ limit: 25 }),
    );
    for (const k of pulledCounts) {
      pulled = Array.from({ length: k }, (_, i) => 1000 + i);
      await measure(`readFeed, ${k} pulled author(s)`, () =>
        manager.readFeed(reader, 'normal', { limit: 25 }),
      );
    }
    return rows;
  } finally {
    await deleteKeys(keyPrefix);
    await redis.quit();
  }
}

/** MEMORY USAGE per entry of feeds of `length` entries (default-scheme ids), by layout. */
async function memoryRun(length: number) {
  const results: Array<{ layout: string; bytesPerEntry: number; encoding: string }> = [];
  for (const layout of ['stream-framework', 'compact'] as const) {
    const { keyPrefix } = prefixes(`scale-memory-${layout}`);
    const redis = new Redis(REDIS_URL);
    const storage = redisStorage({ redis, keyPrefix, layout });
    const home = Feed.define({
      name: 'home',
      keyFormat: 'feed:home:{userId}',
      storage,
      maxLength: length,
    });
    const base = Date.UTC(2026, 0, 1);
    try {
      const activities = Array.from(
        { length },
        (_, i) =>
          new Activity({
            actor: 1_000_000 + (i % 500),
            verb: Pin,
            object: 5_000_000 + i,
            time: base + i * 37_000,
          }),
      );
      const users = Array.from({ length: 20 }, (_, i) => 1 + i);
      await home.addToMany(users, activities);
      let bytes = 0;
      for (const user of users)
        bytes += Number(await redis.memory('USAGE', `${keyPrefix}${home.keyFor(user)}`)) || 0;
      const encoding = String(await redis.object('ENCODING', `${keyPrefix}${home.keyFor(1)}`));
      results.push({ layout, bytesPerEntry: bytes / users.length / length, encoding });
    } finally {
      await deleteKeys(keyPrefix);
      await redis.quit();
    }
  }
  return results;
}

const started = new Date().toISOString();
const redis = new Redis(REDIS_URL);
const server = (await redis.info('server')).match(/redis_version:([0-9.]+)/)?.[1] ?? '?';
await redis.quit();
console.log(
  `scale bench, ${started}, Redis ${server}, Node ${process.version}; load average at start: ${(
    await import('node:os')
  )
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ')}`,
);
if (followers > 0) {
  process.stdout.write(
    `\n1. one activity to ${fmt(followers)} followers (flat feed only), ${workerCount} worker process(es) x concurrency ${concurrency}, ${chunkSize} feeds per job... `,
  );
  const fan = await fanoutRun();
  console.log('done');
  console.log('| figure | value |\n|---|---:|');
  console.log(`| jobs | ${fmt(fan.jobs)} |`);
  console.log(
    `| enqueue (addUserActivity until the jobs are in Redis) | ${fmt(fan.enqueueMs)} ms |`,
  );
  console.log(`| last follower can read it (last job finished) | ${fmt(fan.visibleMs)} ms |`);
  console.log(`| handle.wait() resolved | ${fmt(fan.waitMs)} ms |`);
  console.log(
    `| feed writes/s (followers / last follower can read) | ${fmt(followers / (fan.visibleMs / 1000))} |`,
  );
  console.log(
    `| jobs/s per worker process | ${fmt(fan.jobs / (fan.visibleMs / 1000) / workerCount, 1)} |`,
  );
  console.log(`| Redis CPU seconds for the fanout (user + sys) | ${fmt(fan.cpuSeconds, 2)} s |`);
  console.log(
    `| feed writes per Redis core-second (incl. queue traffic) | ${fmt(followers / fan.cpuSeconds)} |`,
  );
  console.log(
    `| MEMORY USAGE of a 1-entry feed (200 sampled) | ${fmt(fan.bytesPerOneEntryFeed)} B |`,
  );
}
console.log(
  `\n2. reads (${fmt(reads)} per row, after 100 warm-up reads; 25 items, hydrated, activity cache on)`,
);
const readRows = await readRun();
console.log(
  '| read | p50 (ms) | p99 (ms) | mean (ms) | Redis CPU per read (µs) |\n|---|---:|---:|---:|---:|',
);
for (const row of readRows) {
  console.log(
    `| ${row.label} | ${fmt(row.p50, 3)} | ${fmt(row.p99, 3)} | ${fmt(row.mean, 3)} | ${fmt(row.redisCpuMicros, 1)} |`,
  );
}
const plain = readRows.find((row) => row.label.startsWith('readFeed, 0'))!;
const most = readRows.at(-1)!;
console.log(
  `\nextra mean cost per pulled author (readFeed 0 -> ${pulledCounts.at(-1)}): ${fmt(((most.mean - plain.mean) / pulledCounts.at(-1)!) * 1000, 1)} µs`,
);
const timelineLength = 800;
console.log(`\n3. memory of ${timelineLength}-entry home timelines (20 feeds, MEMORY USAGE)`);
console.log('| layout | encoding | bytes per entry |\n|---|---|---:|');
for (const row of await memoryRun(timelineLength))
  console.log(`| ${row.layout} | ${row.encoding} | ${fmt(row.bytesPerEntry, 1)} |`);
