/**
 * `pnpm bench:filters` in packages/storage-redis: what verb and field indexes
 * (`index: { verb: true, field: 'board' }`) cost a fanout write, and what filtered reads cost
 * beside unfiltered ones and beside the scan a backend without indexes does (the body is
 * `runFiltersBench` of `@sf/feeds/bench`, shared by the backends). Single node
 * (REDIS_URL, default redis://127.0.0.1:6379), its own key prefix, deleted at the end.
 * SF_BENCH_FEEDS (500) feeds per fanout write, SF_BENCH_ROUNDS (60) writes, SF_BENCH_READS
 * (2000) reads of each kind. Prints; asserts nothing.
 */
import { randomBytes } from 'node:crypto';
import { runFiltersBench } from '@sf/feeds/bench';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, redisStorage } from '../src/index.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keyPrefix = `sf-filter-bench-${randomBytes(4).toString('hex')}:`;
try {
  await runFiltersBench({ label: 'redis single', storage: redisStorage({ redis, keyPrefix }) });
} finally {
  await deleteKeysWithPrefix(redis, keyPrefix);
  await redis.quit();
}
