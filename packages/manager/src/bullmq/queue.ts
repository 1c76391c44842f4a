/**
 * The BullMQ fanout queue. Its parts: the backend, Redis or PostgreSQL (backend.ts), the Redis
 * connection (connection.ts), tasks as jobs and waiting for them (jobs.ts), workers (worker.ts)
 * and what a worker does with failures (failures.ts).
 */
import { randomUUID } from 'node:crypto';
import { FanoutQueueClosedError, invalidOption } from '../errors.js';
import { FanoutPriority, fanoutPriorities } from '../fanout-queue.js';
import type {
  EnqueueResult,
  FanoutQueue,
  ManagerTask,
  TaskExecutor,
  WaitOptions,
} from '../fanout-queue.js';
import { positiveInteger } from '../options.js';
import { createQueue, queueTarget } from './backend.js';
import type { FanoutBullmqQueue, FanoutQueueBackend, QueueTarget } from './backend.js';
import type { FanoutConnection } from './connection.js';
import { addJobs, jobsByPriority, waitForJobs } from './jobs.js';
import type { FanoutJobOptions, JobRefs } from './jobs.js';
import { startWorker } from './worker.js';
import type { FanoutWorker, FanoutWorkerOptions } from './worker.js';

export interface BullmqFanoutQueueOptions {
  /**
   * Where the queues live: Redis (default, through `connection`) or PostgreSQL
   * (`{ type: 'postgres', connectionString, schema }`, BullMQ's PostgreSQL backend; needs `pg`).
   */
  backend?: FanoutQueueBackend;
  /** The Redis connection (a `redis://` URL, ioredis options or client); Redis backend only. */
  connection?: FanoutConnection;
  /**
   * BullMQ key prefix (default `bull`); Redis backend only (on PostgreSQL, `backend.schema`
   * namespaces the queues). Use a hash tag such as `{sf}` on Redis Cluster.
   */
  prefix?: string;
  /** Queue name per priority (default `fanout-high` and `fanout-low`). */
  queueNames?: Partial<Record<FanoutPriority, string>>;
  jobOptions?: FanoutJobOptions;
  /** Longest pause between two checks of `wait()` (ms, default 250; checks start at 10 ms). */
  waitPollInterval?: number;
}

const DEFAULT_QUEUE_NAMES: Record<FanoutPriority, string> = {
  [FanoutPriority.HIGH]: 'fanout-high',
  [FanoutPriority.LOW]: 'fanout-low',
};

function checkQueueNames(
  queueNames: Partial<Record<FanoutPriority, string>> | undefined,
): Record<FanoutPriority, string> {
  const names = { ...DEFAULT_QUEUE_NAMES, ...queueNames };
  for (const priority of fanoutPriorities) {
    const name = names[priority];
    if (typeof name !== 'string' || name.length === 0 || name.includes(':')) {
      throw invalidOption(
        `queueNames.${priority} must be a non-empty name without ':', got ${JSON.stringify(name)}`,
        `queueNames.${priority}`,
        name,
      );
    }
  }
  if (names.HIGH === names.LOW) {
    throw invalidOption(
      `HIGH and LOW need their own queues, both are named ${JSON.stringify(names.HIGH)}`,
      'queueNames',
      names,
    );
  }
  return names;
}

/**
 * The BullMQ fanout queue: one queue per priority in Redis or PostgreSQL, and workers in any number of
 * processes and machines (`createWorker`, or the `sf-fanout-worker` CLI).
 *
 * Jobs hold plain data only (follower ids, serialised activities, the feed's name); workers look
 * feed definitions up by name in their own manager. Every job is idempotent, so retries and jobs
 * re-run after a worker crash (stalled jobs) leave feeds as a single run would.
 */
export class BullmqFanoutQueue implements FanoutQueue {
  /** Where the queues live: `redis` or `postgres`. */
  readonly backend: 'redis' | 'postgres';
  /** The namespace of the queues: the key prefix on Redis, the schema on PostgreSQL. */
  readonly prefix: string;
  readonly queueNames: Readonly<Record<FanoutPriority, string>>;
  readonly jobOptions: Required<FanoutJobOptions>;
  readonly waitPollInterval: number;
  readonly #target: QueueTarget;
  readonly #queues = new Map<FanoutPriority, FanoutBullmqQueue>();
  readonly #workers = new Set<FanoutWorker>();
  #executor: TaskExecutor | undefined;
  #closed = false;

