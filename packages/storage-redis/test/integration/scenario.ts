import { readFileSync } from 'node:fs';
import type { RedisClient } from '../../src/index.js';

/** Data written by the Python Stream Framework 1.4 (see ../fixtures/VECTORS.md). */
export interface Scenario {
  key_formats: Record<'normal' | 'aggregated' | 'user' | 'notification', string>;
  followers: Record<string, number[]>;
  activities: Array<{
    actor_id: number;
    verb_id: number;
    object_id: number;
    target_id: number | null;
    time: string;
    extra_context: Record<string, unknown>;
    serialization_id: string;
  }>;
  expected_normal_feed_21_newest_first: string[];
  keys: Record<
    string,
    | { type: 'zset'; value: Array<[string, number]> }
    | { type: 'hash'; value: Record<string, string> }
    | { type: 'list'; value: string[] }
  >;
}

export const scenarioPath =
  process.env.SF_REDIS_SCENARIO ??
  new URL('../fixtures/sf-redis-scenario.json', import.meta.url).pathname;
export const scenario = JSON.parse(readFileSync(scenarioPath, 'utf8')) as Scenario;
/** Values are the raw Redis bytes decoded as latin1. */
export const bytes = (latin1: string) => Buffer.from(latin1, 'latin1');
export const latin1 = (buffer: Buffer) => buffer.toString('latin1');
/** Python's `'feed:normal:%(user_id)s'` in this library's notation. */
export const keyFormat = (name: keyof Scenario['key_formats']) =>
  scenario.key_formats[name].replace('%(user_id)s', '{userId}');

/**
 * Writes Python's keyspace under `prefix`, byte for byte; `rename` maps each scenario key to the
 * key written (e.g. to add cluster hash tags or move a feed to another key format).
 */
export async function plantScenario(
  redis: RedisClient,
  prefix: string,
  rename: (key: string) => string = (key) => key,
): Promise<void> {
  for (const [key, entry] of Object.entries(scenario.keys)) {
    const full = prefix + rename(key);
    if (entry.type === 'zset')
      for (const [member, score] of entry.value)
        await redis.zadd(full, String(score), bytes(member));
    if (entry.type === 'hash')
      for (const [field, value] of Object.entries(entry.value))
        await redis.hset(full, field, bytes(value));
    if (entry.type === 'list') await redis.rpush(full, ...entry.value.map(bytes));
  }
}
