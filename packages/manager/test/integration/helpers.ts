import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import type { Activity } from '@sf/activity';
import { forEachLimited } from '@sf/feeds/backend';
import {
  spawnNode as spawnChild,
  startWorkerProcess,
  stop,
  workerCli,
} from '../../src/testing/index.js';
import type { Child } from '../../src/testing/index.js';
import type { App } from '../fixtures/app.js';

export { stop, workerCli };
export type { Child };

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const packageDir = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

/** Fresh key and queue prefixes for one test. */
export function prefixes(name: string) {
  const id = `${name}-${randomBytes(4).toString('hex')}`;
  return { keyPrefix: `sf-test:${id}:`, queuePrefix: `sf-test-bull-${id}` };
}

/** Runs a TypeScript file of this package in a child Node process (workspace sources through tsx). */
export function spawnNode(file: string, env: Record<string, string>): Child {
  return spawnChild(file, env, { cwd: packageDir, lineTimeoutMs: 30_000 });
}

export interface WorkerEnv {
  keyPrefix: string;
  queuePrefix: string;
  priorities?: string;
  concurrency?: number;
}

/** Starts `sf-fanout-worker` (from source) on the fixture app; resolves when it is ready. */
export async function startWorker(options: WorkerEnv): Promise<Child> {
  return startWorkerProcess({
    managerModule: fixture('app.ts'),
    cwd: packageDir,
    lineTimeoutMs: 30_000,
    concurrency: options.concurrency,
    env: {
      REDIS_URL,
      SF_KEY_PREFIX: options.keyPrefix,
      SF_QUEUE_PREFIX: options.queuePrefix,
      SF_PRIORITIES: options.priorities ?? 'HIGH,LOW',
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
