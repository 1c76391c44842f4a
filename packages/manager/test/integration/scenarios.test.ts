import { randomBytes } from 'node:crypto';
import { Cluster, Redis } from 'ioredis';
import { it } from 'vitest';
import { deleteKeysWithPrefix, redisStorage } from '@sf/storage-redis';
import type { RedisClient } from '@sf/storage-redis';
import { runManagerScenarioSuite } from '../../src/testing/index.js';
import { REDIS_URL } from './helpers.js';

// The Manager scenario suite, unchanged, on Redis and Redis Cluster (memory runs it in
// src/testing/scenarios.test.ts; Cassandra in storage-cassandra's integration tests, which already
// depend on the manager). Each test gets its own key prefix, deleted afterwards.
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

runManagerScenarioSuite({
  name: 'redis single',
  createBackend: () => redisBackend(new Redis(REDIS_URL)),
});

const clusterNodes = process.env.REDIS_CLUSTER_NODES;
if (clusterNodes) {
  const startupNodes = clusterNodes.split(',').map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });
  runManagerScenarioSuite({
    name: 'redis cluster',
    createBackend: () => redisBackend(new Cluster(startupNodes)),
  });
} else {
  it.skip(
    'manager scenarios: redis cluster (REDIS_CLUSTER_NODES is not set: start scripts/redis-cluster.sh)',
  );
}
