/**
 * The app every drill process builds: the producer, the worker processes (through
 * `sf-fanout-worker` with SF_MANAGER_MODULE pointing here) and the verifier. Configured from the
 * environment, so each process of a drill builds the same feeds on the same prefixes:
 *
 *   SF_DRILL_STORAGE      redis | cluster | cassandra | postgres (where the feeds live)
 *   SF_DRILL_FEEDS_URL    redis:// URL of the feeds (storage redis), postgres:// URL (storage postgres)
 *   SF_DRILL_CLUSTER      host:port,... startup nodes (storage cluster)
 *   SF_DRILL_CASSANDRA    host:port,... contact points (storage cassandra)
 *   SF_DRILL_KEYSPACE     the keyspace (storage cassandra) or schema (storage postgres)
 *   SF_KEY_PREFIX         prefix of every feed key
 *   SF_QUEUE_BACKEND      redis (default) | postgres: where the BullMQ queue lives
 *   REDIS_URL             redis:// URL of the BullMQ queue (always a single Redis of its own)
 *   SF_QUEUE_PREFIX       BullMQ prefix (Redis)
 *   SF_QUEUE_POSTGRES_URL postgres:// URL of the queue; SF_QUEUE_SCHEMA its schema (PostgreSQL)
 *   SF_DRILL_FEEDS        flat | flat,aggregated
 *   SF_DRILL_GRAPH        JSON GraphSpec (authors and followers)
 *   SF_CHUNK              followers per fanout job
 *   SF_DRILL_ATTEMPTS, SF_DRILL_BACKOFF_MS   job retries (fixed backoff)
 */
import { createRequire } from 'node:module';
import { AggregatedFeed, Feed } from '@sf/feeds';
import type { AggregatedFeedDefinition, FeedDefinition, StorageBackend, UserId } from '@sf/feeds';
import { Manager } from '@sf/manager';
import { bullmqFanoutQueue } from '@sf/manager/bullmq';
import type { BullmqFanoutQueueOptions } from '@sf/manager/bullmq';
import { managerAppModule } from '@sf/manager/testing';
import { cassandraStorage } from '@sf/storage-cassandra';
import { postgresStorage } from '@sf/storage-postgres';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { followersOf } from './graph.js';
import type { GraphSpec } from './graph.js';

export type StorageKind = 'redis' | 'cluster' | 'cassandra' | 'postgres';
/** Where the BullMQ queue lives. */
export type QueueKind = 'redis' | 'postgres';
export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface DrillAppConfig {
  storage: StorageKind;
  feedsUrl: string;
  clusterNodes: string;
  cassandraContactPoints: string;
  /** Copies of each row in the drill's keyspace (default 1; 3 on a cluster: QUORUM then). */
  cassandraReplicationFactor?: number;
  keyspace: string;
  keyPrefix: string;
  /** Where the queue lives (default redis, at queueUrl). */
  queueBackend?: QueueKind;
  queueUrl: string;
  /** The queue's PostgreSQL URL (queueBackend postgres). */
  queuePostgresUrl?: string;
  /** The queue's namespace: BullMQ's key prefix on Redis, its schema on PostgreSQL. */
  queuePrefix: string;
  feeds: Array<'flat' | 'aggregated'>;
  graph: GraphSpec;
  chunkSize: number;
  attempts: number;
  backoffMs: number;
}

