/**
 * Issue 16: what string ids and foreign ids cost. Printed, never asserted.
 * `node --conditions=@sf/source --import tsx bench/foreign-ids.ts` (REDIS_URL, default local).
 */
import { Activity, Love } from '@sf/activity';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix, redisStorage } from '../src/index.js';

const T = Date.UTC(2024, 0, 1);
const N = 200_000;

function nsPerOp(label: string, make: (i: number) => Activity): void {
  for (let i = 0; i < 20_000; i++) make(i); // warm up
  const start = process.hrtime.bigint();
  for (let i = 0; i < N; i++) make(i);
  const ns = Number(process.hrtime.bigint() - start) / N;
  console.log(`${label.padEnd(58)} ${ns.toFixed(0).padStart(6)} ns/activity`);
}

nsPerOp(
  'new Activity, integer ids',
  (i) => new Activity({ actor: i, verb: Love, object: i, time: T }),
);
nsPerOp(
  'new Activity, string actor + UUID object',
  (i) =>
    new Activity({
      actor: `user-${i}`,
      verb: Love,
      object: `3f2b8c1e-9a4d-4c6b-8f0e-${String(i).padStart(12, '0')}`,
      time: T,
    }),
);
nsPerOp(
  'new Activity, snowflake object (bigint beyond 2^53)',
  (i) =>
    new Activity({ actor: i, verb: Love, object: 1_790_000_000_000_000_000n + BigInt(i), time: T }),
);
nsPerOp(
  'new Activity, foreignId pin:<i>',
  (i) => new Activity({ actor: i, verb: Love, object: i, time: T, foreignId: `pin:${i}` }),
);

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const keyPrefix = `sf_bench_fid_${process.pid}:`;
const storage = redisStorage({ redis, keyPrefix });
const activities = storage.activityStorage({ name: 'bench' });
const BATCH = 100;
const ROUNDS = 200;

async function writes(label: string, foreignId: boolean): Promise<void> {
  let total = 0n;
  for (let round = 0; round < ROUNDS; round++) {
    const batch = Array.from({ length: BATCH }, (_, i) => {
      const n = round * BATCH + i;
      return new Activity({
        actor: n,
        verb: Love,
        object: n,
        time: T + n,
        foreignId: foreignId ? `pin:${n}` : null,
      });
    });
    const start = process.hrtime.bigint();
    await activities.addMany(batch);
    total += process.hrtime.bigint() - start;
  }
  const us = Number(total) / 1000 / (ROUNDS * BATCH);
  console.log(`${label.padEnd(58)} ${us.toFixed(1).padStart(6)} µs/activity (addMany of ${BATCH})`);
}

await writes('Redis addMany, no foreign id', false);
await writes('Redis addMany, with foreign id (+1 SADD each, same pipeline)', true);
await writes('Redis addMany, no foreign id (again)', false);
await writes('Redis addMany, with foreign id (again)', true);
await deleteKeysWithPrefix(redis, keyPrefix);
await redis.quit();
