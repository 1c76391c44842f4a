import { describe, expect, it } from 'vitest';
import {
  BullmqFanoutQueue,
  bullmqFanoutQueue,
  prioritiesFromEnv,
  queueOptionsFromEnv,
  redisOptionsFromUrl,
  startWorkerFromEnv,
} from './bullmq.js';

// No Redis here: BullMQ connects only when a queue or worker is first used.
describe('bullmqFanoutQueue options', () => {
  it('parses redis:// and rediss:// URLs', () => {
    expect(redisOptionsFromUrl('redis://127.0.0.1:6380')).toEqual({
      host: '127.0.0.1',
      port: 6380,
    });
    expect(redisOptionsFromUrl('rediss://user:p%40ss@cache.internal/3')).toEqual({
      host: 'cache.internal',
      port: 6379,
      username: 'user',
      password: 'p@ss',
      db: 3,
      tls: {},
    });
    expect(() => redisOptionsFromUrl('http://localhost')).toThrow(/redis:\/\//);
    expect(() => redisOptionsFromUrl('redis://localhost/x')).toThrow(/database/);
    expect(() => redisOptionsFromUrl('::')).toThrow(/not a Redis URL/);
  });

  it('has defaults and checks its options', () => {
    const queue = bullmqFanoutQueue({ connection: 'redis://127.0.0.1:6379' });
    expect(queue).toBeInstanceOf(BullmqFanoutQueue);
    expect(queue.prefix).toBe('bull');
    expect(queue.queueNames).toEqual({ HIGH: 'fanout-high', LOW: 'fanout-low' });
    expect(queue.jobOptions).toMatchObject({
      attempts: 5,
      backoff: { type: 'exponential', delay: 1000 },
    });
    expect(() => bullmqFanoutQueue({})).toThrow(/needs a connection/);
    expect(() => bullmqFanoutQueue({ connection: {}, queueNames: { LOW: 'a:b' } })).toThrow(
      /without ':'/,
    );
    expect(() => bullmqFanoutQueue({ connection: {}, jobOptions: { attempts: 0 } })).toThrow(
      /attempts must be a positive integer/,
    );
    expect(() => queue.createWorker()).toThrow(/needs a manager/);
    const manager = { runTask: async () => {} };
    expect(() => queue.createWorker({ manager, priorities: [] })).toThrow(/at least one priority/);
    expect(() => queue.createWorker({ manager, priorities: ['MEDIUM' as never] })).toThrow(
      /unknown fanout priority/,
    );
    expect(() => queue.createWorker({ manager, concurrency: 0 })).toThrow(
      /concurrency must be a positive integer/,
    );
  });

  it("takes BullMQ's PostgreSQL backend and checks its options", () => {
    const url = 'postgres://postgres@127.0.0.1:5432/test';
    const queue = bullmqFanoutQueue({ backend: { type: 'postgres', connectionString: url } });
    expect(queue.backend).toBe('postgres');
    expect(queue.prefix).toBe('bullmq');
    expect(
      bullmqFanoutQueue({ backend: { type: 'postgres', connectionString: url, schema: 'sf_q' } })
        .prefix,
    ).toBe('sf_q');
    expect(bullmqFanoutQueue({ connection: 'redis://127.0.0.1:6379' }).backend).toBe('redis');
    const invalid = (options: Parameters<typeof bullmqFanoutQueue>[0]) => {
      try {
        bullmqFanoutQueue(options);
      } catch (error) {
        return error as { code: string; path: string; message: string };
      }
      throw new Error('no error');
    };
    expect(invalid({ backend: { type: 'postgres', connectionString: 'redis://x' } })).toMatchObject(
      { code: 'SF_INVALID_OPTION', path: 'backend.connectionString' },
    );
    expect(
      invalid({ backend: { type: 'postgres', connectionString: url, schema: 'Bad-Name' } }),
    ).toMatchObject({ code: 'SF_INVALID_OPTION', path: 'backend.schema' });
    expect(
      invalid({ backend: { type: 'postgres', connectionString: url }, prefix: 'bull' }),
    ).toMatchObject({ code: 'SF_INVALID_OPTION', path: 'prefix' });
    expect(
      invalid({ backend: { type: 'postgres', connectionString: url }, connection: {} }),
    ).toMatchObject({ code: 'SF_INVALID_OPTION', path: 'connection' });
    expect(invalid({ backend: { type: 'sqlite' } as never })).toMatchObject({
      code: 'SF_INVALID_OPTION',
      path: 'backend.type',
    });
    expect(
      invalid({
        backend: { type: 'postgres', connectionString: url, migrate: 'yes' as never },
      }),
    ).toMatchObject({ code: 'SF_INVALID_OPTION', path: 'backend.migrate' });
  });

  it('reads the queue backend from the environment', () => {
    expect(queueOptionsFromEnv({})).toMatchObject({ connection: 'redis://127.0.0.1:6379' });
    expect(
      queueOptionsFromEnv({
        SF_QUEUE_BACKEND: 'postgres',
        SF_QUEUE_POSTGRES_URL: 'postgres://db/app',
        SF_QUEUE_SCHEMA: 'fanout',
        SF_QUEUE_HIGH: 'hi',
      }),
    ).toEqual({
      backend: { type: 'postgres', connectionString: 'postgres://db/app', schema: 'fanout' },
      queueNames: { HIGH: 'hi' },
    });
    expect(
      queueOptionsFromEnv({ SF_QUEUE_BACKEND: 'postgres', SF_POSTGRES_URL: 'postgres://db/x' })
        .backend,
    ).toEqual({ type: 'postgres', connectionString: 'postgres://db/x' });
    const invalid = (env: Record<string, string>) => {
      try {
        queueOptionsFromEnv(env);
      } catch (error) {
        return error as { code: string; path: string };
      }
      throw new Error('no error');
    };
    expect(invalid({ SF_QUEUE_BACKEND: 'kafka' })).toMatchObject({
      code: 'SF_INVALID_OPTION',
      path: 'SF_QUEUE_BACKEND',
    });
    expect(invalid({ SF_QUEUE_BACKEND: 'postgres' })).toMatchObject({
      path: 'SF_QUEUE_POSTGRES_URL',
    });
    expect(
      invalid({ SF_QUEUE_BACKEND: 'postgres', SF_QUEUE_POSTGRES_URL: 'http://db' }),
    ).toMatchObject({ path: 'SF_QUEUE_POSTGRES_URL' });
    expect(
      invalid({
        SF_QUEUE_BACKEND: 'postgres',
        SF_QUEUE_POSTGRES_URL: 'postgres://db/app',
        SF_QUEUE_PREFIX: 'bull',
      }),
    ).toMatchObject({ path: 'SF_QUEUE_PREFIX' });
    expect(
      invalid({
        SF_QUEUE_BACKEND: 'postgres',
        SF_QUEUE_POSTGRES_URL: 'postgres://db/app',
        SF_QUEUE_SCHEMA: '1x',
      }),
    ).toMatchObject({ path: 'SF_QUEUE_SCHEMA' });
  });

  it('reads the worker settings from the environment', async () => {
    expect(prioritiesFromEnv(undefined)).toEqual(['HIGH', 'LOW']);
    expect(prioritiesFromEnv(' low ')).toEqual(['LOW']);
    expect(prioritiesFromEnv('HIGH,HIGH')).toEqual(['HIGH']);
    expect(() => prioritiesFromEnv('HIGH,URGENT')).toThrow(/SF_PRIORITIES/);
    await expect(startWorkerFromEnv({})).rejects.toThrow(/SF_MANAGER_MODULE/);
    await expect(
      startWorkerFromEnv({ SF_MANAGER_MODULE: 'x.js', SF_CONCURRENCY: 'many' }),
    ).rejects.toThrow(/SF_CONCURRENCY must be a positive integer/);
    await expect(
      startWorkerFromEnv({ SF_MANAGER_MODULE: './does-not-exist.js' }),
    ).rejects.toThrow();
  });
});