export function configFromEnv(
  env: Record<string, string | undefined> = process.env,
): DrillAppConfig {
  return {
    storage: (env.SF_DRILL_STORAGE as StorageKind | undefined) ?? 'redis',
    feedsUrl: env.SF_DRILL_FEEDS_URL || 'redis://127.0.0.1:6379',
    clusterNodes: env.SF_DRILL_CLUSTER || '',
    cassandraContactPoints: env.SF_DRILL_CASSANDRA || '127.0.0.1:9042',
    cassandraReplicationFactor: Number(env.SF_DRILL_CASSANDRA_RF || 1),
    keyspace: env.SF_DRILL_KEYSPACE || 'sf_drill',
    keyPrefix: env.SF_KEY_PREFIX || 'sf-drill:',
    queueBackend: env.SF_QUEUE_BACKEND === 'postgres' ? 'postgres' : 'redis',
    queueUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    queuePostgresUrl: env.SF_QUEUE_POSTGRES_URL || env.SF_POSTGRES_URL || DEFAULT_POSTGRES_URL,
    queuePrefix:
      (env.SF_QUEUE_BACKEND === 'postgres' ? env.SF_QUEUE_SCHEMA : env.SF_QUEUE_PREFIX) ||
      'sf-drill-bull',
    feeds: (env.SF_DRILL_FEEDS || 'flat').split(',') as Array<'flat' | 'aggregated'>,
    graph: JSON.parse(env.SF_DRILL_GRAPH || '{"authors":[],"users":1}') as GraphSpec,
    chunkSize: Number(env.SF_CHUNK || 250),
    attempts: Number(env.SF_DRILL_ATTEMPTS || 60),
    backoffMs: Number(env.SF_DRILL_BACKOFF_MS || 500),
  };
}

/** The environment that makes another process build the same app. */
export function envOf(config: DrillAppConfig): Record<string, string> {
  return {
    SF_DRILL_STORAGE: config.storage,
    SF_DRILL_FEEDS_URL: config.feedsUrl,
    SF_DRILL_CLUSTER: config.clusterNodes,
    SF_DRILL_CASSANDRA: config.cassandraContactPoints,
    SF_DRILL_CASSANDRA_RF: String(config.cassandraReplicationFactor ?? 1),
    SF_DRILL_KEYSPACE: config.keyspace,
    SF_KEY_PREFIX: config.keyPrefix,
    REDIS_URL: config.queueUrl,
    ...(config.queueBackend === 'postgres'
      ? {
          SF_QUEUE_BACKEND: 'postgres',
          SF_QUEUE_POSTGRES_URL: config.queuePostgresUrl ?? DEFAULT_POSTGRES_URL,
          SF_QUEUE_SCHEMA: config.queuePrefix,
        }
      : { SF_QUEUE_PREFIX: config.queuePrefix }),
    SF_DRILL_FEEDS: config.feeds.join(','),
    SF_DRILL_GRAPH: JSON.stringify(config.graph),
    SF_CHUNK: String(config.chunkSize),
    SF_DRILL_ATTEMPTS: String(config.attempts),
    SF_DRILL_BACKOFF_MS: String(config.backoffMs),
  };
}

/** Where the drill's queue lives, as `bullmqFanoutQueue` takes it. */
export function queueLocation(
  config: DrillAppConfig,
): Pick<BullmqFanoutQueueOptions, 'backend' | 'connection' | 'prefix'> {
  if (config.queueBackend !== 'postgres')
    return { connection: config.queueUrl, prefix: config.queuePrefix };
  return {
    backend: {
      type: 'postgres',
      connectionString: config.queuePostgresUrl ?? DEFAULT_POSTGRES_URL,
      schema: config.queuePrefix,
    },
  };
}

