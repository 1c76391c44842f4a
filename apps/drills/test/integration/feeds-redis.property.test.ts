/**
 * The feed model properties (src/testing/feed-properties.ts) on Redis: a single node, and a Redis
 * Cluster when REDIS_CLUSTER_NODES is set. Every backend works under its own key prefix, deleted
 * at the end.
 */
import { redisStorage } from '@sf/storage-redis';
import { feedPropertySuite } from '../../src/testing/feed-properties.js';
import {
  REDIS_CLUSTER_NODES,
  clusterClient,
  deleteKeys,
  redisClient,
  uniquePrefix,
} from './services.js';

const numRuns = Number(process.env.SF_PROPERTY_RUNS || 40);
const knownFailures: string[] = [];

feedPropertySuite({
  name: 'redis (single node)',
  numRuns,
  timeout: 240_000,
  knownFailures,
  createBackend: async (format) => {
    const redis = redisClient();
    const keyPrefix = uniquePrefix('feeds');
    return {
      backend: redisStorage({ redis, keyPrefix, format }),
      cleanup: async () => {
        await deleteKeys(redis, keyPrefix);
        await redis.quit();
      },
    };
  },
});

if (REDIS_CLUSTER_NODES) {
  feedPropertySuite({
    name: 'redis cluster',
    numRuns: Math.max(10, Math.floor(numRuns / 2)),
    timeout: 240_000,
    knownFailures,
    createBackend: async (format) => {
      const redis = clusterClient();
      const keyPrefix = uniquePrefix('feeds');
      return {
        backend: redisStorage({ redis, keyPrefix, format }),
        cleanup: async () => {
          await deleteKeys(redis, keyPrefix);
          await redis.quit();
        },
      };
    },
  });
}
