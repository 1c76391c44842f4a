/**
 * Inactive followers benchmark (printed, not asserted), on memory and the local Redis:
 *
 * - a skewed follow graph (each user follows 10 to 200 people, picked with a Zipf law over
 *   popularity, so a few authors have thousands of followers), 80% of users inactive;
 * - fanout of the same activities with and without `inactiveFollowers` (in-process queue,
 *   chunks of 100; a flat feed with authors picked uniformly, or among the 20 most followed,
 *   and an aggregated feed): time, Redis server CPU, feed writes, writes avoided
 *   (Metrics.onFanoutSkipped);
 * - the rebuild of a returning user who follows 500 people with 20 activities each: the time
 *   `touchUser` takes with the in-process queue (it runs the rebuild before returning).
 *
 *   pnpm --filter @sf/manager bench:inactive
 *   SF_BENCH_USERS=5000 SF_BENCH_ACTIVITIES=1000 SF_BENCH_BACKENDS=memory,redis pnpm bench:inactive
 */
import { performance } from 'node:perf_hooks';
import { randomBytes } from 'node:crypto';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed, Feed, NoopMetrics } from '@sf/feeds';
import type { Metrics, StorageBackend, Timer, UserId } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import { Manager } from '../src/index.js';
import { REDIS_URL } from '../test/integration/helpers.js';

const USERS = Number(process.env.SF_BENCH_USERS ?? 5000);
const ACTIVITIES = Number(process.env.SF_BENCH_ACTIVITIES ?? 1000);
/** Activities of the aggregated-feed runs (its writes are read-modify-writes: ~10x a flat one). */
const AGGREGATED_ACTIVITIES = Number(process.env.SF_BENCH_AGGREGATED_ACTIVITIES ?? 200);
/** Activities of the popular-author runs (each fans out to thousands of followers). */
const POPULAR_ACTIVITIES = Number(process.env.SF_BENCH_POPULAR_ACTIVITIES ?? 100);
const BACKENDS = (process.env.SF_BENCH_BACKENDS ?? 'memory,redis').split(',');
const INACTIVE_SHARE = 0.8;
const REBUILD_FOLLOWING = 500;
const REBUILD_ACTIVITIES = 20;
const DAY = 24 * 3600 * 1000;
const NOW = Date.now();

/** A small seeded PRNG (mulberry32): the same graph every run. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Graph {
  followers: Map<number, number[]>;
  following: Map<number, number[]>;
  inactive: Set<number>;
}

function skewedGraph(users: number, random: () => number): Graph {
  // Zipf weights over popularity ranks (1/rank), sampled through the cumulative sum.
  const cumulative: number[] = [];
  let total = 0;
  for (let rank = 1; rank <= users; rank++) cumulative.push((total += 1 / rank));
  const pick = () => {
    const x = random() * total;
    let lo = 0;
    let hi = users - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
  const followers = new Map<number, number[]>();
  const following = new Map<number, number[]>();
  const inactive = new Set<number>();
  for (let user = 1; user <= users; user++) {
    if (random() < INACTIVE_SHARE) inactive.add(user);
    const count = Math.floor(10 + random() ** 2 * 190);
    const followed = new Set<number>();
    while (followed.size < count) {
      const target = pick();
      if (target !== user) followed.add(target);
    }
    following.set(user, [...followed]);
    for (const target of followed) {
      let list = followers.get(target);
      if (!list) followers.set(target, (list = []));
      list.push(user);
    }
  }
  return { followers, following, inactive };
}

/** Counts the fanout's feed writes and the writes it avoided; reports nothing else. */
class Counting implements Metrics {
  written = 0;
  skipped = 0;
  readonly #noop = new NoopMetrics();
  onFanout(_feed: string, operation: 'add' | 'remove', count: number): void {
    if (operation === 'add') this.written += count;
  }
  onFanoutSkipped(_feed: string, count: number): void {
    this.skipped += count;
  }
  onFeedRead(): void {}
  onFeedWrite(): void {}
  onFeedRemove(): void {}
  onActivityPublished(): void {}
  onActivityRemoved(): void {}
  onMissingActivities(): void {}
  fanoutTimer(): Timer {
    return this.#noop.fanoutTimer();
  }
  feedReadTimer(): Timer {
    return this.#noop.feedReadTimer();
  }
}

