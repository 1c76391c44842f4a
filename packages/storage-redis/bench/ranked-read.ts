/**
 * `pnpm bench:ranked` in packages/storage-redis: the latency of a ranked page
 * (`feed.ranked('popular').page({ limit: 25 })`) for N = 100, 500 and 1000 candidates, the first
 * page and a page read with its cursor, beside the plain `get({ limit: 25 })` of the same feed.
 * A ranked page is one timeline read of the N candidates (ZREVRANGEBYSCORE) plus one hydration
 * of them (HMGETs pipelined by shard), then scoring and sorting in Node. The activity cache is
 * off, so every read goes to Redis. SF_BENCH_READS (default 300) reads per case. Asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Activity, Love } from '@sf/activity';
import { Feed, decayedPopularity } from '@sf/feeds';
import { percentile } from '@sf/feeds/bench';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, redisStorage } from '../src/index.js';

const READS = Number(process.env.SF_BENCH_READS ?? 300);
const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `sf-ranked-bench-${randomBytes(4).toString('hex')}:`;
const redis = new Redis(url);
const storage = redisStorage({ redis, keyPrefix: prefix, activityCache: false });
const BASE = Date.UTC(2026, 0, 1);

async function measure(run: () => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < READS; i++) {
    const start = process.hrtime.bigint();
    await run();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

const rows: string[] = [];
try {
  for (const candidates of [100, 500, 1000]) {
    const definition = Feed.define({
      name: `ranked${candidates}`,
      keyFormat: `feed:ranked${candidates}:{userId}`,
      maxLength: 1000,
      storage,
      rankings: {
        popular: decayedPopularity({
          candidates,
          popularity: (activity) => Number(activity.extraContext.likes),
        }),
      },
    });
    const activities = Array.from(
      { length: candidates },
      (_, i) =>
        new Activity({
          actor: 1 + (i % 50),
          verb: Love,
          object: i + 1,
          time: BASE + i * 60_000,
          extraContext: { likes: (i * 7919) % 97, title: `pin ${i}` },
        }),
    );
    await definition.insertActivities(activities);
    const feed = definition.for(1);
    await feed.addMany(activities);
    const now = BASE + candidates * 60_000;
    const first = await feed.ranked('popular').page({ limit: 25, now });
    const cursor = first.nextCursor!;
    const plain = await measure(() => feed.get({ limit: 25 }));
    const firstPage = await measure(() => feed.ranked('popular').page({ limit: 25, now }));
    const nextPage = await measure(() => feed.ranked('popular').page({ limit: 25, cursor }));
    const ms = (value: number) => value.toFixed(2);
    rows.push(
      `| ${candidates} | ${ms(firstPage.p50)} / ${ms(firstPage.p99)} | ${ms(nextPage.p50)} / ${ms(nextPage.p99)} | ${ms(plain.p50)} / ${ms(plain.p99)} |`,
    );
  }
  console.log(
    `ranked reads on Redis (${url}), ${READS} reads per case, load average ${loadavg()[0]!.toFixed(1)}, ms p50 / p99`,
  );
  console.log(
    '| candidates | first page (limit 25) | page with cursor | plain get({ limit: 25 }) |',
  );
  console.log('| --- | --- | --- | --- |');
  for (const row of rows) console.log(row);
} finally {
  await deleteKeysWithPrefix(redis, prefix);
  redis.disconnect();
}
