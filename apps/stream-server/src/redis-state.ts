import { ApiError } from './errors.js';
import type { RedisClient } from './items/redis-store.js';

/** What a key must hold: a Redis type, or `counter` (a string holding an integer, for INCR). */
export type KeyKind = 'hash' | 'zset' | 'set' | 'counter';

/** Storage this server cannot use as it is (a key of the wrong type, a counter that is no number). */
export function corruptStorage(key: string, problem: string): ApiError {
  return new ApiError(
    500,
    'CORRUPT_STORAGE',
    `Redis key ${JSON.stringify(key)} ${problem}; repair or delete it`,
  );
}

/** The first of `keys` that does not hold what it should, or null (missing keys are fine). */
async function findCorruptKey(
  redis: RedisClient,
  keys: ReadonlyArray<readonly [string, KeyKind]>,
): Promise<ApiError | null> {
  for (const [key, kind] of keys) {
    const type = await redis.type(key);
    if (type === 'none') continue;
    if (kind !== 'counter') {
      if (type !== kind) return corruptStorage(key, `holds a ${type}, expected a ${kind}`);
      continue;
    }
    if (type !== 'string') return corruptStorage(key, `holds a ${type}, expected an integer`);
    const value = (await redis.get(key)) ?? '';
    if (!/^-?[0-9]{1,19}$/.test(value))
      return corruptStorage(
        key,
        `holds ${JSON.stringify(value.slice(0, 40))}, expected an integer`,
      );
  }
  return null;
}

/**
 * Runs a Redis call on `keys`; when Redis answers with an error (WRONGTYPE, "not an integer",
 * a script error), finds the key that caused it and throws a typed error naming it
 * (CORRUPT_STORAGE), or STORAGE_ERROR naming the keys when none of them looks wrong.
 * Connection failures pass through unchanged.
 */
export async function namingKeys<T>(
  redis: RedisClient,
  /** The keys and what they must hold (only computed when the call failed). */
  expected: () => ReadonlyArray<readonly [string, KeyKind]>,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'ReplyError') throw error;
    const keys = expected();
    const corrupt = await findCorruptKey(redis, keys).catch(() => null);
    if (corrupt) throw corrupt;
    throw new ApiError(
      500,
      'STORAGE_ERROR',
      `Redis failed on ${keys.map(([key]) => JSON.stringify(key)).join(', ')}: ${error.message}`,
    );
  }
}
