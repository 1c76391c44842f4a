import { describe, expect, it } from 'vitest';
import {
  BullmqFanoutQueue,
  bullmqFanoutQueue,
  prioritiesFromEnv,
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
    expect(() => bullmqFanoutQueue({} as never)).toThrow(/needs a connection/);
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
