import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import { expect } from 'vitest';
import type { RuntimeConfig } from '../../src/config.js';
import { queueSchemaOf } from '../../src/runtime-postgres.js';
import type { Runtime } from '../../src/runtime.js';
import { dropSchema, postgresUrl, runSchema } from '../postgres.js';
import { APP_DIR, REPO_DIR } from './browser.js';

/**
 * The shared-storage modes the integration tests run in, each with its run's own namespace
 * (Redis key prefixes; PostgreSQL schemas) deleted afterwards, and the app's processes: the web
 * runtime in the test process, fanout workers as child processes (`src/worker.ts`) given the
 * same settings through their environment.
 */
export interface ModeSetup {
  /** createRuntime's settings for this run. */
  overrides: Partial<RuntimeConfig>;
  /** The same settings as environment variables, for child processes. */
  env: Record<string, string>;
  /** Checks that the run's data is where the mode keeps it. */
  expectDataStored(runtime: Runtime): Promise<void>;
  /** Deletes what `runtime.reset()` leaves (PostgreSQL schemas) and checks the mode's promises. */
  finish(): Promise<void>;
}

export interface SharedMode {
  name: 'redis' | 'postgres' | 'postgres-cache' | 'cassandra';
  /** What the mode keeps where, for test names. */
  label: string;
  /** Where BullMQ keeps the fanout jobs (the stats page says so). */
  queueService: 'Redis' | 'PostgreSQL';
  setup(tag: string): Promise<ModeSetup>;
}

function ensureRedis(): string {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  execFileSync('bash', [join(REPO_DIR, 'scripts', 'redis-single.sh'), 'ensure'], {
    stdio: 'inherit',
    timeout: 60_000,
  });
  return 'redis://127.0.0.1:6379';
}

const redisMode: SharedMode = {
  name: 'redis',
  label: 'Redis storage + BullMQ workers',
  queueService: 'Redis',
  async setup(tag) {
    const run = `${tag}-${process.pid}-${Date.now().toString(36)}`;
    const redisUrl = ensureRedis();
    const keyPrefix = `pinterest-test-${run}:`;
    const queuePrefix = `pinterest-test-bull-${run}`;
    return {
      overrides: { storage: 'redis', redisUrl, keyPrefix, queuePrefix },
      env: {
        SF_STORAGE: 'redis',
        REDIS_URL: redisUrl,
        SF_KEY_PREFIX: keyPrefix,
        SF_QUEUE_PREFIX: queuePrefix,
      },
      async expectDataStored(runtime) {
        const [, keys] = await runtime.redis!.scan('0', 'MATCH', `${keyPrefix}*`, 'COUNT', 10_000);
        expect(keys.length).toBeGreaterThan(0);
      },
      finish: async () => undefined,
    };
  },
};

/**
 * A TCP server standing where Redis would be: it counts the connections it gets and closes them.
 * The postgres mode points REDIS_URL at it and expects none.
 */
async function redisTrap(): Promise<{ url: string; connections: () => number; close(): void }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `redis://127.0.0.1:${port}`,
    connections: () => connections,
    close: () => server.close(),
  };
}

const postgresMode: SharedMode = {
  name: 'postgres',
  label: 'PostgreSQL only: feeds, domain store and BullMQ jobs',
  queueService: 'PostgreSQL',
  async setup(tag) {
    const url = postgresUrl();
    const schema = runSchema(`pinterest_${tag}`);
    const trap = await redisTrap();
    // Whatever would read REDIS_URL in this process finds the trap too.
    const previousRedisUrl = process.env.REDIS_URL;
    process.env.REDIS_URL = trap.url;
    const overrides: Partial<RuntimeConfig> = {
      storage: 'postgres',
      postgres: { url, schema },
      redisUrl: trap.url,
    };
    return {
      overrides,
      env: {
        SF_STORAGE: 'postgres',
        SF_POSTGRES_URL: url,
        SF_POSTGRES_SCHEMA: schema,
        REDIS_URL: trap.url,
      },
      async expectDataStored(runtime) {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          const { rows } = await client.query<{ n: string }>(
            'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1',
            [schema],
          );
          // The app's eight tables and the feed backend's.
          expect(Number(rows[0]!.n)).toBeGreaterThan(8);
          const users = await client.query<{ n: string }>(
            `SELECT count(*) AS n FROM "${schema}".app_users`,
          );
          expect(Number(users.rows[0]!.n)).toBe((await runtime.store.totals()).users);
        } finally {
          await client.end();
        }
      },
      async finish() {
        if (previousRedisUrl === undefined) delete process.env.REDIS_URL;
        else process.env.REDIS_URL = previousRedisUrl;
        trap.close();
        await dropSchema(url, schema);
        await dropSchema(url, queueSchemaOf(schema));
        // No process of this mode (web runtime, workers, a second runtime) ever called Redis.
        expect(trap.connections()).toBe(0);
      },
    };
  },
};

/**
 * PostgreSQL with a Redis cache in front of the flat feeds (SF_FEED_CACHE=redis,
 * `@sf/storage-tiered`): the web process and the workers write both; reads fill the cache.
 */
