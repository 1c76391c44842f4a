/**
 * Child processes of the drills: worker processes (the real `sf-fanout-worker` CLI) and the
 * producer, on the shared process harness of `@sf/manager/testing`. What is drill-specific: the
 * app module, long enough stall counts for minutes of failover, failure summaries every 2 s, the
 * workers' Redis client events, and SF_DRILL_LOG_DIR (a copy of each child's stdout and stderr in
 * `<dir>/<name>.out` and `.err`, e.g. with DEBUG=ioredis:cluster* to see a worker's client).
 */
import { fileURLToPath } from 'node:url';
import { spawnNode as spawnChild, startWorkerProcess } from '@sf/manager/testing';
import type { Child } from '@sf/manager/testing';

export { failedAttemptsLogged, failureSnapshot, stop } from '@sf/manager/testing';
export type { Child } from '@sf/manager/testing';

export const appModule = fileURLToPath(new URL('./app.ts', import.meta.url));
export const producerScript = fileURLToPath(new URL('./producer.ts', import.meta.url));
const appDir = fileURLToPath(new URL('../../', import.meta.url));

/** Runs a TypeScript file of the drills in a child Node process. */
export function spawnNode(name: string, file: string, env: Record<string, string>): Child {
  return spawnChild(file, env, { name, cwd: appDir, logDir: process.env.SF_DRILL_LOG_DIR });
}

export interface WorkerOptions {
  name: string;
  env: Record<string, string>;
  concurrency?: number;
}

/** Starts a fanout worker process on the drill app; resolves when it takes jobs. */
export async function startWorker(options: WorkerOptions): Promise<Child> {
  return startWorkerProcess({
    name: options.name,
    cwd: appDir,
    logDir: process.env.SF_DRILL_LOG_DIR,
    managerModule: appModule,
    concurrency: options.concurrency,
    maxStalledCount: 10,
    readyTimeoutMs: 120_000,
    env: {
      ...options.env,
      // Failure summaries every 2 s, so a worker killed mid-run leaves a recent one.
      SF_FAILURE_SUMMARY_MS: '2000',
      // The worker's Redis client reports its connection events and slot-map refreshes (app.ts).
      SF_DRILL_CLIENT_EVENTS: '1',
    },
  });
}
