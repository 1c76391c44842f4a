import { describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { PostgresStore } from '../../src/postgres-store.js';
import { RedisStore } from '../../src/redis-store.js';
import { dropSchema, postgresUrl, runSchema } from '../postgres.js';
import { describeDomainStore } from '../store-contract.js';

/** The DomainStore contract (test/store-contract.ts) on the stores of the shared modes. */

describeDomainStore('redis', async () => {
  const redis = new Redis(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  const prefix = `pinterest-store-${process.pid}-${Date.now().toString(36)}:app:`;
  return {
    store: new RedisStore(redis, prefix),
    destroy: async () => {
      await deleteKeysWithPrefix(redis, prefix);
      await redis.quit();
    },
  };
});

describeDomainStore('postgres', async () => {
  const url = postgresUrl();
  const schema = runSchema('pinterest_store');
  const store = await PostgresStore.open({ connectionString: url, schema });
  return {
    store,
    destroy: async () => {
      await store.close();
      await dropSchema(url, schema);
    },
  };
});

describe('PostgresStore schema', () => {
  it('is created once when several processes open the store at once, and opening again changes nothing', async () => {
    const url = postgresUrl();
    const schema = runSchema('pinterest_open');
    try {
      const stores = await Promise.all(
        Array.from({ length: 6 }, () => PostgresStore.open({ connectionString: url, schema })),
      );
      await stores[0]!.createUser({ name: 'Ada', handle: 'ada', hue: 1, createdAt: 1 });
      await Promise.all(stores.map((store) => store.close()));
      const again = await PostgresStore.open({ connectionString: url, schema });
      expect((await again.totals()).users).toBe(1);
      await again.close();
    } finally {
      await dropSchema(url, schema);
    }
  });
});
