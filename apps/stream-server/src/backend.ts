import type { StorageBackend } from '@sf/feeds';
import { jsonFormat } from '@sf/serializers';
import type { CassandraStorage } from '@sf/storage-cassandra';
import { memoryStorage } from '@sf/storage-memory';
import { postgresStorage } from '@sf/storage-postgres';
import type { PostgresStorage } from '@sf/storage-postgres';
import { redisStorage } from '@sf/storage-redis';
import { tieredStorage } from '@sf/storage-tiered';
import type { TieredStorage } from '@sf/storage-tiered';
import { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import type { CassandraStorageConfig, ServerConfig } from './config.js';
import { feedSchema } from './config/storage.js';
import { Verbs } from './feeds/activity-json.js';
import { MemoryFollowStore, RedisFollowStore } from './feeds/follow-store.js';
import type { FollowStore } from './feeds/follow-store.js';
import { PostgresFollowStore } from './feeds/postgres-follow-store.js';
import { TenantFeeds } from './feeds/tenant-feeds.js';
import { memoryItemStore } from './items/memory-store.js';
import { postgresItemStore } from './items/postgres-store.js';
import { redisItemStore } from './items/redis-store.js';
import type { RedisClient } from './items/redis-store.js';
import type { ItemStore, TenantItemStore } from './items/store.js';
import { createPool, createSchema, postgresCall } from './postgres-state.js';

/** Everything of one tenant. */
export interface Tenant {
  id: string;
  items: TenantItemStore;
  /** Null when the config defines no feeds. */
  feeds: TenantFeeds | null;
}

export interface BackendOptions {
  config: ServerConfig;
  /** A Redis client to use instead of connecting to the configured URL (closed by the caller). */
  redis?: RedisClient;
  onFanoutError?: (error: unknown) => void;
  /** Errors of idle PostgreSQL connections (logged; the pool replaces the connection). */
  onPostgresError?: (error: Error) => void;
}

/**
 * The storage of every tenant: items, feeds and follow graphs on memory, Redis or PostgreSQL,
 * or feeds on Cassandra with items and follows on Redis.
 * With Redis, tenant `t` owns `<prefix>{t}:items:*` (its items, in one cluster slot),
 * `<prefix>t:feeds:*` (its feeds, activities and markers) and `<prefix>t:graph:*` (its
 * follows); tenant ids have neither `:` nor braces, so no tenant's keys can fall under another's
 * prefix. With PostgreSQL, every row of the configured schema has the tenant id first in its key.
 * With Cassandra, tenant `t`'s feed rows (and markers, locks, activity clock) have keys starting
 * with `<prefix>t:feeds:`, in tables shared by the tenants (one per feed name).
 */
export class Backend {
  readonly config: ServerConfig;
  readonly items: ItemStore;
  readonly verbs: Verbs;
  readonly redis: RedisClient | null;
  readonly postgres: pg.Pool | null;
  readonly #ownsRedis: boolean;
  readonly #tenants = new Map<string, Tenant>();
  /**
   * PostgreSQL: each configured tenant's feed storage (its own schema); Cassandra: each tenant's
   * (its own key prefix). Made ready by start().
   */
  readonly #feedStorages = new Map<string, PostgresStorage | CassandraStorage>();
  /** PostgreSQL with `feedCache`: each tenant's Redis cache in front of its feed storage. */
  readonly #tieredStorages = new Map<string, TieredStorage>();
  #cacheRedis: Redis | null = null;
  /** Cassandra: a query through the first tenant's client (health checks). */
  #cassandraProbe: (() => Promise<void>) | null = null;
  readonly #onFanoutError: (error: unknown) => void;

  constructor(options: BackendOptions) {
    const { config } = options;
    this.config = config;
    this.verbs = new Verbs(config.verbs);
    this.#onFanoutError =
      options.onFanoutError ?? ((error) => console.error('fanout failed:', error));
    if (config.storage.type === 'redis') {
      const storage = config.storage;
      this.#ownsRedis = !options.redis;
      this.redis = options.redis ?? connect(storage.url, storage.clusterNodes);
      this.postgres = null;
      this.items = redisItemStore({ redis: this.redis, keyPrefix: storage.keyPrefix ?? '' });
    } else if (config.storage.type === 'cassandra') {
      // Items and follows in Redis (small, indexed records), feeds in Cassandra (start()).
      const storage = config.storage;
      this.#ownsRedis = !options.redis;
      this.redis = options.redis ?? connect(storage.redis.url, storage.redis.clusterNodes);
      this.postgres = null;
      this.items = redisItemStore({ redis: this.redis, keyPrefix: storage.keyPrefix });
    } else if (config.storage.type === 'postgres') {
      const storage = config.storage;
      this.#ownsRedis = false;
      this.redis = null;
      this.postgres = createPool({
        url: storage.url,
        poolSize: storage.poolSize,
        onError: options.onPostgresError ?? ((error) => console.error('PostgreSQL:', error)),
      });
      this.items = postgresItemStore({ db: this.postgres, schema: this.#schema() });
    } else {
      this.#ownsRedis = false;
      this.redis = null;
      this.postgres = null;
      this.items = memoryItemStore();
    }
  }

  /**
   * Prepares the storage. On PostgreSQL: creates the schema's tables and indexes if missing and,
   * when feeds are configured, each tenant's feed schema (@sf/storage-postgres's migrations).
   * Tenants come from the config (file and environment) only, so all are known here.
   */
  async start(): Promise<void> {
    if (this.config.storage.type === 'cassandra') return this.#startCassandra(this.config.storage);
    const pool = this.postgres;
    if (!pool) return;
    await createSchema(pool, this.#schema());
    if (this.config.feeds.length === 0) return;
    const format = jsonFormat({ verbRegistry: this.verbs.registry });
    for (const tenant of this.config.tenants) {
      const storage = postgresStorage({
        pool,
        schema: feedSchema(this.#schema(), tenant.id),
        format,
      });
      this.#feedStorages.set(tenant.id, storage);
      await storage.sync();
      const cache =
        this.config.storage.type === 'postgres' ? this.config.storage.feedCache : undefined;
      if (cache) {
        this.#cacheRedis ??= connect(cache.url, undefined) as Redis;
        this.#tieredStorages.set(
          tenant.id,
          tieredStorage({
            cache: redisStorage({
              redis: this.#cacheRedis,
              keyPrefix: `${cache.keyPrefix ?? 'sf:stream:cache:'}${tenant.id}:feeds:`,
              format,
            }),
            durable: storage,
            cacheMaxLength: cache.maxLength ?? 100,
            onCacheError: (error) => console.error('feed cache:', error.message),
          }),
        );
      }
    }
  }

  /**
   * Cassandra: one storage per configured tenant (a key prefix of its own; each has its own
   * driver client, as a storage reconnects its client after a failed connect), every tenant's
   * feeds defined on it, then the keyspace and the tables created if missing. The tables are
   * named after the feeds, the same for every tenant, so one tenant's storage creates them all.
   */
  async #startCassandra(config: CassandraStorageConfig): Promise<void> {
    if (this.config.feeds.length === 0) return;
    // Loaded in this mode only: the other storages never load the Cassandra driver.
    const { cassandraStorage } = await import('@sf/storage-cassandra');
    const format = jsonFormat({ verbRegistry: this.verbs.registry });
    for (const tenant of this.config.tenants) {
      this.#feedStorages.set(
        tenant.id,
        cassandraStorage({
          contactPoints: config.contactPoints,
          localDataCenter: config.localDataCenter,
          keyspace: config.keyspace,
          replication: config.replication,
          ...(config.consistency ? { consistency: config.consistency } : {}),
          keyPrefix: `${config.keyPrefix}${tenant.id}:feeds:`,
          format,
          // Actor, object and target ids up to Number.MAX_SAFE_INTEGER, as the other storages take.
          idType: 'bigint',
        }),
      );
      this.tenant(tenant.id);
    }
    const first = this.#feedStorages.values().next().value as CassandraStorage | undefined;
    if (!first) return;
    await first.syncSchema();
    this.#cassandraProbe = async () => {
      await first.client.execute('SELECT release_version FROM system.local', [], {
        readTimeout: 5000,
      });
    };
  }

  #schema(): string {
    return this.config.storage.type === 'postgres' ? (this.config.storage.schema ?? '') : '';
  }

  get storageName(): 'memory' | 'redis' | 'postgres' | 'cassandra' {
    return this.config.storage.type;
  }

  #prefix(): string {
    const storage = this.config.storage;
    return storage.type === 'redis' || storage.type === 'cassandra'
      ? (storage.keyPrefix ?? '')
      : '';
  }

  /** The tenant's stores (created on first use). Callers pass authenticated tenant ids only. */
  tenant(id: string): Tenant {
    let tenant = this.#tenants.get(id);
    if (tenant) return tenant;
    let feeds: TenantFeeds | null = null;
    if (this.config.feeds.length > 0) {
      const format = jsonFormat({ verbRegistry: this.verbs.registry });
      let storage: StorageBackend;
      let follows: FollowStore;
      if (this.config.storage.type === 'cassandra') {
        const prepared = this.#feedStorages.get(id);
        // Authenticated tenant ids are configured ones, prepared by start().
        if (!prepared) throw new Error(`tenant ${id} has no feed storage: was start() called?`);
        storage = prepared;
        follows = new RedisFollowStore(this.redis!, `${this.#prefix()}${id}:graph:`);
      } else if (this.redis) {
        storage = redisStorage({
          redis: this.redis,
          keyPrefix: `${this.#prefix()}${id}:feeds:`,
          format,
        });
        follows = new RedisFollowStore(this.redis, `${this.#prefix()}${id}:graph:`);
      } else if (this.postgres) {
        const prepared = this.#feedStorages.get(id);
        // Authenticated tenant ids are configured ones, prepared by start().
        if (!prepared) throw new Error(`tenant ${id} has no feed storage: was start() called?`);
        storage = this.#tieredStorages.get(id) ?? prepared;
        follows = new PostgresFollowStore(this.postgres, this.#schema(), id);
      } else {
        storage = memoryStorage({ format });
        follows = new MemoryFollowStore();
      }
      feeds = new TenantFeeds({
        feeds: this.config.feeds,
        storage,
        follows,
        verbs: this.verbs,
        fanout: this.config.fanout,
        onFanoutError: this.#onFanoutError,
        inactiveFollowers: this.config.inactiveFollowers,
      });
    }
    tenant = { id, items: this.items.forTenant(id), feeds };
    this.#tenants.set(id, tenant);
    return tenant;
  }

  /** Throws when the storage does not answer. */
  async ping(): Promise<void> {
    if (this.redis) await this.redis.ping();
    await this.#cassandraProbe?.();
    const pool = this.postgres;
    if (pool) await postgresCall('ping', () => pool.query('SELECT 1'));
  }

  async close(): Promise<void> {
    await Promise.all([...this.#tenants.values()].map(async (tenant) => tenant.feeds?.close()));
    this.#tenants.clear();
    await Promise.all(
      [...this.#tieredStorages.values()].map(async (storage) => {
        await storage.settled();
        await (storage.cache as ReturnType<typeof redisStorage>).close();
      }),
    );
    this.#tieredStorages.clear();
    await this.#cacheRedis?.quit().catch(() => undefined);
    this.#cacheRedis = null;
    await Promise.all([...this.#feedStorages.values()].map(async (storage) => storage.close()));
    this.#feedStorages.clear();
    await this.items.close();
    if (this.redis && this.#ownsRedis) await this.redis.quit().catch(() => undefined);
    if (this.postgres) await this.postgres.end().catch(() => undefined);
  }
}

function connect(url: string | undefined, clusterNodes: string[] | undefined): RedisClient {
  const options = {
    maxRetriesPerRequest: 2,
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  if (clusterNodes && clusterNodes.length > 0) {
    const nodes = clusterNodes.map((node) => {
      const [host, port] = node.split(':');
      return { host: host!, port: Number(port) };
    });
    return new Cluster(nodes, { redisOptions: options });
  }
  return new Redis(url ?? 'redis://127.0.0.1:6379', options);
}