/** Deletes the queue's namespace: its keys on Redis, its schema on PostgreSQL. */
export async function deleteQueueData(config: DrillAppConfig): Promise<void> {
  if (config.queueBackend === 'postgres') {
    const client = new pg.Client({
      connectionString: config.queuePostgresUrl ?? DEFAULT_POSTGRES_URL,
    });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS "${config.queuePrefix}" CASCADE`);
    } finally {
      await client.end();
    }
    return;
  }
  const redis = new Redis(config.queueUrl);
  try {
    await deleteKeysWithPrefix(redis, `${config.queuePrefix}:`);
  } finally {
    await redis.quit();
  }
}

function startupNodes(list: string) {
  return list.split(',').map((node) => {
    const [host, port] = node.trim().split(':');
    return { host: host!, port: Number(port) };
  });
}

/**
 * One reconnection attempt per second (the driver's default backs off exponentially up to 10
 * minutes, so after a restart it may not look again for a minute). The policy class must come
 * from the same cassandra-driver copy as the storage's (the driver checks `instanceof`).
 */
function everySecond(): unknown {
  const fromStorage = createRequire(
    createRequire(import.meta.url).resolve('@sf/storage-cassandra/package.json'),
  );
  const driver = fromStorage('cassandra-driver') as {
    policies: { reconnection: { ConstantReconnectionPolicy: new (delay: number) => unknown } };
  };
  return new driver.policies.reconnection.ConstantReconnectionPolicy(1000);
}

export function buildStorage(config: DrillAppConfig): {
  storage: StorageBackend;
  close: () => Promise<void>;
  redis?: Redis | Cluster;
} {
  if (config.storage === 'postgres') {
    // Its own pool (ended by close); the drill's tables are created (sync) before any traffic.
    const storage = postgresStorage({ connectionString: config.feedsUrl, schema: config.keyspace });
    return { storage, close: () => storage.close() };
  }
  if (config.storage === 'cassandra') {
    const storage = cassandraStorage({
      contactPoints: config.cassandraContactPoints.split(','),
      keyspace: config.keyspace,
      keyPrefix: config.keyPrefix,
      // More than one copy: the storage reads and writes at QUORUM.
      replication: {
        class: 'SimpleStrategy',
        replication_factor: config.cassandraReplicationFactor ?? 1,
      },
      autoSchema: true,
      requestTimeout: 5000,
      driverOptions: { policies: { reconnection: everySecond() } } as never,
    });
    return { storage, close: () => storage.close() };
  }
  const redis =
    config.storage === 'cluster'
      ? // No enableAutoPipelining: ioredis then batches commands per node and does not follow
        // MOVED after a failover (redis/ioredis#2075); drill 1 hit exactly that.
        new Cluster(startupNodes(config.clusterNodes), {
          redisOptions: { maxRetriesPerRequest: 1 },
        })
      : new Redis(config.feedsUrl, { maxRetriesPerRequest: 1 });
  // Connection errors during a failover are expected; the jobs that hit them are retried.
  redis.on('error', () => undefined);
  const events = process.env.SF_DRILL_CLIENT_EVENTS === '1' ? watchClient(redis) : undefined;
  const storage = redisStorage({ redis, keyPrefix: config.keyPrefix });
  return {
    storage,
    redis,
    close: async () => {
      events?.summary();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

/** How many slots the client maps to each node (the first node of each slot's entry). */
export function slotOwners(cluster: Cluster): Record<string, number> {
  const owners: Record<string, number> = {};
  for (let slot = 0; slot < 16384; slot++) {
    const owner = cluster.slots[slot]?.[0] ?? 'none';
    owners[owner] = (owners[owner] ?? 0) + 1;
  }
  return owners;
}

/** What a worker's Redis client reports at the end (`{"event":"redis-client-summary",...}`). */
export interface ClientSummary {
  /** Successful slot-map refreshes (CLUSTER SLOTS) and when the last one happened. */
  refreshes: number;
  lastRefresh: string | null;
  /** The client's slot map at the end: slots per node. */
  owners: Record<string, number>;
  /** The nodes of the client's connection pool at the end. */
  pool: { masters: string[]; replicas: string[] };
  /** Connection events (`-node`, `+node`, `node error` per node and message), counted. */
  events: Array<{ what: string; count: number; first: string; last: string }>;
}

/**
 * Prints the client's connection events and slot-map refreshes as JSON lines on stdout (worker
 * processes of the drills, SF_DRILL_CLIENT_EVENTS=1): each slot-map change at once, connection
 * events the first time each kind happens, and a summary with counts when the app closes. It
 * shows whether and when a worker's client noticed a failover.
 */
function watchClient(redis: Redis | Cluster): { summary(): void } {
  const print = (event: string, fields: Record<string, unknown>) =>
    console.log(JSON.stringify({ event, at: new Date().toISOString(), ...fields }));
  const counts = new Map<string, { what: string; count: number; first: string; last: string }>();
  const count = (what: string) => {
    const at = new Date().toISOString();
    const known = counts.get(what);
    if (known) {
      known.count++;
      known.last = at;
      return;
    }
    counts.set(what, { what, count: 1, first: at, last: at });
    print('redis-client', { what });
  };
  const key = (node: Redis) => `${node.options.host}:${node.options.port}`;
  const cluster = redis instanceof Cluster ? redis : undefined;
  let refreshes = 0;
  let lastRefresh: string | null = null;
  let lastOwners = '';
  if (cluster) {
    cluster.on('refresh', () => {
      refreshes++;
      lastRefresh = new Date().toISOString();
      const owners = slotOwners(cluster);
      const text = JSON.stringify(owners);
      if (text !== lastOwners) {
        lastOwners = text;
        print('redis-client', { what: 'slot map changed', owners });
      }
    });
    cluster.on('+node', (node: Redis) => count(`+node ${key(node)}`));
    cluster.on('-node', (node: Redis) => count(`-node ${key(node)}`));
    cluster.on('node error', (error: Error, node: string) =>
      count(`node error ${node}: ${error.message}`),
    );
  }
  for (const status of ['ready', 'close', 'reconnecting', 'end'])
    redis.on(status, () => count(`status ${status}`));
  redis.on('error', (error: Error) => count(`error: ${error.message}`));
  return {
    summary() {
      const summary: ClientSummary = {
        refreshes,
        lastRefresh,
        owners: cluster ? slotOwners(cluster) : {},
        pool: cluster
          ? { masters: cluster.nodes('master').map(key), replicas: cluster.nodes('slave').map(key) }
          : { masters: [], replicas: [] },
        events: [...counts.values()],
      };
      print('redis-client-summary', { ...summary });
    },
  };
}

export interface DrillApp {
  config: DrillAppConfig;
  storage: StorageBackend;
  redis: Redis | Cluster | undefined;
  feeds: { flat: FeedDefinition; aggregated?: AggregatedFeedDefinition };
  userFeed: FeedDefinition;
  queue: ReturnType<typeof bullmqFanoutQueue>;
  manager: Manager;
  close(): Promise<void>;
}

export function buildApp(config: DrillAppConfig): DrillApp {
  const { storage, close: closeStorage, redis } = buildStorage(config);
  // Long enough that nothing is trimmed: the drills count every write.
  const maxLength = 10_000;
  const feeds: DrillApp['feeds'] = {
    flat: Feed.define({ name: 'drill_flat', keyFormat: 'drill:flat:{userId}', storage, maxLength }),
  };
  if (config.feeds.includes('aggregated')) {
    feeds.aggregated = AggregatedFeed.define({
      name: 'drill_aggregated',
      keyFormat: 'drill:aggregated:{userId}',
      storage,
      maxLength: 100,
    });
  }
  const userFeed = Feed.defineUserFeed({
    name: 'drill_user',
    keyFormat: 'drill:user:{userId}',
    storage,
  });
  const queue = bullmqFanoutQueue({
    ...queueLocation(config),
    jobOptions: {
      attempts: config.attempts,
      backoff: { type: 'fixed', delay: config.backoffMs },
      // Kept, so the drill can count retries and stalls; deleted with the prefix afterwards.
      removeOnComplete: false,
      removeOnFail: false,
    },
    waitPollInterval: 200,
  });
  const manager = new Manager({
    feeds: feeds,
    userFeed,
    queue,
    fanoutChunkSize: config.chunkSize,
    getFollowerIds: async (userId: UserId) => followersOf(config.graph, Number(userId)),
  });
  return {
    config,
    storage,
    redis,
    feeds,
    userFeed,
    queue,
    manager,
    close: async () => {
      await queue.close();
      await closeStorage();
    },
  };
}

/** Deletes everything the drill wrote to the feeds' storage (keys under the prefix, the keyspace or the schema). */
export async function deleteFeedData(app: DrillApp): Promise<void> {
  if (app.config.storage === 'postgres') {
    await dropSchema(app.config.feedsUrl, app.config.keyspace);
    return;
  }
  if (app.config.storage === 'cassandra') {
    await (app.storage as unknown as { dropKeyspace(): Promise<void> }).dropKeyspace();
    return;
  }
  await deleteKeysWithPrefix(app.redis!, app.config.keyPrefix);
}

/** What `sf-fanout-worker` calls (SF_MANAGER_MODULE). */
export const { createManager, closeManager } = managerAppModule(() => buildApp(configFromEnv()));

/** Drops a PostgreSQL schema the drill made (its feeds' tables, or BullMQ's). */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
