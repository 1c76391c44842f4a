import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { REDIS_LAYOUTS, redisStorage } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

// The @sf/feeds conformance suite against a real Redis and a real 3-master Redis Cluster, in the
// default JSON format and in Stream Framework's wire format, in both layouts (Stream Framework's
// scores and the compact one). Each test gets its own client and key prefix, deleted afterwards.
for (const target of targets()) {
  for (const format of ['json', 'stream-framework'] as const) {
    for (const layout of REDIS_LAYOUTS) {
      runStorageConformanceSuite({
        name: `redis ${target.name} (${format} format, ${layout} layout)`,
        createBackend: async () => {
          const redis = target.connect();
          const keyPrefix = uniquePrefix();
          return {
            backend: redisStorage({ redis, keyPrefix, format, layout }),
            cleanup: async () => {
              await cleanupKeys(redis, keyPrefix);
              await redis.quit();
            },
          };
        },
      });
    }
  }
}
