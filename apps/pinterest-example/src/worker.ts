/**
 * The fanout worker of the Redis, Cassandra and PostgreSQL modes: `pnpm worker` (run as many as
 * you like).
 * It builds the app's Manager (the same feed definitions as the web process) and runs BullMQ
 * fanout jobs through the manager package's worker entry (`startWorkerFromEnv`, what the
 * `sf-fanout-worker` CLI runs). The same module works with that CLI:
 *
 *   SF_MANAGER_MODULE=apps/pinterest-example/src/worker.ts sf-fanout-worker
 *
 * Environment: SF_STORAGE (redis | cassandra | postgres), REDIS_URL, SF_KEY_PREFIX (redis and
 * cassandra), SF_POSTGRES_URL, SF_POSTGRES_SCHEMA (postgres: the jobs are in PostgreSQL too, and
 * no Redis is used), SF_QUEUE_PREFIX, SF_PRIORITIES (HIGH,LOW), SF_CONCURRENCY (4) and the CLI's
 * other variables.
 */
import type { Manager } from '@sf/manager';
import { runIfEntry } from './entry.js';
import { ConfigError, configFromEnv, createRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';

const runtimes = new WeakMap<Manager, Runtime>();

/** For `sf-fanout-worker`: the app's Manager, on a BullMQ queue. */
export async function createManager(): Promise<Manager> {
  const config = configFromEnv();
  if (config.storage === 'memory') {
    throw new ConfigError(
      'the worker is for SF_STORAGE=redis, cassandra or postgres; in memory mode the web process runs the fanout itself',
      { path: 'SF_STORAGE', value: config.storage },
    );
  }
  const runtime = await createRuntime(config);
  runtimes.set(runtime.manager, runtime);
  return runtime.manager;
}

/** For `sf-fanout-worker`: closes the storage connections on shutdown. */
export async function closeManager(manager: Manager): Promise<void> {
  await runtimes.get(manager)?.close();
}

function log(event: string, fields: Record<string, unknown> = {}): void {
  console.log(
    JSON.stringify({ event, pid: process.pid, time: new Date().toISOString(), ...fields }),
  );
}

async function main(): Promise<void> {
  const { startWorkerFromEnv } = await import('@sf/manager/bullmq');
  const running = await startWorkerFromEnv({ ...process.env, SF_MANAGER_MODULE: import.meta.url });
  const queue = running.worker;
  log('ready', { priorities: queue.priorities });
  for (const worker of queue.workers) {
    worker.on('completed', (job) =>
      log('job', {
        queue: worker.name,
        name: job.name,
        ms: job.finishedOn && job.processedOn ? job.finishedOn - job.processedOn : undefined,
      }),
    );
  }
  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    if (++signals > 1) process.exit(1);
    log('stopping', { signal });
    running.stop().then(
      () => {
        log('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        console.error('worker: error while stopping:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

runIfEntry(import.meta.url, 'worker', main);
