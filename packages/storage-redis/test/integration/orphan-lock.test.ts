import { Activity, Love } from '@sf/activity';
import { AggregatedFeed } from '@sf/feeds';
import { afterAll, describe, expect, it } from 'vitest';
import { redisStorage } from '../../src/index.js';
import { cleanupKeys, targets, uniquePrefix } from './helpers.js';

// A lock key without an expiry (left by hand, a tool, a restored dump) must not block a feed for
// ever (issue 12 item 9): the next writer gives it the lock ttl, and a later write goes through.
for (const target of targets()) {
  describe(`a lock without a TTL (${target.name})`, () => {
    const prefix = uniquePrefix();
    const redis = target.connect();
    afterAll(async () => {
      await cleanupKeys(redis, prefix);
      await redis.quit();
    });

    it(
      'expires after lock.ttl instead of blocking the feed for ever',
      { timeout: 30_000 },
      async () => {
        const storage = redisStorage({
          redis,
          keyPrefix: prefix,
          lock: { ttl: 300, acquireTimeout: 2_000 },
        });
        const definition = AggregatedFeed.define({
          name: 'aggregated',
          keyFormat: 'feed:aggregated:{userId}',
          storage,
        });
        const feed = definition.for(7);
        const timeline = `${prefix}feed:aggregated:7`;
        const lockKey = target.name === 'cluster' ? `{${timeline}}:lock` : `${timeline}:lock`;
        await redis.set(lockKey, 'left-behind');
        expect(await redis.pttl(lockKey)).toBe(-1);
        const activity = new Activity({
          actor: 1,
          verb: Love,
          object: 5,
          time: Date.UTC(2024, 0, 1),
        });
        await definition.insertActivity(activity);
        await feed.add(activity);
        expect(
          (await feed.get()).map((group) => group.activities.map((a) => a.serializationId)),
        ).toEqual([[activity.serializationId]]);
        expect(await redis.exists(lockKey)).toBe(0);
      },
    );
  });
}