const activityOf = (actor: number, index: number) =>
  new Activity({ actor, verb: Love, object: index, time: NOW - DAY + index * 1000 });

function managerOn(
  storage: StorageBackend,
  graph: Graph,
  skip: boolean,
  metrics: Counting,
  kind: 'flat' | 'aggregated' = 'flat',
) {
  const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
  const aggregated = AggregatedFeed.define({
    name: 'aggregated',
    keyFormat: 'feed:aggregated:{userId}',
    storage,
  });
  const userFeed = Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage });
  const clock = storage.activityClock!({ name: 'bench_users' });
  const manager = new Manager({
    feeds: kind === 'flat' ? { normal } : { aggregated },
    userFeed,
    metrics,
    fanoutChunkSize: 100,
    getFollowerIds: async (userId: UserId) => graph.followers.get(Number(userId)) ?? [],
    ...(skip
      ? {
          inactiveFollowers: {
            clock,
            getFollowingIds: async (userId: UserId) => graph.following.get(Number(userId)) ?? [],
          },
        }
      : {}),
  });
  return { manager, clock, userFeed, normal };
}

/** `uniform`: any user posts; `popular`: the 20 most followed users post (large fanouts). */
type Authors = 'uniform' | 'popular';

async function fanoutRun(
  { storage, serverCpu }: BenchBackend,
  graph: Graph,
  skip: boolean,
  kind: 'flat' | 'aggregated',
  activities: number,
  authors: Authors,
) {
  const metrics = new Counting();
  const { manager, clock } = managerOn(storage, graph, skip, metrics, kind);
  const active: string[] = [];
  const away: string[] = [];
  for (let user = 1; user <= USERS; user++)
    (graph.inactive.has(user) ? away : active).push(String(user));
  for (let i = 0; i < away.length; i += 1000)
    await clock.touch(away.slice(i, i + 1000), NOW - 30 * DAY);
  for (let i = 0; i < active.length; i += 1000)
    await clock.touch(active.slice(i, i + 1000), NOW - DAY);
  const random = prng(7);
  const popular = [...graph.followers]
    .sort((a, b) => b[1].length - a[1].length)
    .slice(0, 20)
    .map(([user]) => user);
  const cpuBefore = await serverCpu?.();
  const start = performance.now();
  for (let i = 0; i < activities; i++) {
    const author =
      authors === 'popular'
        ? popular[Math.floor(random() * popular.length)]!
        : 1 + Math.floor(random() * USERS);
    await manager.addUserActivity(author, activityOf(author, (skip ? 1_000_000 : 0) + i));
  }
  const cpuAfter = await serverCpu?.();
  return {
    ms: performance.now() - start,
    serverCpuMs:
      cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) * 1000,
    written: metrics.written,
    skipped: metrics.skipped,
    perSecond: (activities * 1000) / (performance.now() - start),
  };
}

async function rebuildRun(storage: StorageBackend, graph: Graph) {
  const metrics = new Counting();
  const reader = USERS + 1;
  const followed = Array.from({ length: REBUILD_FOLLOWING }, (_, i) => i + 1);
  const withReader: Graph = {
    ...graph,
    following: new Map([...graph.following, [reader, followed]]),
  };
  const { manager, clock, userFeed, normal } = managerOn(storage, withReader, true, metrics);
  for (const author of followed) {
    const activities = Array.from({ length: REBUILD_ACTIVITIES }, (_, i) =>
      activityOf(author, 2_000_000 + author * 100 + i),
    );
    await userFeed.insertActivities(activities);
    await userFeed.for(author).addMany(activities);
  }
  const times: number[] = [];
  for (let round = 0; round < 5; round++) {
    await clock.touch([String(reader)], NOW - 30 * DAY);
    const start = performance.now();
    const status = await manager.touchUser(reader, NOW);
    times.push(performance.now() - start);
    if (status.status !== 'ready') throw new Error(`rebuild not done: ${JSON.stringify(status)}`);
  }
  const count = await normal.for(reader).count();
  times.sort((a, b) => a - b);
  return { medianMs: times[2]!, feedLength: count };
}

