import { SfError } from '@sf/activity';
import type { StorageBackend, UserId } from '@sf/feeds';
import { FanoutPriority, InProcessFanoutQueue, Manager } from '@sf/manager';
import type { FollowerIds } from '@sf/manager';
import { memoryStorage } from '@sf/storage-memory';
import type { Redis } from 'ioredis';
import { definePinterestFeeds } from './feeds.js';
import type { PinterestFeeds } from './feeds.js';
import { ObservedQueue, StatsMetrics } from './stats.js';
import type { QueueCounts } from './stats.js';
import { MemoryStore } from './store.js';
import type { DomainStore } from './store.js';

import { ConfigError, defaultConfig } from './config.js';
import type { RuntimeConfig, StorageMode } from './config.js';

// The settings moved to config.ts; they are still imported from here.
export { ConfigError, STORAGE_MODES, configFromEnv, defaultConfig, positiveInt } from './config.js';
export type { CassandraConfig, RuntimeConfig, StorageMode } from './config.js';

export interface QueueStats {
  kind: 'in-process' | 'bullmq';
  /** Where BullMQ keeps the jobs (`Redis`, `PostgreSQL`); unset for the in-process queue. */
  service?: string;
  counts: QueueCounts;
}

/** Everything a process of the app needs: storages, feeds, the domain store and the Manager. */
export interface Runtime {
  readonly config: RuntimeConfig;
  readonly mode: StorageMode;
  /** Human-readable: where feeds live and how fanout runs. */
  readonly describe: { storage: string; queue: string };
  readonly store: DomainStore;
  readonly feeds: PinterestFeeds;
  readonly manager: Manager;
  readonly metrics: StatsMetrics;
  /** The shared Redis client (redis and cassandra modes; never made in memory and postgres modes). */
  readonly redis: Redis | undefined;
  /** True when fanout runs in other processes (BullMQ workers). */
  readonly backgroundFanout: boolean;
  /**
   * Changes on every reset and on close: background work started before (timing a fanout)
   * checks it and drops its result instead of writing into a reset or closed store.
   */
  readonly epoch: number;
  queueStats(): Promise<QueueStats>;
  /** Deletes every feed, activity, domain record and queued job of this runtime. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** What a storage mode gives {@link buildRuntime}. */
export interface RuntimeParts {
  config: RuntimeConfig;
  describe: { storage: string; queue: string };
  store: DomainStore;
  feedStorage: StorageBackend;
  notificationStorage: StorageBackend;
  /**
   * Where the activity clock of SF_INACTIVE_DAYS lives (default: `feedStorage`): a backend whose
   * rebuild events reach the web processes (the end of a rebuild a worker ran is pushed live).
   */
  clockStorage?: StorageBackend;
  redis?: Redis;
  queue: ObservedQueue | import('@sf/manager/bullmq').BullmqFanoutQueue;
  /** Where the BullMQ queue keeps its jobs (default `Redis`). */
  queueService?: string;
  extraReset?: () => Promise<void>;
  extraClose?: () => Promise<void>;
}

export function buildRuntime(parts: RuntimeParts): Runtime {
  const { config, store, queue } = parts;
  const metrics = new StatsMetrics(store);
  const feeds = definePinterestFeeds({
    feeds: parts.feedStorage,
    notifications: parts.notificationStorage,
    metrics,
    loveCounts: (pinIds) => store.loveCounts(pinIds),
  });
  const threshold = config.maxFanoutFollowers;
  const clockStorage = parts.clockStorage ?? parts.feedStorage;
  const clock =
    config.inactiveAfterMs === undefined
      ? undefined
      : clockStorage.activityClock?.({ name: 'pinstream_users' });
  if (config.inactiveAfterMs !== undefined && clock === undefined)
    throw new ConfigError(
      `SF_INACTIVE_DAYS needs a storage with an activity clock (${clockStorage.name} has none)`,
      { path: 'SF_INACTIVE_DAYS', value: config.inactiveAfterMs },
    );
  const manager = new Manager({
    feeds: { normal: feeds.normal, aggregated: feeds.aggregated },
    userFeed: feeds.user,
    queue,
    metrics,
    fanoutChunkSize: config.fanoutChunkSize,
    // Followers away longer than SF_INACTIVE_DAYS are skipped; their home is rebuilt on return.
    ...(clock === undefined || config.inactiveAfterMs === undefined
      ? {}
      : {
          inactiveFollowers: {
            clock,
            after: config.inactiveAfterMs,
            getFollowingIds: (userId: UserId) => store.followingIds(Number(userId)),
          },
        }),
    // Recently active followers first (HIGH), the others after (LOW), as Pinterest does.
    getFollowerIds: async (userId: UserId): Promise<FollowerIds> => {
      const followers = await store.followerIds(Number(userId));
      const active = await store.lastActive(followers);
      const cutoff = Date.now() - config.activeWindowMs;
      const high: number[] = [];
      const low: number[] = [];
      for (const id of followers) ((active.get(id) ?? 0) >= cutoff ? high : low).push(id);
      return { [FanoutPriority.HIGH]: high, [FanoutPriority.LOW]: low };
    },
    ...(threshold === undefined
      ? {}
      : {
          maxFanoutFollowers: threshold,
          getFollowerCount: async (userId: UserId) =>
            (await store.followerCounts([Number(userId)])).get(Number(userId)) ?? 0,
          getPulledAuthorIds: async (readerId: UserId) => {
            const following = await store.followingIds(Number(readerId));
            const counts = await store.followerCounts(following);
            return following.filter((id) => (counts.get(id) ?? 0) > threshold);
          },
        }),
  });
  const isBullmq = !(queue instanceof ObservedQueue);
  let closed: Promise<void> | undefined;
  let epoch = 0;
  return {
    config,
    mode: config.storage,
    describe: parts.describe,
    store,
    feeds,
    manager,
    metrics,
    redis: parts.redis,
    backgroundFanout: isBullmq,
    get epoch() {
      return epoch;
    },
    async queueStats(): Promise<QueueStats> {
      if (queue instanceof ObservedQueue) return { kind: 'in-process', counts: queue.counts() };
      const raw = await queue.counts();
      const counts = {} as QueueCounts;
      for (const [priority, c] of Object.entries(raw) as Array<
        [FanoutPriority, Record<string, number>]
      >) {
        counts[priority] = {
          waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
          completed: c.completed ?? 0,
          failed: c.failed ?? 0,
        };
      }
      return { kind: 'bullmq', service: parts.queueService ?? 'Redis', counts };
    },
    async reset(): Promise<void> {
      epoch++;
      // Pending counters first, or closing would write them back after the reset.
      await metrics.flush();
      await store.clear();
      await parts.extraReset?.();
    },
    close(): Promise<void> {
      closed ??= (async () => {
        epoch++;
        await manager.queue.close();
        await metrics.close();
        await store.close();
        await parts.extraClose?.();
      })();
      return closed;
    },
  };
}

/** The embedded default: memory storage, in-process fanout, nothing else to run. */
function memoryRuntime(config: RuntimeConfig): Runtime {
  // One backend for every feed; a new runtime is a new, empty world (reset only clears the store).
  const storage = memoryStorage();
  return buildRuntime({
    config,
    describe: { storage: 'memory storage (in this process)', queue: 'in-process fanout queue' },
    store: new MemoryStore(),
    feedStorage: storage,
    notificationStorage: storage,
    // Fanouts run before the request that made them answers; rebuilds after (in the background).
    queue: new ObservedQueue(
      new InProcessFanoutQueue({ mode: 'await', concurrency: 4 }),
      new InProcessFanoutQueue({ mode: 'background', concurrency: 2 }),
    ),
  });
}

async function loadRedis(config: RuntimeConfig): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 3 });
  redis.on('error', () => {
    // Reported by the commands that fail; ioredis reconnects by itself.
  });
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    redis.disconnect();
    throw new ConfigError(
      `cannot reach Redis at ${config.redisUrl} (${error instanceof Error ? error.message : String(error)}); start it with scripts/redis-single.sh ensure or set REDIS_URL`,
      { path: 'REDIS_URL', value: config.redisUrl, cause: error },
    );
  }
  return redis;
}