const postgresCacheMode: SharedMode = {
  name: 'postgres-cache',
  label: 'PostgreSQL + a Redis feed cache (SF_FEED_CACHE=redis)',
  queueService: 'PostgreSQL',
  async setup(tag) {
    const url = postgresUrl();
    const schema = runSchema(`pinterest_${tag.replace(/-/g, '_')}`);
    const redisUrl = ensureRedis();
    const keyPrefix = `pinterest-test-${tag}-${process.pid}-${Date.now().toString(36)}:`;
    const overrides: Partial<RuntimeConfig> = {
      storage: 'postgres',
      postgres: { url, schema, feedCache: 'redis' },
      redisUrl,
      keyPrefix,
    };
    return {
      overrides,
      env: {
        SF_STORAGE: 'postgres',
        SF_POSTGRES_URL: url,
        SF_POSTGRES_SCHEMA: schema,
        SF_FEED_CACHE: 'redis',
        REDIS_URL: redisUrl,
        SF_KEY_PREFIX: keyPrefix,
      },
      async expectDataStored(runtime) {
        expect((await runtime.store.totals()).users).toBeGreaterThan(0);
        const redis = new Redis(redisUrl);
        try {
          // Feeds read were filled into the cache: timelines and their `:cached` states.
          const [, keys] = await redis.scan('0', 'MATCH', `${keyPrefix}cache:*`, 'COUNT', 10_000);
          expect(keys.some((key) => key.endsWith(':cached'))).toBe(true);
        } finally {
          await redis.quit();
        }
      },
      async finish() {
        const redis = new Redis(redisUrl);
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
        await dropSchema(url, schema);
        await dropSchema(url, queueSchemaOf(schema));
      },
    };
  },
};

/**
 * Cassandra mode (feeds in a keyspace of this run, dropped at the end; notifications, the
 * activity clock, the domain store and BullMQ in Redis). Not in SHARED_MODES (a Cassandra node
 * is slow to start and not always wanted): tests opt in with `cassandraModes()`.
 */
export const cassandraMode: SharedMode = {
  name: 'cassandra',
  label: 'Cassandra feeds + Redis + BullMQ workers',
  queueService: 'Redis',
  async setup(tag) {
    const run = `${tag}_${process.pid}_${Date.now().toString(36)}`;
    const redisUrl = ensureRedis();
    const port = Number(process.env.CASSANDRA_PORT || 9042);
    const contactPoints = (process.env.CASSANDRA_CONTACT_POINTS || '127.0.0.1')
      .split(',')
      .map((p) => (p.includes(':') ? p : `${p}:${port}`));
    const keyspace = `pinterest_test_${run}`.toLowerCase();
    const keyPrefix = `pinterest-test-${run}:`;
    const queuePrefix = `pinterest-test-bull-${run}`;
    const localDataCenter = process.env.CASSANDRA_LOCAL_DC || 'datacenter1';
    return {
      overrides: {
        storage: 'cassandra',
        redisUrl,
        keyPrefix,
        queuePrefix,
        cassandra: { contactPoints, localDataCenter, keyspace },
      },
      env: {
        SF_STORAGE: 'cassandra',
        REDIS_URL: redisUrl,
        SF_KEY_PREFIX: keyPrefix,
        SF_QUEUE_PREFIX: queuePrefix,
        CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
        CASSANDRA_LOCAL_DC: localDataCenter,
        SF_CASSANDRA_KEYSPACE: keyspace,
      },
      async expectDataStored(runtime) {
        expect((await runtime.store.totals()).users).toBeGreaterThan(0);
      },
      async finish() {
        const { cassandraStorage } = await import('@sf/storage-cassandra');
        const storage = cassandraStorage({ contactPoints, localDataCenter, keyspace });
        try {
          await storage.dropKeyspace();
        } finally {
          await storage.close();
        }
        const redis = new Redis(redisUrl);
        await deleteKeysWithPrefix(redis, keyPrefix);
        await redis.quit();
      },
    };
  },
};

/** `[cassandraMode]`, or none with SF_CASSANDRA=0. */
export function cassandraModes(): SharedMode[] {
  return process.env.SF_CASSANDRA === '0' ? [] : [cassandraMode];
}

/** The modes whose processes share their storage: every test here runs in each. */
export const SHARED_MODES: SharedMode[] = [redisMode, postgresMode, postgresCacheMode];

export interface WorkerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: string[];
  ready: Promise<void>;
}

/** `src/worker.ts` in a child process with `env`; `ready` resolves on its "ready" log line. */
export function startWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=@sf/source', '--import', 'tsx', 'src/worker.ts'],
    {
      cwd: APP_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not start within 60 s:\n${output.join('')}`)),
      60_000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code}:\n${output.join('')}`));
    });
  });
  ready.catch(() => undefined);
  return { child, output, ready };
}

/** SIGTERM (SIGKILL after 15 s); resolves with the exit code. */
export async function stopWorker(worker: WorkerProcess | undefined): Promise<number | null> {
  if (!worker || worker.child.exitCode !== null) return worker?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) =>
    worker.child.once('exit', (code) => resolve(code)),
  );
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/**
 * The end of a shared-mode test file, in order: closes the app, stops the worker, empties and
 * closes the runtime, then the mode deletes and checks what it keeps. A part a failed
 * `beforeAll` did not start is passed over. Resolves with the worker's exit code (null without
 * a worker).
 */
export async function finishModeRun(parts: {
  setup: ModeSetup | undefined;
  runtime: Runtime | undefined;
  app: { close(): Promise<unknown> } | undefined;
  worker?: WorkerProcess | undefined;
}): Promise<number | null> {
  await parts.app?.close();
  const code = await stopWorker(parts.worker);
  if (parts.runtime) {
    await parts.runtime.reset();
    await parts.runtime.close();
  }
  await parts.setup?.finish();
  return code;
}
