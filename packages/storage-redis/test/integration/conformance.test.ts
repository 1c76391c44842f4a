import { runStorageConformanceSuite } from '@sf/feeds/testing';
import { REDIS_LAYOUTS, redisStorage } from '../../src/index.js';
import type { RedisLayout } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

// The @sf/feeds conformance suite against a real Redis and a real 3-master Redis Cluster, in the
// default JSON format and in Stream Framework's wire format, in both layouts (Stream Framework's
// scores and the compact one); on a single Redis with the activity cache on (serving from the
// first read) and off. The cache concerns activities and the layout timelines, so the cache is
// turned off in one layout only. Each test gets its own client and key prefix, deleted afterwards.
for (const target of targets()) {
  const variants: { layout: RedisLayout; cache: 'on' | 'off' }[] = REDIS_LAYOUTS.map((layout) => ({
    layout,
    cache: target.name === 'single' ? 'on' : 'off',
  }));
  if (target.name === 'single') variants.push({ layout: 'stream-framework', cache: 'off' });
  for (const { layout, cache } of variants) {
    for (const format of ['json', 'stream-framework'] as const) {
      runStorageConformanceSuite({
        name: `redis ${target.name} (${format} format, ${layout} layout, activity cache ${cache})`,
        createBackend: async () => {
          const redis = target.connect();
          const keyPrefix = uniquePrefix();
          const backend = redisStorage({
            redis,
            keyPrefix,
            format,
            layout,
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