async function sharedRedisParts(config: RuntimeConfig, redis: Redis) {
  const [{ redisStorage, deleteKeysWithPrefix }, { bullmqFanoutQueue }, { RedisStore }] =
    await Promise.all([
      import('@sf/storage-redis'),
      import('@sf/manager/bullmq'),
      import('./redis-store.js'),
    ]);
  const storage = redisStorage({ redis, keyPrefix: config.keyPrefix });
  const store = new RedisStore(redis, `${config.keyPrefix}app:`);
  const queue = bullmqFanoutQueue({ connection: config.redisUrl, prefix: config.queuePrefix });
  return {
    storage,
    store,
    queue,
    extraReset: async () => {
      if (config.keyPrefix) await deleteKeysWithPrefix(redis, config.keyPrefix);
      await queue.obliterate();
    },
  };
}

/** Redis storage, the domain store in Redis, fanout on BullMQ (run workers with `pnpm worker`). */
async function redisRuntime(config: RuntimeConfig): Promise<Runtime> {
  const redis = await loadRedis(config);
  const { storage, store, queue, extraReset } = await sharedRedisParts(config, redis);
  return buildRuntime({
    config,
    describe: {
      storage: `Redis at ${redactUrl(config.redisUrl)} (keys ${config.keyPrefix}*)`,
      queue: `BullMQ (prefix ${config.queuePrefix})`,
    },
    store,
    feedStorage: storage,
    notificationStorage: storage,
    redis,
    queue,
    extraReset,
    extraClose: async () => {
      await redis.quit().catch(() => redis.disconnect());
    },
  });
}

