/**
 * Starting a BullMQ fanout worker from environment variables (what `sf-fanout-worker` runs).
 *
 *   SF_MANAGER_MODULE    path (or URL) of a module exporting `createManager()`, which returns
 *                        (or resolves to) the app's Manager; optional `closeManager(manager)`
 *                        export, called on shutdown (close storage connections there)
 *   SF_QUEUE_BACKEND     redis (default) or postgres: where the queues live
 *   REDIS_URL            redis:// URL of the queues (default redis://127.0.0.1:6379; Redis backend)
 *   SF_QUEUE_POSTGRES_URL  postgres:// URL of the queues (PostgreSQL backend; default
 *                        SF_POSTGRES_URL, one of them required)
 *   SF_QUEUE_SCHEMA      schema of BullMQ's tables (PostgreSQL backend, default bullmq)
 *   SF_PRIORITIES        queues to work on: HIGH, LOW or HIGH,LOW (default HIGH,LOW)
 *   SF_CONCURRENCY       jobs at once per queue (default 4)
 *   SF_QUEUE_PREFIX      BullMQ key prefix (default bull; Redis backend only)
 *   SF_QUEUE_HIGH, SF_QUEUE_LOW   queue names (default fanout-high, fanout-low)
 *   SF_LOCK_DURATION, SF_STALLED_INTERVAL (ms), SF_MAX_STALLED_COUNT   stalled-job handling
 *   SF_WORKER_NAME       names the worker in Redis and in `job.processedBy` (default <host>-<pid>)
 *
 * Failed job attempts are counted in `failures` (per kind of error, see failure-log.ts) instead of
 * being logged one line each; the first failure of each kind is logged to stderr at once.
 *
 * When the manager's own queue is a BullmqFanoutQueue, its connection, prefix and queue names are
 * used and the REDIS_URL / SF_QUEUE_* variables are ignored.
 * Bad values fail with an `InvalidArgumentError` (code `SF_INVALID_OPTION`) naming the variable.
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BullmqFanoutQueue } from './bullmq/queue.js';
import type { BullmqFanoutQueueOptions } from './bullmq/queue.js';
import { jobName } from './bullmq/jobs.js';
import type { FanoutWorker } from './bullmq/worker.js';
import { invalidOption } from './errors.js';
import { FailureSummary } from './failure-log.js';
import { FanoutPriority, fanoutPriorities } from './fanout-queue.js';
import type { TaskExecutor } from './fanout-queue.js';

type Env = Record<string, string | undefined>;

export interface ManagerModule {
  createManager(): TaskExecutor | Promise<TaskExecutor>;
  closeManager?(manager: TaskExecutor): void | Promise<void>;
}

export interface RunningWorker {
  worker: FanoutWorker;
  /** Failed job attempts so far, summarised per kind of error. */
  failures: FailureSummary;
  /** Stops the worker (waiting for running jobs), closes the queue and the manager. */
  stop(): Promise<void>;
}

function intFromEnv(env: Env, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw invalidOption(
      `${name} must be a positive integer, got ${JSON.stringify(raw)}`,
      name,
      raw,
    );
  return value;
}

export function prioritiesFromEnv(raw: string | undefined): FanoutPriority[] {
  if (raw === undefined || raw.trim() === '') return [...fanoutPriorities];
  const priorities = raw
    .split(',')
    .map((part) => part.trim().toUpperCase())
    .filter(Boolean);
  for (const priority of priorities) {
    if (!fanoutPriorities.includes(priority as FanoutPriority)) {
      throw invalidOption(
        `SF_PRIORITIES takes HIGH and/or LOW separated by commas, got ${JSON.stringify(raw)}`,
        'SF_PRIORITIES',
        raw,
      );
    }
  }
  return [...new Set(priorities)] as FanoutPriority[];
}

async function loadManagerModule(specifier: string): Promise<ManagerModule> {
  const url =
    /^[a-z]+:/i.test(specifier) && !isAbsolute(specifier)
      ? specifier
      : pathToFileURL(resolve(specifier)).href;
  const module = (await import(url)) as Partial<ManagerModule> & {
    default?: Partial<ManagerModule>;
  };
  const found = typeof module.createManager === 'function' ? module : module.default;
  if (!found || typeof found.createManager !== 'function') {
    throw invalidOption(
      `SF_MANAGER_MODULE ${specifier} must export createManager()`,
      'SF_MANAGER_MODULE',
      specifier,
    );
  }
  return found as ManagerModule;
}

