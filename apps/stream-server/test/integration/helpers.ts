import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { deleteKeysWithPrefix, keysWithPrefix } from '@sf/storage-redis';
import { Cluster, Redis } from 'ioredis';
import type pg from 'pg';
import { cassandraStorage } from '@sf/storage-cassandra';
import type { CassandraStorage } from '@sf/storage-cassandra';
import { afterAll, beforeAll, inject } from 'vitest';
import { buildApp } from '../../src/app.js';
import { StreamClient } from '../../src/client.js';
import type { StorageConfig } from '../../src/config.js';
import type { RedisClient } from '../../src/items/redis-store.js';
import { WRITE_KEY, testConfig } from '../../src/test-config.js';
import { dropSchemas, postgresUrl, testPool, uniqueSchema } from './postgres.js';

export interface Target {
  name:
    | 'memory'
    | 'redis'
    | 'cluster'
    | 'postgres'
    | 'postgres + redis cache'
    | 'cassandra'
    | 'cassandra cluster';
  /** The storage of one server: a key prefix (Redis) or a schema (PostgreSQL) of its own. */
  storage(prefix: string): StorageConfig;
  /** A client to inspect and clean the keys (null for memory and PostgreSQL). */
  connect(): RedisClient | null;
}

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const clusterNodes = (process.env.REDIS_CLUSTER_NODES ?? '')
  .split(',')
  .map((n) => n.trim())
  .filter(Boolean);

export function targets(): Target[] {
  const list: Target[] = [
    { name: 'memory', storage: () => ({ type: 'memory' }), connect: () => null },
    {
      name: 'redis',
      storage: (keyPrefix) => ({ type: 'redis', url: redisUrl, keyPrefix }),
      connect: () => new Redis(redisUrl),
    },
    postgresTarget(),
  ];
  const cassandra = cassandraTarget();
  if (cassandra) list.push(cassandra);
  if (clusterNodes.length > 0) {
    const nodes = clusterNodes.map((node) => ({
      host: node.split(':')[0]!,
      port: Number(node.split(':')[1]),
    }));
    list.push({
      name: 'cluster',
      storage: (keyPrefix) => ({ type: 'redis', clusterNodes, keyPrefix }),
      connect: () => new Cluster(nodes),
    });
  }
  return list;
}

/** PostgreSQL at SF_POSTGRES_URL: a schema per server (and one per tenant's feeds), dropped when it stops. */
function postgresTarget(): Target {
  return {
    name: 'postgres',
    storage: (prefix) => ({ type: 'postgres', url: postgresUrl, schema: schemaOf(prefix) }),
    connect: () => null,
  };
}

/**
 * Feeds in Cassandra (the run's keyspace, see global-setup.ts; rows under the server's key
 * prefix), items and follows in Redis under the same prefix. Absent with SF_CASSANDRA=0.
 */
function cassandraTarget(): Target | null {
  const contactPoints = inject('cassandraContactPoints');
  if (contactPoints.length === 0) return null;
  return {
    name: 'cassandra',
    storage: (keyPrefix) => ({
      type: 'cassandra',
      contactPoints,
      localDataCenter: inject('cassandraLocalDc'),
      keyspace: inject('cassandraKeyspace'),
      replication: { class: 'SimpleStrategy', replication_factor: 1 },
      keyPrefix,
      redis: { url: redisUrl },
    }),
    connect: () => new Redis(redisUrl),
  };
}

/**
 * PostgreSQL with a Redis cache in front of the flat feeds (`storage.feedCache`): the cache's keys
 * live under the server's prefix (deleted when it stops).
 */
export function cachedPostgresTarget(): Target {
  return {
    name: 'postgres + redis cache',
    storage: (prefix) => ({
      type: 'postgres',
      url: postgresUrl,
      schema: schemaOf(prefix),
      feedCache: { url: redisUrl, keyPrefix: prefix, maxLength: 2 },
    }),
    connect: () => new Redis(redisUrl),
  };
}