/** Loads the Cassandra backend only in Cassandra mode, so other modes never load its driver. */
async function importCassandra(): Promise<typeof import('@sf/storage-cassandra')> {
  try {
    return await import('@sf/storage-cassandra');
  } catch (error) {
    throw new ConfigError(
      `Cassandra mode needs @sf/storage-cassandra, which could not be loaded: ${
        error instanceof Error ? error.message.split('\n')[0] : String(error)
      }`,
      { path: 'SF_STORAGE', value: 'cassandra', cause: error },
    );
  }
}

/**
 * Cassandra for the flat, aggregated and user feeds; Redis for notifications (marker lists and
 * pub/sub across processes), the activity clock (SF_INACTIVE_DAYS), the domain store and BullMQ.
 */
async function cassandraRuntime(config: RuntimeConfig): Promise<Runtime> {
  const module = await importCassandra();
  const redis = await loadRedis(config);
  const { storage: redisFeeds, store, queue, extraReset } = await sharedRedisParts(config, redis);
  const cassandra = module.cassandraStorage({
    contactPoints: config.cassandra.contactPoints,
    localDataCenter: config.cassandra.localDataCenter,
    keyspace: config.cassandra.keyspace,
    ...(config.cassandra.replication ? { replication: config.cassandra.replication } : {}),
    ...(config.cassandra.consistency ? { consistency: config.cassandra.consistency } : {}),
    keyPrefix: config.keyPrefix,
    connectTimeout: 15_000,
  });
  const runtime = buildRuntime({
    config,
    describe: {
      storage: `Cassandra (keyspace ${config.cassandra.keyspace} at ${config.cassandra.contactPoints.join(', ')}, consistency ${String(cassandra.consistency)}) for home, grouped and user feeds; Redis for notifications`,
      queue: `BullMQ (prefix ${config.queuePrefix})`,
    },
    store,
    feedStorage: cassandra,
    notificationStorage: redisFeeds,
    // Cassandra has no pub/sub: with the clock in Redis, the end of a rebuild a worker ran
    // reaches the web process (Redis pub/sub), as the notification counts do.
    clockStorage: redisFeeds,
    redis,
    queue,
    extraReset: async () => {
      await extraReset();
      // Rows of every key prefix live in the app's keyspace: a reset drops it and creates it again.
      await cassandra.dropKeyspace();
      await cassandra.syncSchema();
    },
    extraClose: async () => {
      await cassandra.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  });
  try {
    // The tables of the feed definitions made above (it never drops or changes what exists).
    await cassandra.syncSchema();
  } catch (error) {
    await runtime.close().catch(() => undefined);
    throw new ConfigError(
      `cannot set up Cassandra at ${config.cassandra.contactPoints.join(', ')} (${
        error instanceof Error ? error.message.split('\n')[0] : String(error)
      }); start it with scripts/cassandra.sh start or set CASSANDRA_CONTACT_POINTS`,
      { path: 'CASSANDRA_CONTACT_POINTS', value: config.cassandra.contactPoints, cause: error },
    );
  }
  return runtime;
}

export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Builds the runtime of a storage mode. */
export async function createRuntime(overrides: Partial<RuntimeConfig> = {}): Promise<Runtime> {
  const config: RuntimeConfig = { ...defaultConfig, ...overrides };
  switch (config.storage) {
    case 'memory':
      return memoryRuntime(config);
    case 'redis':
      return redisRuntime(config);
    case 'cassandra':
      return cassandraRuntime(config);
    case 'postgres':
      // Loaded only in postgres mode: the other modes never load pg.
      return (await import('./runtime-postgres.js')).postgresRuntime(config, buildRuntime);
    default:
      throw new SfError(
        'SF_INVALID_OPTION',
        `unknown storage mode ${JSON.stringify(config.storage)}`,
      );
  }
}
