/**
 * Drill 6: the cache of a tiered backend flushed (FLUSHALL) again and again during fanout and
 * reads.
 *
 * Flat feeds on `@sf/storage-tiered`: a PRIVATE redis-server (started here on a free loopback
 * port, no persistence, killed at the end; never the shared Redis) as the cache, kept to
 * `cacheMaxLength` entries per feed, in front of PostgreSQL (SF_DRILL_TIERED_POSTGRES, else
 * SF_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test; a schema of its own,
 * dropped at the end). A Manager fans out (in-process) activities of 20 authors to 1,000 users
 * while readers read pages continuously (newest page, the page after it by id, a page past the
 * cache); the drill sends FLUSHALL to the cache every `flushEveryMs`. It checks that every read
 * answered, in order and with only published activities; then, after the fanout, that every feed
 * holds exactly what the ledger says (0 lost, 0 extra), that reads refill the cache, and that
 * every feed the cache holds equals the durable store's newest entries.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Activity, defineVerb } from '@sf/activity';
import { Feed } from '@sf/feeds';
import type { FlatTimelineItem, TimelineStorage } from '@sf/feeds/backend';
import { Manager } from '@sf/manager';
import { postgresStorage } from '@sf/storage-postgres';
import { redisStorage } from '@sf/storage-redis';
import { tieredStorage } from '@sf/storage-tiered';
import type { TieredEvent } from '@sf/storage-tiered';
import { Redis } from 'ioredis';
import pg from 'pg';
import { drillTable, finishDrill } from './drills/report.js';
import type { DrillResult } from './drills/report.js';

const Post = defineVerb({ id: 51, infinitive: 'post', pastTense: 'posted' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface Drill6Options {
  users?: number;
  authors?: number;
  followersPerAuthor?: number;
  activities?: number;
  readers?: number;
  cacheMaxLength?: number;
  maxLength?: number;
  flushEveryMs?: number;
  /** Pause between two activities of the publisher (ms). */
  paceMs?: number;
  postgresUrl?: string;
}

/** A free loopback port (asked of the kernel, then released). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The drill's own redis-server: loopback only, no persistence. */
async function startPrivateRedis(): Promise<{ port: number; process: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const probe = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 1 });
  probe.on('error', () => undefined); // refused until the server listens
  const until = Date.now() + 20_000;
  for (;;) {
    try {
      await probe.connect();
      await probe.ping();
      break;
    } catch (error) {
      probe.disconnect();
      if (Date.now() > until || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`the drill's redis-server on port ${port} did not start: ${String(error)}`);
      }
      await sleep(100);
    }
  }
  probe.disconnect();
  return { port, process: child };
}

function percentile(sorted: readonly number[], p: number): string {
  if (sorted.length === 0) return 'n/a';
  const value = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  return `${value.toFixed(2)} ms`;
}

