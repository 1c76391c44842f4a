import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresItemStore } from '../../src/items/postgres-store.js';
import { ItemKeys, redisItemStore } from '../../src/items/redis-store.js';
import { describeItemStore } from '../../src/items/store-contract.js';
import { indexEntries } from '../../src/items/store.js';
import { cleanup, keysOf, uniquePrefix } from './helpers.js';
import { dropSchemas, schemaWithTables, testPool } from './postgres.js';

const keys = ['user', 'kind'];

// One contract, every storage: the Redis prefixes and PostgreSQL schemas of the run are removed
// afterwards. (Memory runs it in the unit tests.)
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
const prefixes: string[] = [];
describeItemStore({
  name: 'redis',
  compareWithMemory: true,
  async open() {
    const prefix = uniquePrefix();
    prefixes.push(prefix);
    return redisItemStore({ redis, keyPrefix: prefix });
  },
  async cleanup() {
    for (const prefix of prefixes) {
      expect((await keysOf(redis, prefix)).filter((key) => key.includes(':tmp:'))).toEqual([]);
      await cleanup(redis, prefix);
    }
  },
});

const pool = testPool();
const schemas: string[] = [];
describeItemStore({
  name: 'postgres',
  compareWithMemory: true,
  async open() {
    const schema = await schemaWithTables(pool);
    schemas.push(schema);
    return postgresItemStore({ db: pool, schema });
  },
  async cleanup() {
    await dropSchemas(pool, schemas);
  },
});

afterAll(async () => {
  await redis.quit();
  await pool.end();
});

describe('Redis item store', () => {
  let prefix: string;

  beforeAll(() => {
    prefix = uniquePrefix();
  });
  afterAll(async () => {
    await cleanup(redis, prefix);
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
