import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  RedisConfigurationError,
  deleteKeysWithPrefix,
  keysWithPrefix,
  type RedisClient,
} from '../../src/index.js';
import { targets, uniquePrefix } from './helpers.js';

for (const target of targets()) {
  describe(`keysWithPrefix and deleteKeysWithPrefix (${target.name})`, () => {
    let redis: RedisClient;

    beforeAll(() => {
      redis = target.connect();
    });
    afterAll(async () => {
      await redis.quit();
    });

    it('find and delete the keys of a prefix on every master, hash-tagged locks included, and nothing else', async () => {
      const prefix = uniquePrefix();
      const other = uniquePrefix();
      // Keys spread over many slots (so over every master of a cluster).
      const own = Array.from({ length: 40 }, (_, i) => `${prefix}feed:${i}`);
      const locks = [`{${prefix}feed:1}:lock`, `{${prefix}feed:2}:lock`];
      for (const key of [...own, ...locks, `${other}feed:1`]) await redis.set(key, 'x');
      expect((await keysWithPrefix(redis, prefix)).sort()).toEqual([...own].sort());
      expect(await deleteKeysWithPrefix(redis, prefix)).toBe(own.length + locks.length);
      expect(await keysWithPrefix(redis, prefix)).toEqual([]);
      for (const lock of locks) expect(await redis.exists(lock)).toBe(0);
      expect(await redis.get(`${other}feed:1`)).toBe('x');
      expect(await deleteKeysWithPrefix(redis, other)).toBe(1);
    });

    it('match the prefix literally (glob characters escaped) and refuse an empty one', async () => {
      const prefix = uniquePrefix();
      await redis.set(`${prefix}a*b`, '1');
      await redis.set(`${prefix}axb`, '2');
      expect(await keysWithPrefix(redis, `${prefix}a*`)).toEqual([`${prefix}a*b`]);
      expect(await deleteKeysWithPrefix(redis, `${prefix}a*`)).toBe(1);
      expect(await redis.get(`${prefix}axb`)).toBe('2');
      await expect(deleteKeysWithPrefix(redis, '')).rejects.toThrow(RedisConfigurationError);
      await expect(keysWithPrefix(redis, '')).rejects.toThrow(/empty prefix/);
      expect(await deleteKeysWithPrefix(redis, prefix)).toBe(1);
    });
  });
}