/** The PostgreSQL schema of a server's prefix (made on first use). */
const schemas = new Map<string, string>();
function schemaOf(prefix: string): string {
  let schema = schemas.get(prefix);
  if (!schema) {
    schema = uniqueSchema();
    schemas.set(prefix, schema);
  }
  return schema;
}

const run = randomBytes(4).toString('hex');
let counter = 0;

export function uniquePrefix(): string {
  counter += 1;
  return `sftest:stream:${run}:${counter}:`;
}

/** Every key under a prefix, sorted. */
export async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  return (await keysWithPrefix(client, prefix)).sort();
}

/** A key's type and whole content, for before/after comparisons. */
export async function contentOf(client: RedisClient, key: string): Promise<unknown> {
  const type = await client.type(key);
  switch (type) {
    case 'string':
      return [type, await client.get(key)];
    case 'hash':
      return [type, await client.hgetall(key)];
    case 'zset':
      return [type, await client.zrange(key, 0, -1, 'WITHSCORES')];
    case 'set':
      return [type, (await client.smembers(key)).sort()];
    case 'list':
      return [type, await client.lrange(key, 0, -1)];
    default:
      return [type];
  }
}

export async function cleanup(client: RedisClient, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(client, prefix);
}

export interface RunningServer {
  app: FastifyInstance;
  baseUrl: string;
  prefix: string;
  redis: RedisClient | null;
  /** PostgreSQL targets: a pool on the test database and the server's schema. */
  postgres: { pool: pg.Pool; schema: string } | null;
  /** Cassandra targets: a storage on the server's keyspace, to read its rows (cassandra.ts). */
  cassandra: CassandraStorage | null;
  stop(): Promise<void>;
}

/** A real server listening on 127.0.0.1 (random port) with the test config on the target's storage. */
export async function startServer(
  target: Target,
  overrides: Record<string, unknown> = {},
): Promise<RunningServer> {
  const prefix = uniquePrefix();
  const storage = target.storage(prefix);
  const postgres =
    storage.type === 'postgres' ? { pool: testPool(), schema: storage.schema! } : null;
  const app = await buildApp({
    config: testConfig({ storage, ...overrides }),
  });
  const baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  const redis = target.connect();
  const cassandra =
    storage.type === 'cassandra'
      ? cassandraStorage({
          contactPoints: storage.contactPoints,
          localDataCenter: storage.localDataCenter,
          keyspace: storage.keyspace,
          requestTimeout: 30_000,
        })
      : null;
  return {
    app,
    baseUrl,
    prefix,
    redis,
    postgres,
    cassandra,
    async stop() {
      await app.close();
      // The rows stay in the run's keyspace, dropped at the end of the run (global-setup.ts).
      await cassandra?.close();
      if (redis) {
        await cleanup(redis, prefix);
        await redis.quit();
      }
      if (postgres) {
        await dropSchemas(postgres.pool, [postgres.schema]);
        await postgres.pool.end();
      }
    },
  };
}

export interface SuiteServer {
  /** The server of the describe block. */
  readonly server: RunningServer;
  /** A REST client of it with the test tenant's write key. */
  readonly client: StreamClient;
}

/**
 * The set-up of the HTTP tests: a server on the target for the whole describe block (started
 * before its tests, stopped after them) and a REST client with the write key. Call it inside
 * `describe`.
 */
export function serverPerSuite(target: Target): SuiteServer {
  let running: { server: RunningServer; client: StreamClient } | undefined;
  beforeAll(async () => {
    const server = await startServer(target);
    running = { server, client: new StreamClient({ baseUrl: server.baseUrl, apiKey: WRITE_KEY }) };
  });
  afterAll(async () => {
    await running?.server.stop();
  });
  const current = () => {
    if (!running) throw new Error('serverPerSuite: the server exists only while the tests run');
    return running;
  };
  return {
    get server() {
      return current().server;
    },
    get client() {
      return current().client;
    },
  };
}
