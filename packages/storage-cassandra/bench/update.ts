/**
 * `pnpm bench:update` in packages/storage-cassandra: the cost of an update in place
 * (`Manager.updateActivity`, issue 16) on Redis and on Cassandra. Prints figures; asserts nothing.
 *
 * - Redis (REDIS_URL, default redis://127.0.0.1:6379; keys under sfbench:<hex>: deleted at the
 *   end): flat + aggregated feeds (they hold ids, so no fanout), BENCH_UPDATES (2000) sequential
 *   `updateActivity` calls: µs per call, and Redis commands sent per call (counted on the client;
 *   a pipeline of commands is one round trip).
 * - Cassandra (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042; keyspace sf_bench_<hex>, dropped
 *   at the end): a flat feed (whole activities) with BENCH_FOLLOWERS (1000) followers, in-process
 *   queue, chunks of 100: the time of the publish fanout (`addUserActivity` + wait) and of the
 *   re-fanout of an update (`updateActivity` + wait), per 1,000 followers, BENCH_ROUNDS (3) each.
 */
import { randomBytes } from 'node:crypto';
import { Activity, defineVerb } from '@sf/activity';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';
import { Manager } from '@sf/manager';
import { redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { cassandraStorage } from '../src/index.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const UPDATES = env('BENCH_UPDATES', 2000);
const FOLLOWERS = env('BENCH_FOLLOWERS', 1000);
const ROUNDS = Math.max(1, env('BENCH_ROUNDS', 3));
const tag = randomBytes(4).toString('hex');
const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const BASE = Date.UTC(2026, 0, 1);
const now = () => process.hrtime.bigint();
const msSince = (start: bigint) => Number(now() - start) / 1e6;

function manager(storage: StorageBackend, followers: number[], withAggregated: boolean): Manager {
  return new Manager({
    feeds: {
      normal: Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage }),
      ...(withAggregated
        ? {
            aggregated: AggregatedFeed.define({
              name: 'aggregated',
              keyFormat: 'feed:aggregated:{userId}',
              storage,
            }),
          }
        : {}),
    },
    userFeed: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
    getFollowerIds: async () => followers,
    fanoutChunkSize: 100,
  });
}

const pin = (object: number, extraContext: Record<string, unknown>) =>
  new Activity({ actor: 13, verb: Pin, object, time: BASE + object * 1000, extraContext });

async function redisFigures(): Promise<void> {
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  const prefix = `sfbench:${tag}:`;
  const storage = redisStorage({ redis, keyPrefix: prefix });
  await storage.activityCache?.ready();
  const m = manager(storage, [21, 22, 23], true);
  try {
    const activity = pin(1, { title: 'pin', likes: 0 });
    await m.addUserActivity(13, activity);
    let commands = 0;
    const send = redis.sendCommand.bind(redis);
    redis.sendCommand = ((...args: Parameters<Redis['sendCommand']>) => {
      commands++;
      return send(...args);
    }) as Redis['sendCommand'];
    for (let i = 0; i < 100; i++) await m.updateActivity(activity.withExtraContext({ likes: i }));
    commands = 0;
    const start = now();
    for (let i = 0; i < UPDATES; i++)
      await m.updateActivity(activity.withExtraContext({ title: 'pin', likes: i }));
    const total = msSince(start);
    console.log(
      `redis updateActivity (flat + aggregated feeds, ids: no fanout): ${((total * 1000) / UPDATES).toFixed(0)} µs per call, ${(commands / UPDATES).toFixed(1)} commands per call (${UPDATES} calls)`,
    );
    const [read] = (await m.getFeeds(21).normal!.get({ limit: 1 })) as Activity[];
    if (read?.extraContext.likes !== UPDATES - 1) throw new Error('the last update is not read');
  } finally {
    await storage.close();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
    await redis.quit();
  }
}

async function cassandraFigures(): Promise<void> {
  const storage = cassandraStorage({
    contactPoints: (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(','),
    keyspace: `sf_bench_${tag}`,
    autoSchema: true,
  });
  const followers = Array.from({ length: FOLLOWERS }, (_, i) => 1000 + i);
  const m = manager(storage, followers, false);
  try {
    const publish: number[] = [];
    const update: number[] = [];
    for (let round = 0; round <= ROUNDS; round++) {
      const activity = pin(10 + round, { title: 'pin', likes: 0 });
      let start = now();
      await (await m.addUserActivity(13, activity)).wait();
      const published = msSince(start);
      start = now();
      const handle = await m.updateActivity(activity.withExtraContext({ title: 'new', likes: 1 }));
      await handle.wait();
      const updated = msSince(start);
      if (round === 0) continue; // warm-up
      publish.push(published);
      update.push(updated);
      const [read] = (await m.getFeeds(followers.at(-1)!).normal!.get({ limit: 1 })) as Activity[];
      if (read?.extraContext.title !== 'new') throw new Error('the update is not read');
    }
    const per1000 = (values: number[]) =>
      ((values.reduce((a, b) => a + b, 0) / values.length) * 1000) / FOLLOWERS;
    console.log(
      `cassandra flat feed, ${FOLLOWERS} followers, chunks of 100: publish fanout ${per1000(publish).toFixed(0)} ms, update re-fanout ${per1000(update).toFixed(0)} ms per 1,000 followers (mean of ${ROUNDS})`,
    );
  } finally {
    await storage.dropKeyspace().catch(() => undefined);
    await storage.close();
  }
}

await redisFigures();
await cassandraFigures();