  constructor(options: BullmqFanoutQueueOptions) {
    if (typeof options !== 'object' || options === null)
      throw invalidOption('bullmqFanoutQueue needs options', 'options', options);
    this.#target = queueTarget(options);
    this.backend = this.#target.type;
    this.prefix = this.#target.type === 'redis' ? this.#target.prefix : this.#target.schema;
    this.queueNames = Object.freeze(checkQueueNames(options.queueNames));
    const jobOptions = options.jobOptions ?? {};
    this.jobOptions = {
      attempts: positiveInteger('jobOptions.attempts', jobOptions.attempts, 5),
      backoff: jobOptions.backoff ?? { type: 'exponential', delay: 1000 },
      removeOnComplete: jobOptions.removeOnComplete ?? { age: 3600, count: 1000 },
      removeOnFail: jobOptions.removeOnFail ?? { age: 7 * 24 * 3600 },
    };
    this.waitPollInterval = positiveInteger('waitPollInterval', options.waitPollInterval, 250);
  }

  bind(executor: TaskExecutor): void {
    this.#executor = executor;
  }

  /** The BullMQ queue of a priority (created on first use). */
  queue(priority: FanoutPriority): FanoutBullmqQueue {
    if (!fanoutPriorities.includes(priority)) {
      throw invalidOption(
        `unknown fanout priority ${JSON.stringify(priority)}; use HIGH or LOW`,
        'priority',
        priority,
      );
    }
    let queue = this.#queues.get(priority);
    if (!queue) {
      if (this.#closed) throw new FanoutQueueClosedError();
      queue = createQueue(this.#target, this.queueNames[priority]);
      queue.on('error', () => {
        // Connection errors surface as rejected calls; ioredis and pg reconnect by themselves.
      });
      this.#queues.set(priority, queue);
    }
    return queue;
  }

  async enqueue(tasks: readonly ManagerTask[]): Promise<EnqueueResult> {
    if (this.#closed) throw new FanoutQueueClosedError();
    const byPriority = jobsByPriority(tasks, randomUUID(), this.jobOptions);
    const refs: JobRefs = new Map();
    for (const [priority, jobs] of byPriority) {
      await addJobs(this.queue(priority), jobs);
      refs.set(
        priority,
        jobs.map((job) => job.opts.jobId),
      );
    }
    return {
      tasks: tasks.length,
      wait: (waitOptions?: WaitOptions) => this.waitForJobs(refs, waitOptions),
    };
  }

  /** Resolves when every job completed; rejects (`FanoutFailedError`) if one failed for good. */
  async waitForJobs(refs: JobRefs, options: WaitOptions = {}): Promise<void> {
    return waitForJobs((priority) => this.queue(priority), refs, this.waitPollInterval, options);
  }

  /** Job counts per priority (waiting, active, delayed, completed, failed, ...). */
  async counts(): Promise<Record<FanoutPriority, Record<string, number>>> {
    const result = {} as Record<FanoutPriority, Record<string, number>>;
    for (const priority of fanoutPriorities) {
      result[priority] = await this.queue(priority).getJobCounts(
        'waiting',
        'active',
        'delayed',
        'completed',
        'failed',
        'prioritized',
      );
    }
    return result;
  }

  /**
   * Starts a worker for the given priorities: one BullMQ worker per priority queue, each running
   * `concurrency` jobs at once. Start as many as you like, in any process that can build the
   * manager with the same feed definitions.
   */
  createWorker(options: FanoutWorkerOptions = {}): FanoutWorker {
    if (this.#closed) throw new FanoutQueueClosedError();
    const worker = startWorker(
      {
        target: this.#target,
        queueNames: this.queueNames,
        executor: this.#executor,
        onClosed: (closed) => this.#workers.delete(closed),
      },
      options,
    );
    this.#workers.add(worker);
    return worker;
  }

  /** Deletes both queues and all their jobs (tests, resets). Do not call while workers run jobs. */
  async obliterate(): Promise<void> {
    for (const priority of fanoutPriorities) await this.queue(priority).obliterate({ force: true });
  }

  /** Closes the workers this queue started (waiting for their running jobs), then the queues. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#workers].map((worker) => worker.close()));
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
  }
}

/**
 * `bullmqFanoutQueue({ connection: 'redis://127.0.0.1:6379' })`, or
 * `bullmqFanoutQueue({ backend: { type: 'postgres', connectionString: 'postgres://...' } })`:
 * the fanout queue on BullMQ.
 */
export function bullmqFanoutQueue(options: BullmqFanoutQueueOptions): BullmqFanoutQueue {
  return new BullmqFanoutQueue(options);
}
