import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { afterAll, inject } from 'vitest';
import { tieredStorage } from '../../src/index.js';
import {
  cassandraDurable,
  createCassandraClient,
  createPool,
  postgresDurable,
  redisCache,
} from './helpers.js';

// The @sf/feeds conformance suite, unchanged, on the tiered pairs against real servers: a Redis
// cache in front of PostgreSQL and in front of Cassandra (and the Redis Cluster in front of
// PostgreSQL when REDIS_CLUSTER_NODES is set); with a cache as long as the suite's feeds and
// with one shorter than them (pages past it come from the durable store).
const pool = createPool();
const cassandraClient = createCassandraClient();
afterAll(async () => {
  await pool.end();
  await cassandraClient.shutdown();
});

const pairs = [
  { name: 'redis + postgres', cluster: false, durable: () => postgresDurable(pool) },
  {
    name: 'redis + cassandra',
    cluster: false,
    durable: async () => cassandraDurable(cassandraClient),
  },
  ...(inject('redisClusterNodes')
    ? [{ name: 'redis cluster + postgres', cluster: true, durable: () => postgresDurable(pool) }]
    : []),
];

for (const pair of pairs) {
  for (const cacheMaxLength of [100, 3]) {
    runStorageConformanceSuite({
      name: `tiered (${pair.name}, cacheMaxLength ${cacheMaxLength})`,
      testTimeout: 120_000,
      createBackend: async () => {
        const cache = redisCache(pair.cluster);
        const durable = await pair.durable();
        const backend = tieredStorage({
          cache: cache.backend,
          durable: durable.backend,
          cacheMaxLength,
        });
        return {
          backend,
          cleanup: async () => {
            await backend.settled();
            await cache.cleanup();
            await durable.cleanup();
          },
        };
      },
    });
  }
}
