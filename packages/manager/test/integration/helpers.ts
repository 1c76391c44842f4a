import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Activity } from '@sf/activity';
import { forEachLimited } from '@sf/feeds/backend';
import {
  spawnNode as spawnChild,
  startWorkerProcess,
  stop,
  workerCli,
} from '../../src/testing/index.js';
import type { Child } from '../../src/testing/index.js';
import type { App, QueueBackendKind } from '../fixtures/app.js';

export { stop, workerCli };
export type { Child };

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const POSTGRES_URL =
  process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** The queue backends the BullMQ tests run on: the same tests, the queue on each. */
export const queueBackends: readonly QueueBackendKind[] = ['redis', 'postgres'];
export type { QueueBackendKind };
export const packageDir = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/**
 * A fresh key prefix and queue namespace for one test: BullMQ's key prefix on Redis, a schema
 * of its own on PostgreSQL (dropped by `deleteQueue`).
 */
export function prefixes(name: string, backend: QueueBackendKind = 'redis') {
  const hex = randomBytes(4).toString('hex');
  const id = `${name}-${hex}`;
  return {
    keyPrefix: `sf-test:${id}:`,
    queuePrefix:
      backend === 'postgres'
        ? `sf_test_bull_${name.replace(/[^a-z0-9]+/g, '_')}_${hex}`
        : `sf-test-bull-${id}`,
  };
}

/** The environment that puts a child process's queue where the test's is. */
export function queueEnv(backend: QueueBackendKind, queuePrefix: string): Record<string, string> {
  return backend === 'postgres'
    ? {
        SF_QUEUE_BACKEND: 'postgres',
        SF_QUEUE_POSTGRES_URL: POSTGRES_URL,
        SF_QUEUE_SCHEMA: queuePrefix,
      }
    : { SF_QUEUE_PREFIX: queuePrefix };
}

/** Deletes a test's queue namespace: its keys on Redis, its schema on PostgreSQL. */
export async function deleteQueue(backend: QueueBackendKind, queuePrefix: string): Promise<void> {
  if (backend === 'redis') return deleteKeys(`${queuePrefix}:`);
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${queuePrefix}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Runs a TypeScript file of this package in a child Node process (workspace sources through tsx). */
export function spawnNode(file: string, env: Record<string, string>): Child {
  return spawnChild(file, env, { cwd: packageDir, lineTimeoutMs: 30_000 });
}

export interface WorkerEnv {
  keyPrefix: string;
  queueBackend?: QueueBackendKind;
  queuePrefix: string;
  priorities?: string;
  concurrency?: number;
  /** The fixture the worker builds its manager from (default app.ts). */
  managerModule?: string;
  /** More environment. */
  env?: Record<string, string>;
}

/** Starts `sf-fanout-worker` (from source) on the fixture app; resolves when it is ready. */
export async function startWorker(options: WorkerEnv): Promise<Child> {
  return startWorkerProcess({
    managerModule: options.managerModule ?? fixture('app.ts'),
    cwd: packageDir,
    lineTimeoutMs: 30_000,
    concurrency: options.concurrency,
    env: {
      REDIS_URL,
      SF_KEY_PREFIX: options.keyPrefix,
      ...queueEnv(options.queueBackend ?? 'redis', options.queuePrefix),
      SF_PRIORITIES: options.priorities ?? 'HIGH,LOW',
      ...options.env,
    },
  });
}

/** Deletes every key under the prefixes. */
export async function deleteKeys(...patterns: string[]): Promise<void> {
  const redis = new Redis(REDIS_URL);
  try {
    for (const pattern of patterns) await deleteKeysWithPrefix(redis, pattern);
  } finally {
    await redis.quit();
  }
}

/**
 * Checks that every follower's flat and aggregated feed holds the activity exactly once, reading
 * the stored timelines (no hydration). Returns the followers whose feeds are wrong.
 */
export async function verifyFanout(
  app: App,
  followerIds: readonly number[],
  activity: Activity,
): Promise<string[]> {
  const id = activity.serializationId;
  const wrong: string[] = [];
  await forEachLimited(followerIds, 64, async (userId) => {
    const flat = await app.feeds.normal.timeline.get(app.feeds.normal.keyFor(userId), {
      offset: 0,
      limit: null,
    });
    const flatIds = flat.map((item) => item.serializationId);
    if (flatIds.length !== 1 || flatIds[0] !== id)
      wrong.push(`normal:${userId}=${JSON.stringify(flatIds)}`);
    const aggregated = await app.feeds.aggregated.timeline.get(
      app.feeds.aggregated.keyFor(userId),
      { offset: 0, limit: null },
    );
    const aggregatedIds = aggregated.map((item) => item.activityIds);
    if (
      aggregatedIds.length !== 1 ||
      aggregatedIds[0]!.length !== 1 ||
      aggregatedIds[0]![0] !== id
    ) {
      wrong.push(`aggregated:${userId}=${JSON.stringify(aggregatedIds)}`);
    }
  });
  return wrong;
}
