import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryItemStore } from '../../src/items/memory-store.js';
import { ItemKeys, redisItemStore } from '../../src/items/redis-store.js';
import { indexEntries, normalizeFilters } from '../../src/items/store.js';
import type { ItemFilter } from '../../src/items/store.js';
import { seeded } from '../../src/test-config.js';
import { cleanup, keysOf, uniquePrefix } from './helpers.js';

const keys = ['user', 'kind'];

describe('Redis item store', () => {
  let redis: Redis;
  let prefix: string;

  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    prefix = uniquePrefix();
  });
  afterAll(async () => {
    await cleanup(redis, prefix);
    await redis.quit();
  });

  it('answers 300 random queries exactly as the memory store', async () => {
    const random = seeded(11);
    const pick = (n: number) => Math.floor(random() * n);
    const onRedis = redisItemStore({ redis, keyPrefix: prefix }).forTenant('t');
    const inMemory = memoryItemStore().forTenant('t');
    for (let n = 0; n < 400; n++) {
      const item = {
        n,
        user: pick(12),
        kind: pick(3) === 0 ? 'x' : [`k${pick(4)}`, `k${pick(4)}`],
      };
      const json = JSON.stringify(item);
      const entries = indexEntries(item, keys);
      expect(await onRedis.insert(json, entries)).toBe(await inMemory.insert(json, entries));
    }
    for (let q = 0; q < 300; q++) {
      const filters: ItemFilter[] = [];
      if (random() < 0.7)
        filters.push({
          key: 'user',
          values: Array.from({ length: 1 + pick(4) }, () => String(pick(14))),
        });
      if (random() < 0.5)
        filters.push({
          key: 'kind',
          values: Array.from(
            { length: 1 + pick(3) },
            () => ['x', 'k0', 'k1', 'k2', 'k3', 'none'][pick(6)]!,
          ),
        });
      const start = pick(30);
      const query = { filters: normalizeFilters(filters), start, end: start + pick(40) };
      expect(await onRedis.query(query), JSON.stringify(query)).toEqual(
        await inMemory.query(query),
      );
    }
    expect(await onRedis.count()).toBe(400);
    expect((await keysOf(redis, prefix)).filter((key) => key.includes(':tmp:'))).toEqual([]);
  });

  it('encodes index values, so no value can name another key', async () => {
    const store = redisItemStore({ redis, keyPrefix: prefix }).forTenant('enc');
    const item = { user: 'a:b}{c* ?', kind: '../../x' };
    await store.insert(JSON.stringify(item), indexEntries(item, keys));
    const k = new ItemKeys(prefix, 'enc');
    expect(k.index('user', 'a:b}{c* ?')).toBe(`${prefix}{enc}:items:idx:user:a%3Ab%7D%7Bc*%20%3F`);
    expect(await redis.zcard(k.index('user', 'a:b}{c* ?'))).toBe(1);
    expect(
      await store.query({ filters: [{ key: 'user', values: ['a:b}{c* ?'] }], start: 0, end: 20 }),
    ).toEqual([JSON.stringify(item)]);
    expect(
      (await keysOf(redis, `${prefix}{enc}`)).every((key) =>
        key.startsWith(`${prefix}{enc}:items:`),
      ),
    ).toBe(true);
  });
});
