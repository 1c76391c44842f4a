import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { redisStorage } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

// The @sf/feeds conformance suite against a real Redis and a real 3-master Redis Cluster, in the
// default JSON format and in Stream Framework's wire format. Each test gets its own client and
// key prefix, deleted afterwards.
for (const target of targets()) {
  for (const format of ['json', 'stream-framework'] as const) {
    runStorageConformanceSuite({
      name: `redis ${target.name} (${format} format)`,
      createBackend: async () => {
        const redis = target.connect();
        const keyPrefix = uniquePrefix();
        return {
          backend: redisStorage({ redis, keyPrefix, format }),
          cleanup: async () => {
            await cleanupKeys(redis, keyPrefix);
            await redis.quit();
          },
        };
      },
    });
  }
}
