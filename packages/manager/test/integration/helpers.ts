import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { deleteKeysWithPrefix } from '@sf/storage-redis';
import { Redis } from 'ioredis';
import type { Activity } from '@sf/activity';
import { forEachLimited } from '@sf/feeds/backend';
import type { App } from '../fixtures/app.js';

export const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
export const packageDir = fileURLToPath(new URL('../../', import.meta.url));
export const fixture = (name: string) =>
  fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
export const workerCli = fileURLToPath(new URL('../../src/worker-cli.ts', import.meta.url));

/** Fresh key and queue prefixes for one test. */
export function prefixes(name: string) {
  const id = `${name}-${randomBytes(4).toString('hex')}`;
  return { keyPrefix: `sf-test:${id}:`, queuePrefix: `sf-test-bull-${id}` };
}

export interface Child {
  process: ChildProcess;
  lines: string[];
  stderr: string[];
  /** Resolves with the first stdout line that matches. */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs a TypeScript file in a child Node process (workspace sources through tsx). */
export function spawnNode(file: string, env: Record<string, string>): Child {
  const child = spawn(process.execPath, ['--conditions=@sf/source', '--import', 'tsx', file], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  const waiters = new Set<() => void>();
  let buffer = '';
  child.stdout.setEncoding('utf8').on('data', (data: string) => {
    buffer += data;
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts.filter(Boolean));
    for (const waiter of waiters) waiter();
  });
  child.stderr.setEncoding('utf8').on('data', (data: string) => stderr.push(data));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const waiter of waiters) waiter();
      resolve({ code, signal });
    }),
  );
  const waitForLine = (match: (line: string) => boolean, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find(match);
        if (line !== undefined) {
          cleanup();
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          cleanup();
          reject(
            new Error(
              `child exited (${child.exitCode ?? child.signalCode}) before the line; stderr: ${stderr.join('').slice(-2000)}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new Error(
            `timed out waiting for a line; stdout: ${lines.join('\n').slice(-1000)} stderr: ${stderr.join('').slice(-2000)}`,
          ),
        );
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { process: child, lines, stderr, waitForLine, exited };
}

export interface WorkerEnv {
  keyPrefix: string;
  queuePrefix: string;
  priorities?: string;
  concurrency?: number;
}

/** Starts `sf-fanout-worker` (from source) on the fixture app; resolves when it is ready. */
export async function startWorker(options: WorkerEnv): Promise<Child> {
  const child = spawnNode(workerCli, {
    REDIS_URL,
    SF_MANAGER_MODULE: fixture('app.ts'),
    SF_KEY_PREFIX: options.keyPrefix,
    SF_QUEUE_PREFIX: options.queuePrefix,
    SF_PRIORITIES: options.priorities ?? 'HIGH,LOW',
    SF_CONCURRENCY: String(options.concurrency ?? 4),
    // Small enough that a killed worker's jobs are back within seconds (see the README).
    SF_LOCK_DURATION: '3000',
    SF_STALLED_INTERVAL: '1000',
    SF_MAX_STALLED_COUNT: '5',
  });
  await child.waitForLine((line) => line.includes('"event":"ready"'), 60_000);
  return child;
}

/** Stops a child with SIGTERM (graceful) and waits for it. */
export async function stop(child: Child | undefined): Promise<void> {
  if (!child || child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), 20_000);
  await child.exited;
  clearTimeout(timer);
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
