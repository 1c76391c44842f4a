/**
 * `pnpm bench`: read latency of the tiered backend (page from the Redis cache, page from
 * PostgreSQL after a miss, PostgreSQL alone) and the cost of a fanout write on it (tiered vs
 * PostgreSQL alone vs Redis alone). Printed, never asserted. Needs Redis (REDIS_URL, default
 * redis://127.0.0.1:6379: keys under a prefix of its own, deleted at the end) and PostgreSQL
 * (SF_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test: a schema of its own, dropped).
 *
 * SF_BENCH_FEEDS (default 1000) feeds of 100 entries; reads are `get({ limit: 25 })` of a random
 * feed, hydrated (activities from the cache's copies or PostgreSQL), one at a time.
 */
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { median, percentile } from '@sf/feeds/bench';
import type { StorageBackend } from '@sf/feeds/backend';
import { postgresStorage } from '@sf/storage-postgres';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { tieredStorage } from '../src/index.js';

const feeds = Number(process.env.SF_BENCH_FEEDS ?? 1000);
const reads = Number(process.env.SF_BENCH_READS ?? 2000);
const run = Date.now().toString(36);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keyPrefix = `sfbench-tiered:${run}:`;
const schema = `sf_bench_tiered_${run}`;
const durable = postgresStorage({
  connectionString: process.env.SF_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  schema,
});
await durable.sync();
const cache = redisStorage({ redis, keyPrefix, activityCache: false });
const tiered = tieredStorage({ cache, durable, cacheMaxLength: 100, refill: 'inline' });
const users = Array.from({ length: feeds }, (_, i) => i + 1);
const define = (storage: StorageBackend, name: string) =>
  Feed.define({ name, keyFormat: `${name}:{userId}`, maxLength: 1000, storage });

function percentiles(samples: number[]): string {
  samples.sort((a, b) => a - b);
  return `p50 ${percentile(samples, 50).toFixed(2)} ms, p99 ${percentile(samples, 99).toFixed(2)} ms`;
}

async function timeReads(read: (user: number) => Promise<unknown>): Promise<string> {
  const samples: number[] = [];
  for (let i = 0; i < reads; i++) {
    const user = users[Math.floor(Math.random() * users.length)]!;
    const at = performance.now();
    await read(user);
    samples.push(performance.now() - at);
  }
  return percentiles(samples);
}

try {
  const activities = Array.from(
    { length: 100 },
    (_, i) =>
      new Activity({
        actor: 13,
        verb: Love,
        object: i + 1,
        time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      }),
  );
  const home = define(tiered, 'home');
  await home.insertActivities(activities);
  for (let start = 0; start < users.length; start += 500)
    await home.addToMany(users.slice(start, start + 500), activities);
  for (const user of users) await home.for(user).get({ limit: 25 }); // fills the cache
  console.log(`read get({ limit: 25 }), ${reads} reads over ${feeds} feeds of 100 entries:`);
  console.log(
    `  tiered, from the Redis cache:        ${await timeReads((u) => home.for(u).get({ limit: 25 }))}`,
  );
  const homeDurable = define(durable, 'home');
  console.log(
    `  PostgreSQL alone:                    ${await timeReads((u) => homeDurable.for(u).get({ limit: 25 }))}`,
  );
  const homeCacheTimeline = cache.timelineStorage({
    name: 'home',
    kind: 'flat',
    serializer: tiered.format.timelineSerializer(),
  });
  console.log(
    `  tiered, miss (evicted, then read):   ${await timeReads(async (u) => {
      await homeCacheTimeline.evict!([home.keyFor(u)]);
      return home.for(u).get({ limit: 25 });
    })} (includes the evict round trip and the inline refill)`,
  );

  const fresh = new Activity({
    actor: 14,
    verb: Love,
    object: 9999,
    time: new Date(Date.UTC(2026, 0, 2)),
  });
  console.log(
    `fanout write: addToMany of 1 activity to ${feeds} feeds in chunks of 500 (feeds exist):`,
  );
  for (const [label, storage, name] of [
    ['tiered (PostgreSQL, then Redis)', tiered, 'home'],
    ['PostgreSQL alone', durable, 'home'],
    ['Redis alone', cache, 'redisonly'],
  ] as const) {
    const definition = define(storage, name);
    await definition.insertActivity(fresh);
    const rounds = 5;
    const samples: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const activity = new Activity({
        actor: 14,
        verb: Love,
        object: 10_000 + round,
        time: new Date(Date.UTC(2026, 0, 3, 0, 0, round)),
      });
      await definition.insertActivity(activity);
      const at = performance.now();
      for (let start = 0; start < users.length; start += 500)
        await definition.addToMany(users.slice(start, start + 500), [activity]);
      samples.push(performance.now() - at);
    }
    const middle = median(samples);
    console.log(
      `  ${label.padEnd(34)} median ${middle.toFixed(1)} ms per ${feeds} feeds (${Math.round((feeds / middle) * 1000).toLocaleString('en-US')} feed writes/s)`,
    );
  }
} finally {
  await cache.close();
  await deleteKeysWithPrefix(redis, keyPrefix);
  await redis.quit();
  await durable.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await durable.close();
}
