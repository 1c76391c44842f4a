import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, inject } from 'vitest';
import { deleteKeysWithPrefix, keysWithPrefix, type RedisClient } from '../../src/index.js';

/** A Redis deployment the integration tests run against. */
export interface Target {
  name: 'single' | 'cluster';
  connect(options?: RedisOptions): RedisClient;
}

/** Recommended client options: fail a command fast instead of queueing it for a long time. */
export const clientOptions: RedisOptions = {
  maxRetriesPerRequest: 1,
  retryStrategy: (times) => Math.min(times * 50, 500),
};

export function targets(): Target[] {
  const url = inject('redisUrl');
  const nodes = inject('redisClusterNodes');
  const list: Target[] = [
    { name: 'single', connect: (options) => new Redis(url, { ...clientOptions, ...options }) },
  ];
  if (nodes) {
    const startupNodes = nodes.split(',').map((node) => {
      const [host, port] = node.split(':');
      return { host: host!, port: Number(port) };
    });
    list.push({
      name: 'cluster',
      connect: (options) =>
        new Cluster(startupNodes, {
          redisOptions: { ...clientOptions, ...options },
          ...(options as ClusterOptions),
        }),
    });
  }
  return list;
}

const run = randomBytes(4).toString('hex');
let counter = 0;

/** A key prefix unique to this test run and call. */
export function uniquePrefix(): string {
  counter += 1;
  return `sftest:${run}:${counter}:`;
}

/** Deletes every key of a prefix, locks (`{<prefix>...}:lock`) included, on every master. */
export async function cleanupKeys(client: RedisClient, prefix: string): Promise<void> {
  await deleteKeysWithPrefix(client, prefix);
}

/** Every key of a prefix, sorted (for layout assertions). */
export async function keysOf(client: RedisClient, prefix: string): Promise<string[]> {
  return (await keysWithPrefix(client, prefix)).sort();
}

export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeout = 5000,
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeout} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** What `useRedis` gives a describe block; read it in a hook or a test, not when the block is defined. */
export interface RedisTestConnection {
  readonly redis: RedisClient;
  readonly prefix: string;
}

/**
 * For one describe block: a client of the target for the whole block, a fresh key prefix per
 * test, and that prefix's keys deleted after each test.
 */
export function useRedis(target: Target): RedisTestConnection {
  const connection: { redis: RedisClient | undefined; prefix: string } = {
    redis: undefined,
    prefix: '',
  };
  const client = (): RedisClient => {
    if (!connection.redis)
      throw new Error('useRedis: the client is only there inside hooks and tests');
    return connection.redis;
  };
  beforeAll(() => {
    connection.redis = target.connect();
  });
  beforeEach(() => {
    connection.prefix = uniquePrefix();
  });
  afterEach(async () => {
    await cleanupKeys(client(), connection.prefix);
  });
  afterAll(async () => {
    await client().quit();
  });
  return {
    get redis() {
      return client();
    },
    get prefix() {
      return connection.prefix;
    },
  };
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free loopback ports (and their cluster bus ports, +10000) from `from`. */
export async function freePortRange(from: number, count: number): Promise<number | undefined> {
  for (let base = from; base < from + 200; base += 10) {
    let free = true;
    for (let port = base; port < base + count && free; port++)
      free = (await portFree(port)) && (await portFree(port + 10_000));
    if (free) return base;
  }
  return undefined;
}
