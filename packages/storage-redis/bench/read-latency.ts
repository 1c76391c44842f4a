/**
 * Read latency only: 1,000 feeds of 30 entries, then 10,000 sequential `get({ limit: 25 })`
 * with hydration, timed one by one. `node --conditions=@sf/source --import tsx bench/read-latency.ts`
 */
import { randomBytes } from 'node:crypto';
import { PerformanceObserver } from 'node:perf_hooks';
import type { PerformanceEntry } from 'node:perf_hooks';
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { Redis } from 'ioredis';
import { redisStorage } from '../src/index.js';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `sf-read-bench-${randomBytes(4).toString('hex')}:`;
const storage = redisStorage({ redis, keyPrefix: prefix });
const PinFeed = Feed.define({
  name: 'normal',
  keyFormat: 'feed:normal:{userId}',
  maxLength: 90,
  storage,
});
const users = Array.from({ length: 1000 }, (_, i) => i + 1);
const base = Date.UTC(2026, 0, 1);
for (let round = 0; round < 30; round++) {
  const activity = new Activity({
    actor: 1,
    verb: Love,
    object: round + 1,
    time: base + round * 1000,
  });
  await PinFeed.insertActivity(activity);
  await PinFeed.addToMany(users, [activity]);
}
let gcPauses = 0;
let gcTime = 0;
const gcKinds = new Map<number, number>();
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses++;
    gcTime += entry.duration;
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? -1;
    gcKinds.set(kind, (gcKinds.get(kind) ?? 0) + entry.duration);
  }
}).observe({ entryTypes: ['gc'] });
const latencies: number[] = [];
for (let i = 0; i < 10_500; i++) {
  const start = process.hrtime.bigint();
  await PinFeed.for(users[(i * 7919) % users.length]!).get({ limit: 25 });
  if (i >= 500) latencies.push(Number(process.hrtime.bigint() - start) / 1e6);
}
latencies.sort((a, b) => a - b);
const at = (q: number) => latencies[Math.floor(q * latencies.length)]!.toFixed(3);
console.log(
  `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, p99 ${at(0.99)} ms, p99.9 ${at(0.999)} ms; GC pauses ${gcPauses} (${gcTime.toFixed(1)} ms; by kind ${[...gcKinds].map(([k, t]) => `${k}:${t.toFixed(0)}ms`).join(' ')}); heap ${(process.memoryUsage().heapUsed / 1e6).toFixed(0)} MB`,
);
let cursor = '0';
do {
  const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
  cursor = next;
  if (keys.length > 0) await redis.del(...keys);
} while (cursor !== '0');
redis.disconnect();
