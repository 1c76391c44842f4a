import { randomBytes } from 'node:crypto';
import cassandra from 'cassandra-driver';
import { Cluster, Redis } from 'ioredis';
import { afterAll, it } from 'vitest';
import { cassandraStorage } from '@sf/storage-cassandra';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import type { RedisClient } from '@sf/storage-redis';
import { runManagerScenarioSuite } from '../../src/testing/index.js';
import { REDIS_URL } from './helpers.js';

// The Manager scenario suite, unchanged, on Redis, Redis Cluster and Cassandra (memory runs it
// in src/testing/scenarios.test.ts). Each test gets its own key prefix, deleted afterwards.
const run = randomBytes(4).toString('hex');
let counter = 0;
const uniquePrefix = () => `sfmgr:${run}:${++counter}:`;

async function redisBackend(redis: RedisClient) {
  const keyPrefix = uniquePrefix();
  return {
    backend: redisStorage({ redis, keyPrefix }),
    cleanup: async () => {
      await deleteKeysWithPrefix(redis, keyPrefix);
      await redis.quit();
    },
  };
}

runManagerScenarioSuite({ name: 'redis single', createBackend: () => redisBackend(new Redis(REDIS_URL)) });

const clusterNodes = process.env.REDIS_CLUSTER_NODES;
if (clusterNodes) {
  const startupNodes = clusterNodes.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });
  runManagerScenarioSuite({ name: 'redis cluster', createBackend: () => redisBackend(new Cluster(startupNodes)) });
} else {
  it.skip('manager scenarios: redis cluster (REDIS_CLUSTER_NODES is not set: start scripts/redis-cluster.sh)');
}

const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS ?? '127.0.0.1:9042').split(',').map((point) => point.trim());
const keyspace = `sf_mgr_${run}`;
const client = new cassandra.Client({
  contactPoints,
  localDataCenter: process.env.CASSANDRA_LOCAL_DC ?? 'datacenter1',
  encoding: { useBigIntAsVarint: true, useBigIntAsLong: true },
});
afterAll(async () => {
  await client.execute(`DROP KEYSPACE IF EXISTS ${keyspace}`).catch(() => undefined);
  await client.shutdown();
});

for (const format of ['json', 'stream-framework'] as const) {
  runManagerScenarioSuite({
    name: `cassandra (${format} format)`,
    createBackend: async () => ({
      backend: cassandraStorage({ client, keyspace, keyPrefix: uniquePrefix(), autoSchema: true, format }),
      cleanup: async () => {},
    }),
  });
}
