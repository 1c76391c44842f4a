/**
 * The postgres mode: feeds (@sf/storage-postgres), the domain store (postgres-store.ts) and the
 * fanout jobs (BullMQ's PostgreSQL backend) in one PostgreSQL, nothing else. Loaded by
 * createRuntime only in this mode, so the other modes never load `pg`; this mode never loads
 * ioredis's connection (no Redis client is made).
 */
import pg from 'pg';
import { ConfigError } from './config.js';
import type { RuntimeConfig } from './config.js';
import { PostgresStore } from './postgres-store.js';
import { redactUrl } from './runtime.js';
import type { Runtime, RuntimeParts } from './runtime.js';
import type { StorageBackend } from '@sf/feeds';

/** The schema of the fanout jobs: BullMQ keeps its tables apart from the app's and the feeds'. */
export function queueSchemaOf(schema: string): string {
  return `${schema}_queue`;
}

function reachError(config: RuntimeConfig, error: unknown, what = 'reach'): ConfigError {
  // The driver's own words (a StorageUnavailableError wraps them).
  const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return new ConfigError(
    `cannot ${what} PostgreSQL at ${redactUrl(config.postgres.url)} (${
      reason instanceof Error ? reason.message.split('\n')[0] : String(reason)
    }); start it with scripts/postgres.sh start or set SF_POSTGRES_URL`,
    { path: 'SF_POSTGRES_URL', value: redactUrl(config.postgres.url), cause: error },
  );
}

/**
 * SF_FEED_CACHE=redis: a Redis cache (`@sf/storage-tiered`) in front of the PostgreSQL feeds.
 * Every process (web, workers, seed) must use it, so that each fanout write reaches the cache.
 */
async function redisFeedCache(config: RuntimeConfig, durable: StorageBackend) {
  const [{ Redis }, { deleteKeysWithPrefix, redisStorage }, { tieredStorage }] = await Promise.all([
    import('ioredis'),
    import('@sf/storage-redis'),
    import('@sf/storage-tiered'),
  ]);
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 1 });
  redis.on('error', () => {
    // reported by the tiered backend's onCacheError; reads go to PostgreSQL meanwhile
  });
  const keyPrefix = `${config.keyPrefix}cache:`;
  const cache = redisStorage({ redis, keyPrefix });
  let warned = 0;
  const storage = tieredStorage({
    cache,
    durable,
    cacheMaxLength: 100,
    onCacheError: (error) => {
      if (warned++ < 10) console.warn(`feed cache: ${error.message}`);
    },
  });
  return {
    storage,
    reset: () => deleteKeysWithPrefix(redis, keyPrefix),
    close: async () => {
      await storage.settled();
      await cache.close();
      await redis.quit().catch(() => undefined);
    },
  };
}

export async function postgresRuntime(
  config: RuntimeConfig,
  build: (parts: RuntimeParts) => Runtime,
): Promise<Runtime> {
  const { url, schema } = config.postgres;
  // One pool for the domain store and the feeds; BullMQ and the LISTEN of count events have their own.
  const pool = new pg.Pool({ connectionString: url, max: 10 });
  pool.on('error', () => {
    // An idle client lost its connection: the next query reports it.
  });
  const [{ postgresStorage }, { bullmqFanoutQueue }] = await Promise.all([
    import('@sf/storage-postgres'),
    import('@sf/manager/bullmq'),
  ]);
  let store: PostgresStore;
  try {
    store = await PostgresStore.open({ pool, schema });
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw error instanceof ConfigError ? error : reachError(config, error);
  }
  const storage = postgresStorage({ pool, schema });
  const cache =
    config.postgres.feedCache === 'redis' ? await redisFeedCache(config, storage) : null;
  const queueSchema = queueSchemaOf(schema);
  const queue = bullmqFanoutQueue({
    backend: { type: 'postgres', connectionString: url, schema: queueSchema },
  });
  const runtime = build({
    config,
    describe: {
      storage: `PostgreSQL at ${redactUrl(url)} (schema ${schema}: feeds, people, boards and pins)${
        cache
          ? `; the flat feeds' newest ${cache.storage.cacheMaxLength} entries cached in Redis at ${redactUrl(config.redisUrl)}`
          : ''
      }`,
      queue: `BullMQ on PostgreSQL (schema ${queueSchema})`,
    },
    store,
    feedStorage: cache?.storage ?? storage,
    notificationStorage: storage,
    queue,
    queueService: 'PostgreSQL',
    extraReset: async () => {
      // The feeds' tables are the backend's: drop the schema, then make the tables again.
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await cache?.reset();
      await store.sync();
      await storage.sync();
      await queue.obliterate();
    },
    extraClose: async () => {
      await cache?.close();
      await storage.close();
      await pool.end();
    },
  });
  try {
    await storage.sync();
  } catch (error) {
    await runtime.close().catch(() => undefined);
    throw reachError(config, error, 'set up the feeds in');
  }
  return runtime;
}