/** Where the queues live, from SF_QUEUE_BACKEND and the variables of that backend. */
export function queueOptionsFromEnv(env: Env = process.env): BullmqFanoutQueueOptions {
  const queueNames = {
    ...(env.SF_QUEUE_HIGH ? { HIGH: env.SF_QUEUE_HIGH } : {}),
    ...(env.SF_QUEUE_LOW ? { LOW: env.SF_QUEUE_LOW } : {}),
  };
  const backend = (env.SF_QUEUE_BACKEND || 'redis').trim().toLowerCase();
  if (backend === 'redis') {
    return {
      connection: env.REDIS_URL || 'redis://127.0.0.1:6379',
      prefix: env.SF_QUEUE_PREFIX || undefined,
      queueNames,
    };
  }
  if (backend !== 'postgres')
    throw invalidOption(
      `SF_QUEUE_BACKEND is redis or postgres, got ${JSON.stringify(env.SF_QUEUE_BACKEND)}`,
      'SF_QUEUE_BACKEND',
      env.SF_QUEUE_BACKEND,
    );
  const url = env.SF_QUEUE_POSTGRES_URL || env.SF_POSTGRES_URL;
  if (!url)
    throw invalidOption(
      'SF_QUEUE_BACKEND=postgres needs SF_QUEUE_POSTGRES_URL (or SF_POSTGRES_URL), a postgres:// URL',
      'SF_QUEUE_POSTGRES_URL',
      url,
    );
  if (!/^postgres(ql)?:\/\/./.test(url))
    throw invalidOption(
      `SF_QUEUE_POSTGRES_URL must be a postgres:// or postgresql:// URL, got ${JSON.stringify(url)}`,
      'SF_QUEUE_POSTGRES_URL',
      url,
    );
  if (env.SF_QUEUE_PREFIX)
    throw invalidOption(
      'SF_QUEUE_PREFIX is the Redis key prefix; with SF_QUEUE_BACKEND=postgres use SF_QUEUE_SCHEMA',
      'SF_QUEUE_PREFIX',
      env.SF_QUEUE_PREFIX,
    );
  const schema = env.SF_QUEUE_SCHEMA || undefined;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw invalidOption(
      `SF_QUEUE_SCHEMA must be lowercase letters, digits and _ (not starting with a digit, at most 63), got ${JSON.stringify(schema)}`,
      'SF_QUEUE_SCHEMA',
      schema,
    );
  return {
    backend: { type: 'postgres', connectionString: url, ...(schema ? { schema } : {}) },
    queueNames,
  };
}

/** Starts a worker as the `sf-fanout-worker` CLI does (the CLI adds signal handling and logging). */
export async function startWorkerFromEnv(env: Env = process.env): Promise<RunningWorker> {
  const specifier = env.SF_MANAGER_MODULE;
  if (!specifier)
    throw invalidOption(
      'set SF_MANAGER_MODULE to a module exporting createManager()',
      'SF_MANAGER_MODULE',
      specifier,
    );
  const settings = {
    priorities: prioritiesFromEnv(env.SF_PRIORITIES),
    concurrency: intFromEnv(env, 'SF_CONCURRENCY'),
    lockDuration: intFromEnv(env, 'SF_LOCK_DURATION'),
    stalledInterval: intFromEnv(env, 'SF_STALLED_INTERVAL'),
    maxStalledCount: intFromEnv(env, 'SF_MAX_STALLED_COUNT'),
    name: env.SF_WORKER_NAME || undefined,
  };
  const module = await loadManagerModule(specifier);
  const manager = await module.createManager();
  if (!manager || typeof manager.runTask !== 'function') {
    throw invalidOption(
      `createManager() of ${specifier} must return a Manager`,
      'SF_MANAGER_MODULE',
      specifier,
    );
  }
  const own = (manager as { queue?: unknown }).queue;
  const queue =
    own instanceof BullmqFanoutQueue ? own : new BullmqFanoutQueue(queueOptionsFromEnv(env));
  const failures = new FailureSummary();
  const worker = queue.createWorker({
    manager,
    ...settings,
    onFailed: (error, task, attempts) => {
      const { kind, first } = failures.record(error);
      if (first && kind) {
        console.error(
          `fanout job ${task ? jobName(task) : '?'} failed (attempt ${attempts}): ${kind.errorClass}: ${error.message} (first failure of this kind; further ones are counted)`,
        );
      }
    },
  });
  await worker.waitUntilReady();
  let stopping: Promise<void> | undefined;
  return {
    worker,
    failures,
    stop: () =>
      (stopping ??= (async () => {
        await worker.close();
        if (queue !== own) await queue.close();
        await module.closeManager?.(manager);
      })()),
  };
}
