import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { inject } from 'vitest';
import { cassandraStorage } from '@sf/storage-cassandra';
import { postgresStorage } from '@sf/storage-postgres';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import type { RedisClient } from '@sf/storage-redis';
import type { StorageBackend } from '@sf/feeds/backend';

const run = randomBytes(4).toString('hex');
let counter = 0;
const next = (): string => `${run}_${++counter}`;

export interface Durable {
  backend: StorageBackend;
  cleanup: () => Promise<void>;
}

/** A Redis cache under its own key prefix (single node, or the cluster when `cluster`). */
export function redisCache(cluster = false): {
  redis: RedisClient;
  keyPrefix: string;
  backend: ReturnType<typeof redisStorage>;
  cleanup: () => Promise<void>;
} {
  const options = { maxRetriesPerRequest: 1 };
  const redis: RedisClient = cluster
    ? new Cluster(
        inject('redisClusterNodes')
          .split(',')
          .map((node) => ({ host: node.split(':')[0]!, port: Number(node.split(':')[1]) })),
        { redisOptions: options },
      )
    : new Redis(inject('redisUrl'), options);
  const keyPrefix = `sftiered:${next()}:`;
  const backend = redisStorage({ redis, keyPrefix, activityCache: false });
  return {
    redis,
    keyPrefix,
    backend,
    cleanup: async () => {
      await backend.close();
      await deleteKeysWithPrefix(redis, keyPrefix);
      await redis.quit();
    },
  };
}

/** A PostgreSQL durable store in a fresh schema. */
export async function postgresDurable(pool: pg.Pool): Promise<Durable> {
  const backend = postgresStorage({ pool, schema: `${inject('schemaPrefix')}_${next()}` });
  await backend.sync();
  return {
    backend,
    cleanup: async () => {
      await backend.close();
      await pool.query(`DROP SCHEMA IF EXISTS "${backend.schema}" CASCADE`);
    },
  };
}

export function createPool(): pg.Pool {
  const pool = new pg.Pool({ connectionString: inject('postgresUrl'), max: 10 });
  pool.on('error', () => undefined);
  return pool;
}

export function createCassandraClient(): cassandra.Client {
  return new cassandra.Client({
    contactPoints: inject('cassandraContactPoints'),
    localDataCenter: inject('cassandraLocalDc'),
    encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
  });
}

/** A Cassandra durable store under its own key prefix in this run's keyspace. */
export function cassandraDurable(client: cassandra.Client): Durable {
  const backend = cassandraStorage({
    client,
    keyspace: inject('cassandraKeyspace'),
    keyPrefix: `t${next()}:`,
    autoSchema: true,
  });
  return { backend, cleanup: async () => {} };
}