interface BenchBackend {
  storage: StorageBackend;
  /** The server's CPU seconds so far (user + sys), where there is a server. */
  serverCpu?: () => Promise<number>;
  cleanup: () => Promise<void>;
}

async function backendOf(name: string): Promise<BenchBackend> {
  if (name === 'memory') return { storage: memoryStorage(), cleanup: async () => {} };
  const redis = new Redis(REDIS_URL);
  const keyPrefix = `sf-bench-inactive:${randomBytes(4).toString('hex')}:`;
  return {
    storage: redisStorage({ redis, keyPrefix }),
    serverCpu: async () => {
      const info = await redis.info('cpu');
      const field = (name: string) => Number(new RegExp(`${name}:([0-9.]+)`).exec(info)?.[1] ?? 0);
      return field('used_cpu_user') + field('used_cpu_sys');
    },
    cleanup: async () => {
      await deleteKeysWithPrefix(redis, keyPrefix);
      await redis.quit();
    },
  };
}

async function main(): Promise<void> {
  const graph = skewedGraph(USERS, prng(42));
  const edges = [...graph.following.values()].reduce((sum, list) => sum + list.length, 0);
  const top = Math.max(...[...graph.followers.values()].map((list) => list.length));
  console.log(
    `graph: ${USERS} users, ${edges} follows (most followed: ${top}), ${graph.inactive.size} inactive (${Math.round((100 * graph.inactive.size) / USERS)}%); ${ACTIVITIES} activities to a flat feed, ${AGGREGATED_ACTIVITIES} to an aggregated one`,
  );
  console.log(
    'authors: uniform = any user posts (most fanouts are one chunk, so skipping saves writes, not round trips); popular = the 20 most followed post\n' +
      '| backend | feed | authors | fanout | activities | time (ms) | server CPU (ms) | feed writes | writes avoided | activities/s |\n| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  const rebuilds: string[] = [];
  for (const name of BACKENDS) {
    for (const [kind, authors, activities] of [
      ['flat', 'uniform', ACTIVITIES],
      ['flat', 'popular', POPULAR_ACTIVITIES],
      ['aggregated', 'uniform', AGGREGATED_ACTIVITIES],
    ] as const) {
      for (const skip of [false, true]) {
        const backend = await backendOf(name);
        try {
          const run = await fanoutRun(backend, graph, skip, kind, activities, authors);
          const cpu = run.serverCpuMs === undefined ? '-' : run.serverCpuMs.toFixed(0);
          console.log(
            `| ${name} | ${kind} | ${authors} | ${skip ? 'skip inactive' : 'everyone'} | ${activities} | ${run.ms.toFixed(0)} | ${cpu} | ${run.written} | ${run.skipped} | ${run.perSecond.toFixed(0)} |`,
          );
        } finally {
          await backend.cleanup();
        }
      }
    }
    const { storage, cleanup } = await backendOf(name);
    try {
      const rebuild = await rebuildRun(storage, graph);
      rebuilds.push(
        `| ${name} | ${REBUILD_FOLLOWING} | ${REBUILD_FOLLOWING * REBUILD_ACTIVITIES} | ${rebuild.medianMs.toFixed(1)} | ${rebuild.feedLength} |`,
      );
    } finally {
      await cleanup();
    }
  }
  console.log(
    `\nrebuild of a returning user (touchUser, in-process queue; median of 5)\n| backend | following | activities in their user feeds | rebuild (ms) | feed length after |\n| --- | ---: | ---: | ---: | ---: |`,
  );
  for (const line of rebuilds) console.log(line);
}

await main();