/** Deterministic pseudo-random numbers (the graph is the same on every run). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

export async function runDrill6(
  log: (message: string) => void = console.log,
  options: Drill6Options = {},
): Promise<DrillResult> {
  const started = Date.now();
  const users = options.users ?? 1000;
  const authors = options.authors ?? 20;
  const followersPerAuthor = options.followersPerAuthor ?? 200;
  const total = options.activities ?? 400;
  const readers = options.readers ?? 8;
  const cacheMaxLength = options.cacheMaxLength ?? 50;
  const maxLength = options.maxLength ?? 200;
  const flushEveryMs = options.flushEveryMs ?? 2000;
  const paceMs = options.paceMs ?? 20;
  const postgresUrl =
    options.postgresUrl ??
    (process.env.SF_DRILL_TIERED_POSTGRES ||
      process.env.SF_POSTGRES_URL ||
      'postgres://postgres@127.0.0.1:5432/test');
  const result: DrillResult = {
    id: 'drill-6',
    title:
      'tiered feeds: the Redis cache FLUSHALLed repeatedly during fanout and reads (PostgreSQL durable)',
    ok: false,
    figures: [],
    failures: [],
    notes: [],
    durationMs: 0,
  };

  const pool = new pg.Pool({ connectionString: postgresUrl, max: 10 });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
  } catch (error) {
    await pool.end();
    result.skipped = `needs PostgreSQL at ${postgresUrl}: ${String(error)}`;
    result.durationMs = Date.now() - started;
    return result;
  }
  let cacheServer: { port: number; process: ChildProcess };
  try {
    cacheServer = await startPrivateRedis();
  } catch (error) {
    await pool.end();
    result.skipped = `needs redis-server on PATH: ${String(error)}`;
    result.durationMs = Date.now() - started;
    return result;
  }
  log(
    `private cache redis-server on 127.0.0.1:${cacheServer.port}; durable PostgreSQL ${postgresUrl}`,
  );
  const redis = new Redis(cacheServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const admin = new Redis(cacheServer.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  const schema = `sf_drill6_${Date.now().toString(36)}`;
  const durable = postgresStorage({ pool, schema });
  const cache = redisStorage({ redis, activityCache: false });
  // Each read's source, through the metrics callback running in the read's async context.
  const readContext = new AsyncLocalStorage<{ events: TieredEvent[] }>();
  const cacheErrors: string[] = [];
  const storage = tieredStorage({
    cache,
    durable,
    cacheMaxLength,
    metrics: {
      onTieredEvent: (event) => readContext.getStore()?.events.push(event),
    },
    onCacheError: (error) => {
      if (cacheErrors.length < 5) cacheErrors.push(error.message);
    },
  });
  try {
    await durable.sync();
    const home = Feed.define({ name: 'home', keyFormat: 'home:{userId}', maxLength, storage });
    const userFeed = Feed.defineUserFeed({ name: 'user', keyFormat: 'user:{userId}', storage });
    const next = random(5);
    const followers = new Map<number, number[]>();
    const following = new Map<number, number[]>();
    for (let author = 1; author <= authors; author++) {
      const chosen = new Set<number>();
      while (chosen.size < followersPerAuthor) chosen.add(1 + Math.floor(next() * users));
      followers.set(author, [...chosen]);
      for (const user of chosen) following.set(user, [...(following.get(user) ?? []), author]);
    }
    const manager = new Manager({
      feeds: { home },
      userFeed,
      getFollowerIds: async (userId) => followers.get(Number(userId)) ?? [],
    });

    // The ledger: every activity published, by author.
    const ledger = new Map<string, { author: number; activity: Activity }>();
    let publishing = true;
    let flushes = 0;
    const reads = { answered: 0, failed: 0, disordered: 0, unknown: 0 };
    const latency = { hit: [] as number[], durable: [] as number[] };
    const readFailures: string[] = [];

    const publisher = (async () => {
      const base = Date.UTC(2026, 0, 1);
      for (let i = 0; i < total; i++) {
        const author = 1 + (i % authors);
        const activity = new Activity({
          actor: author,
          verb: Post,
          object: 1000 + i,
          time: new Date(base + i * 1000),
          extraContext: { n: i },
        });
        ledger.set(activity.serializationId, { author, activity });
        await manager.addUserActivity(author, activity);
        if (paceMs > 0) await sleep(paceMs);
      }
      publishing = false;
    })();

    const reader = async (seed: number) => {
      const pick = random(seed);
      while (publishing) {
        const user = 1 + Math.floor(pick() * users);
        const feed = home.for(user);
        const kind = pick();
        const store = { events: [] as TieredEvent[] };
        const at = performance.now();
        try {
          const page = await readContext.run(store, async () => {
            if (kind < 0.6) return feed.get({ limit: 25 });
            if (kind < 0.85) {
              const first = await feed.get({ limit: 25 });
              const last = first.at(-1);
              return last
                ? feed.filter({ activityIdLt: last.serializationId }).get({ limit: 25 })
                : first;
            }
            return feed.get({ offset: cacheMaxLength, limit: 25 });
          });
          const ms = performance.now() - at;
          reads.answered++;
          if (store.events.length === 1 && store.events[0] === 'hit') latency.hit.push(ms);
          else if (!store.events.includes('hit')) latency.durable.push(ms);
          for (let i = 1; i < page.length; i++) {
            if (BigInt(page[i - 1]!.serializationId) <= BigInt(page[i]!.serializationId))
              reads.disordered++;
          }
          for (const activity of page) if (!ledger.has(activity.serializationId)) reads.unknown++;
        } catch (error) {
          reads.failed++;
          if (readFailures.length < 5) readFailures.push(String(error));
        }
      }
    };
    const flusher = (async () => {
      while (publishing) {
        await sleep(flushEveryMs);
        if (!publishing) break;
        await admin.flushall();
        flushes++;
        log(`FLUSHALL #${flushes} on the cache (${ledger.size} of ${total} published)`);
      }
    })();
    await Promise.all([
      publisher,
      flusher,
      ...Array.from({ length: readers }, (_, i) => reader(i + 1)),
    ]);
    await storage.settled();
    const statsAfterRun = storage.stats();
    log(`fanout done: ${ledger.size} activities; ${reads.answered} reads during it`);

    // Verify every feed against the ledger (through the tiered backend: cache or durable).
    const all = [...ledger.values()].sort((a, b) =>
      BigInt(b.activity.serializationId) > BigInt(a.activity.serializationId) ? 1 : -1,
    );
    let expectedEntries = 0;
    let lost = 0;
    let extra = 0;
    let misordered = 0;
    const usersToCheck = [...following.keys()];
    for (const user of usersToCheck) {
      const follows = new Set(following.get(user));
      const expected = all
        .filter((entry) => follows.has(entry.author))
        .slice(0, maxLength)
        .map((entry) => entry.activity.serializationId);
      expectedEntries += expected.length;
      const read = (await home.for(user).get({ limit: maxLength })).map((a) => a.serializationId);
      const readSet = new Set(read);
      const expectedSet = new Set(expected);
      const userLost = expected.filter((id) => !readSet.has(id)).length;
      const userExtra = read.filter((id) => !expectedSet.has(id)).length;
      lost += userLost;
      extra += userExtra;
      if (userLost === 0 && userExtra === 0 && read.join() !== expected.join()) misordered++;
    }
    await storage.settled();
    // The cache refilled: read everyone's first page (filled by the check above), compare every
    // feed the cache holds with the durable store's newest entries.
    const cacheTimeline = cache.timelineStorage<FlatTimelineItem>({
      name: 'home',
      kind: 'flat',
      serializer: storage.format.timelineSerializer(),
    }) as Required<TimelineStorage<FlatTimelineItem>>;
    const durableTimeline = durable.timelineStorage<FlatTimelineItem>({
      name: 'home',
      kind: 'flat',
      serializer: storage.format.timelineSerializer(),
    });
    let cached = 0;
    let mismatched = 0;
    for (const user of usersToCheck) {
      const key = home.keyFor(user);
      const page = await cacheTimeline.readCached(key, { offset: 0, limit: null });
      if (!page.complete) continue;
      cached++;
      const newest = await durableTimeline.get(key, { offset: 0, limit: cacheMaxLength });
      if (
        page.items.map((i) => i.serializationId).join() !==
        newest.map((i) => i.serializationId).join()
      )
        mismatched++;
    }
    const before = storage.stats().hit;
    for (const user of usersToCheck.slice(0, 100)) await home.for(user).get({ limit: 25 });
    const hitsAfter = storage.stats().hit - before;

    const stats = storage.stats();
    latency.hit.sort((a, b) => a - b);
    latency.durable.sort((a, b) => a - b);
    result.figures.push(
      ['activities published', ledger.size],
      ['feed entries expected (ledger)', expectedEntries],
      ['FLUSHALL sent to the cache', flushes],
      ['reads during the run', reads.answered + reads.failed],
      ['reads answered', reads.answered],
      ['reads failed', reads.failed],
      ['reads out of order / with unknown activities', `${reads.disordered} / ${reads.unknown}`],
      ['reads from the cache (hits)', statsAfterRun.hit],
      [
        'reads from PostgreSQL (misses + past the cache)',
        statsAfterRun.miss + statsAfterRun['past-cache'],
      ],
      [
        'refills / spoiled by a write / skipped',
        `${statsAfterRun.refill} / ${statsAfterRun['refill-spoiled']} / ${statsAfterRun['refill-skipped']}`,
      ],
      ['cache errors reported', stats['cache-error']],
      [
        'read p50 / p99 from the cache',
        `${percentile(latency.hit, 50)} / ${percentile(latency.hit, 99)}`,
      ],
      [
        'read p50 / p99 from PostgreSQL',
        `${percentile(latency.durable, 50)} / ${percentile(latency.durable, 99)}`,
      ],
      ['entries lost (ledger vs feeds)', lost],
      ['entries extra (ledger vs feeds)', extra],
      ['feeds out of order', misordered],
      ['feeds held by the cache at the end', `${cached} of ${usersToCheck.length}`],
      ['cached feeds differing from PostgreSQL', mismatched],
      ['hits of 100 first pages read after the check', hitsAfter],
    );
    if (reads.failed > 0)
      result.failures.push(`${reads.failed} reads failed: ${readFailures.join('; ')}`);
    if (reads.disordered > 0) result.failures.push(`${reads.disordered} pages out of order`);
    if (reads.unknown > 0) result.failures.push(`${reads.unknown} entries never published`);
    if (lost > 0) result.failures.push(`${lost} feed entries lost against the ledger`);
    if (extra > 0) result.failures.push(`${extra} feed entries not in the ledger`);
    if (misordered > 0) result.failures.push(`${misordered} feeds out of order`);
    if (mismatched > 0) result.failures.push(`${mismatched} cached feeds differ from PostgreSQL`);
    if (flushes === 0) result.failures.push('no FLUSHALL was sent: the run was too short');
    if (hitsAfter === 0) result.failures.push('the cache did not refill: no hits after the run');
    if (cacheErrors.length > 0) result.notes.push(`cache errors: ${cacheErrors.join('; ')}`);
  } finally {
    await storage.settled().catch(() => undefined);
    await cache.close().catch(() => undefined);
    redis.disconnect();
    admin.disconnect();
    cacheServer.process.kill('SIGKILL');
    await durable.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
  return finishDrill(result, started);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runDrill6();
  console.log(drillTable(result));
  process.exitCode = result.ok || result.skipped ? 0 : 1;
}
