/**
 * End-to-end fanout benchmark on the local Redis (printed, not asserted): one activity to N
 * followers over a flat and an aggregated feed (2 feed writes per follower), through the BullMQ
 * queue, with 1 and 2 worker processes (`sf-fanout-worker`, concurrency 4 each).
 *
 *   pnpm bench                       # 10,000 and 100,000 followers, 1 and 2 workers
 *   SF_BENCH_FOLLOWERS=10000 SF_BENCH_WORKERS=2 pnpm bench
 *
 * Reported per run: enqueue (addUserActivity until its tasks are in Redis), visible (until the
 * last job finished, from the jobs' finishedOn: the last follower can read the activity), wait
 * (until handle.wait() saw it), feed writes per second (2 x followers / visible), and the median
 * run time of one job (100 follower feeds) per feed type.
 */
import { performance } from 'node:perf_hooks';
import { median } from '@sf/feeds/bench';
import { AUTHOR, buildApp, pin } from '../test/fixtures/app.js';
import { REDIS_URL, deleteKeys, prefixes, startWorker, stop } from '../test/integration/helpers.js';
import type { Child } from '../test/integration/helpers.js';

const followerCounts = (process.env.SF_BENCH_FOLLOWERS ?? '10000,100000').split(',').map(Number);
const workerCounts = (process.env.SF_BENCH_WORKERS ?? '1,2').split(',').map(Number);
const concurrency = Number(process.env.SF_BENCH_CONCURRENCY ?? 4);

interface Row {
  followers: number;
  workers: number;
  jobs: number;
  enqueueMs: number;
  visibleMs: number;
  waitMs: number;
  writesPerSecond: number;
  /** Median run time of one job (100 feeds), by feed. */
  flatJobMs: number;
  aggregatedJobMs: number;
}

async function run(followers: number, workerCount: number): Promise<Row> {
  const { keyPrefix, queuePrefix } = prefixes(`bench-${followers}-${workerCount}`);
  const app = buildApp({
    redisUrl: REDIS_URL,
    keyPrefix,
    queuePrefix,
    followers,
    lowFollowers: 0,
    chunkSize: 100,
  });
  const workers: Child[] = [];
  try {
    for (let i = 0; i < workerCount; i++)
      workers.push(await startWorker({ keyPrefix, queuePrefix, concurrency }));
    const startEpoch = Date.now();
    const start = performance.now();
    const handle = await app.manager.addUserActivity(AUTHOR, pin(1));
    const enqueueMs = performance.now() - start;
    await handle.wait();
    const waitMs = performance.now() - start;
    const jobs = await app.queue.queue('HIGH').getJobs(['completed'], 0, -1);
    if (jobs.length !== handle.tasks)
      throw new Error(`expected ${handle.tasks} completed jobs, found ${jobs.length}`);
    const lastFinished = Math.max(...jobs.map((job) => job.finishedOn ?? 0));
    const visibleMs = lastFinished - startEpoch;
    const runTime = (feed: string) => {
      const times = jobs
        .filter((job) => job.name === `fanout.add.${feed}`)
        .map((job) => (job.finishedOn ?? 0) - (job.processedOn ?? 0));
      return times.length === 0 ? 0 : median(times);
    };
    return {
      followers,
      workers: workerCount,
      jobs: handle.tasks,
      enqueueMs,
      visibleMs,
      waitMs,
      writesPerSecond: (2 * followers) / (visibleMs / 1000),
      flatJobMs: runTime('normal'),
      aggregatedJobMs: runTime('aggregated'),
    };
  } finally {
    await Promise.all(workers.map((worker) => stop(worker)));
    await app.queue.obliterate().catch(() => undefined);
    await app.close();
    await deleteKeys(keyPrefix, `${queuePrefix}:`);
  }
}

const rows: Row[] = [];
for (const followers of followerCounts) {
  for (const workers of workerCounts) {
    process.stdout.write(`fanout to ${followers} followers with ${workers} worker process(es)... `);
    const row = await run(followers, workers);
    rows.push(row);
    console.log(`${Math.round(row.visibleMs)} ms`);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(
  '\n| followers | workers | jobs | enqueue (ms) | last follower can read (ms) | wait() resolved (ms) | feed writes/s | flat job (ms) | aggregated job (ms) |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const row of rows) {
  console.log(
    `| ${fmt(row.followers)} | ${row.workers} | ${fmt(row.jobs)} | ${fmt(row.enqueueMs)} | ${fmt(row.visibleMs)} | ${fmt(row.waitMs)} | ${fmt(row.writesPerSecond)} | ${fmt(row.flatJobMs)} | ${fmt(row.aggregatedJobMs)} |`,
  );
}
