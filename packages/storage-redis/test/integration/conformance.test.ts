import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { redisStorage } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

// The @sf/feeds conformance suite against a real Redis and a real 3-master Redis Cluster, in the
// default JSON format and in Stream Framework's wire format; on a single Redis with the activity
// cache on (serving from the first read) and off. Each test gets its own client and key prefix,
// deleted afterwards.
for (const target of targets()) {
  const caches = target.name === 'single' ? (['on', 'off'] as const) : (['off'] as const);
  for (const cache of caches) {
    for (const format of ['json', 'stream-framework'] as const) {
      runStorageConformanceSuite({
        name: `redis ${target.name} (${format} format, activity cache ${cache})`,
        createBackend: async () => {
          const redis = target.connect();
          const keyPrefix = uniquePrefix();
          const backend = redisStorage({
            redis,
            keyPrefix,
            format,
            ...(cache === 'off' ? { activityCache: false as const } : {}),
          });
          await backend.activityCache?.ready();
          return {
            backend,
            cleanup: async () => {
              await backend.close();
              await cleanupKeys(redis, keyPrefix);
              await redis.quit();
            },
          };
        },
      });
    }
  }
}
