import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { SfError } from '@sf/activity';
import { Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type {
  BackoffOptions,
  RedisOptions as BullmqRedisOptions,
  ConnectionOptions,
  KeepJobs,
} from 'bullmq';
import type { Cluster, Redis, RedisOptions } from 'ioredis';
import { positiveInteger } from './options.js';
import { FanoutPriority, fanoutPriorities } from './tasks.js';
import type {
  EnqueueResult,
  FanoutQueue,
  ManagerTask,
  TaskExecutor,
  WaitOptions,
} from './tasks.js';

/** A Redis connection: a `redis://` / `rediss://` URL, ioredis options, or an ioredis client. */
export type FanoutConnection = string | RedisOptions | Redis | Cluster;

export interface FanoutJobOptions {
  /** Runs per job before it fails for good (default 5). */
  attempts?: number;
  /** Delay between attempts (default exponential from 1 s: 1, 2, 4, 8 s). */
  backoff?: number | BackoffOptions;
  /**
   * Completed jobs kept (default: up to an hour and at most 1000 per queue). `wait()` treats a
   * job that is gone as completed, so never remove failed jobs faster than you wait for them.
   */
  removeOnComplete?: KeepJobs | boolean | number;
  /** Failed jobs kept (default a week), so `wait()` and operators can see why they failed. */
  removeOnFail?: KeepJobs | boolean | number;
}

export interface BullmqFanoutQueueOptions {
  connection: FanoutConnection;
  /** BullMQ key prefix (default `bull`). Use a hash tag such as `{sf}` on Redis Cluster. */
  prefix?: string;
  /** Queue name per priority (default `fanout-high` and `fanout-low`). */
  queueNames?: Partial<Record<FanoutPriority, string>>;
  jobOptions?: FanoutJobOptions;
  /** Longest pause between two checks of `wait()` (ms, default 250; checks start at 10 ms). */
  waitPollInterval?: number;
}

export interface FanoutWorkerOptions {
  /** The manager whose feed definitions run the jobs (default: the manager bound to this queue). */
  manager?: TaskExecutor;
  /** Queues this worker takes jobs from (default both, HIGH and LOW). */
  priorities?: readonly FanoutPriority[];
  /** Jobs run at once, per priority queue (default 4). */
  concurrency?: number;
  /**
   * How long a job stays locked to this worker without a renewal (ms, default 10 000; renewed
   * every half of it). A worker that dies loses its locks after this long.
   */
  lockDuration?: number;
  /**
   * How often this worker looks for stalled jobs, i.e. active jobs whose lock expired because
   * their worker died, and puts them back in the queue (ms, default 5000).
   */
  stalledInterval?: number;
  /** Times a job may stall before it fails for good (default 3; re-running a job is harmless). */
  maxStalledCount?: number;
  /** Names this worker in Redis and in the jobs it ran (`job.processedBy`); default `<host>-<pid>`. */
  name?: string;
  /** Called when a job failed an attempt (default: logs the error to the console). */
  onFailed?: (error: Error, task: ManagerTask | undefined, attemptsMade: number) => void;
  /** Called with connection and worker errors (default: logs to the console). */
  onError?: (error: Error) => void;
}

/** A running worker of one or more priority queues. */
export interface FanoutWorker {
  readonly priorities: readonly FanoutPriority[];
  readonly workers: readonly Worker<ManagerTask>[];
  /** Resolves when every queue's worker is connected and taking jobs. */
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, then disconnects (`force`: do not wait). */
  close(force?: boolean): Promise<void>;
}

const DEFAULT_QUEUE_NAMES: Record<FanoutPriority, string> = {
  [FanoutPriority.HIGH]: 'fanout-high',
  [FanoutPriority.LOW]: 'fanout-low',
};

/** `wait()` reads job states in batches of this many, and stops a check after this many unfinished. */
const WAIT_BATCH = 64;
const WAIT_WINDOW = 256;

/** Errors that will not go away by retrying: the job fails at once. */
const UNRECOVERABLE_CODES = new Set([
  'SF_UNKNOWN_FEED',
  'SF_UNKNOWN_TASK',
  'SF_INVALID_ACTIVITY',
  'SF_SERIALIZATION',
  'SF_UNKNOWN_VERB',
]);

/**
 * ioredis options as BullMQ's option type takes them. ioredis 6 also allows `retryStrategy:
 * null` (never reconnect), which BullMQ's type (written for ioredis 5) lacks; a strategy that
 * returns null means the same to ioredis 5 and 6.
 */
function bullmqRedisOptions(options: RedisOptions): BullmqRedisOptions {
  const { retryStrategy, ...rest } = options;
  return retryStrategy === null
    ? { ...rest, retryStrategy: () => null }
    : { ...rest, retryStrategy };
}

function isRedisClient(connection: FanoutConnection): connection is Redis | Cluster {
  return (
    typeof connection === 'object' &&
    connection !== null &&
    typeof (connection as Redis).duplicate === 'function'
  );
}

/** ioredis options from a `redis://user:password@host:port/db` or `rediss://` URL. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new SfError('SF_INVALID_OPTION', `not a Redis URL: ${JSON.stringify(url)}`, {
      cause: error,
    });
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new SfError(
      'SF_INVALID_OPTION',
      `a Redis URL starts with redis:// or rediss://, got ${JSON.stringify(url)}`,
    );
  }
  const options: RedisOptions = {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
  };
  if (parsed.username) options.username = decodeURIComponent(parsed.username);
  if (parsed.password) options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db) {
    if (!/^\d+$/.test(db))
      throw new SfError(
        'SF_INVALID_OPTION',
        `the database of a Redis URL is a number, got ${JSON.stringify(db)}`,
      );
    options.db = Number(db);
  }
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A job's name: what it does, for dashboards (`fanout.add.normal`, `follow`). */
export function jobName(task: ManagerTask): string {
  return task.type === 'fanout' ? `fanout.${task.operation}.${task.feed}` : task.type;
}

/** Jobs of one enqueue, by priority. */
type JobRefs = Map<FanoutPriority, string[]>;

/**
 * The BullMQ fanout queue: one queue per priority in Redis, and workers in any number of
 * processes and machines (`createWorker`, or the `sf-fanout-worker` CLI).
 *
 * Jobs hold plain data only (follower ids, serialised activities, the feed's name); workers look
 * feed definitions up by name in their own manager. Every job is idempotent, so retries and jobs
 * re-run after a worker crash (stalled jobs) leave feeds as a single run would.
 */
export class BullmqFanoutQueue implements FanoutQueue {
  readonly prefix: string;
  readonly queueNames: Readonly<Record<FanoutPriority, string>>;
  readonly jobOptions: Required<FanoutJobOptions>;
  readonly waitPollInterval: number;
  readonly #connection: BullmqRedisOptions | Redis | Cluster;
  readonly #queues = new Map<FanoutPriority, Queue<ManagerTask>>();
  readonly #workers = new Set<FanoutWorker>();
  #executor: TaskExecutor | undefined;
  #closed = false;

  constructor(options: BullmqFanoutQueueOptions) {
    if (!options || options.connection === undefined || options.connection === null) {
      throw new SfError(
        'SF_INVALID_OPTION',
        'bullmqFanoutQueue needs a connection (a redis:// URL, ioredis options or an ioredis client)',
      );
    }
    const connection = options.connection;
    if (
      isRedisClient(connection) &&
      connection.options &&
      'keyPrefix' in connection.options &&
      connection.options.keyPrefix
    ) {
      throw new SfError(
        'SF_INVALID_OPTION',
        'BullMQ cannot use an ioredis client with keyPrefix; use the prefix option instead',
      );
    }
    this.#connection = isRedisClient(connection)
      ? connection
      : bullmqRedisOptions(
          typeof connection === 'string' ? redisOptionsFromUrl(connection) : connection,
        );
    this.prefix = options.prefix ?? 'bull';
    const names = { ...DEFAULT_QUEUE_NAMES, ...options.queueNames };
    for (const priority of fanoutPriorities) {
      const name = names[priority];
      if (typeof name !== 'string' || name.length === 0 || name.includes(':')) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `queueNames.${priority} must be a non-empty name without ':', got ${JSON.stringify(name)}`,
        );
      }
    }
    if (names.HIGH === names.LOW) {
      throw new SfError(
        'SF_INVALID_OPTION',
        `HIGH and LOW need their own queues, both are named ${JSON.stringify(names.HIGH)}`,
      );
    }
    this.queueNames = Object.freeze(names);
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
  queue(priority: FanoutPriority): Queue<ManagerTask> {
    if (!fanoutPriorities.includes(priority)) {
      throw new SfError(
        'SF_INVALID_OPTION',
        `unknown fanout priority ${JSON.stringify(priority)}; use HIGH or LOW`,
      );
    }
    let queue = this.#queues.get(priority);
    if (!queue) {
      if (this.#closed) throw new SfError('SF_QUEUE_CLOSED', 'the fanout queue is closed');
      queue = new Queue<ManagerTask>(this.queueNames[priority], {
        connection: this.#connection,
        prefix: this.prefix,
      });
      queue.on('error', () => {
        // Connection errors surface as rejected calls; ioredis reconnects by itself.
      });
      this.#queues.set(priority, queue);
    }
    return queue;
  }

  async enqueue(tasks: readonly ManagerTask[]): Promise<EnqueueResult> {
    if (this.#closed) throw new SfError('SF_QUEUE_CLOSED', 'the fanout queue is closed');
    const batch = randomUUID();
    const byPriority = new Map<
      FanoutPriority,
      Array<{ name: string; data: ManagerTask; opts: { jobId: string } & FanoutJobOptions }>
    >();
    tasks.forEach((task, index) => {
      const priority = task.priority ?? FanoutPriority.HIGH;
      if (!fanoutPriorities.includes(priority)) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `task ${index} has unknown priority ${JSON.stringify(priority)}`,
        );
      }
      let jobs = byPriority.get(priority);
      if (!jobs) byPriority.set(priority, (jobs = []));
      // A deterministic id per task of this enqueue: adding again after a lost reply (below)
      // does not duplicate jobs.
      jobs.push({
        name: jobName(task),
        data: task,
        opts: { ...this.jobOptions, jobId: `${batch}.${index}` },
      });
    });
    const refs: JobRefs = new Map();
    for (const [priority, jobs] of byPriority) {
      const queue = this.queue(priority);
      for (let i = 0; i < jobs.length; i += 500) {
        const slice = jobs.slice(i, i + 500);
        try {
          await queue.addBulk(slice);
        } catch {
          // Once more with the same job ids: jobs that made it are not added twice.
          await sleep(100);
          await queue.addBulk(slice);
        }
      }
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

  /**
   * Resolves when every job completed; rejects with the reason of the first job that failed for
   * good. A job that no longer exists was removed after completing (failed jobs are kept).
   *
   * Polls job states in enqueue order, which is the order workers take jobs in: each check
   * looks at the oldest unfinished jobs only (up to 256), so waiting for a fanout of thousands
   * of jobs costs about one state read per job, not one per job per check.
   */
  async waitForJobs(refs: JobRefs, options: WaitOptions = {}): Promise<void> {
    const pending = new Map<FanoutPriority, string[]>();
    let total = 0;
    for (const [priority, ids] of refs) {
      total += ids.length;
      if (ids.length > 0) pending.set(priority, [...ids]);
    }
    if (total === 0) {
      options.onProgress?.({ completed: 0, total: 0 });
      return;
    }
    let completed = 0;
    let reported = -1;
    let pause = 10;
    for (;;) {
      for (const [priority, ids] of pending) {
        const queue = this.queue(priority);
        const unfinished: string[] = [];
        let next = 0;
        while (next < ids.length && unfinished.length < WAIT_WINDOW) {
          const slice = ids.slice(next, next + WAIT_BATCH);
          next += slice.length;
          const states = await Promise.all(slice.map((id) => queue.getJobState(id)));
          for (let j = 0; j < slice.length; j++) {
            const id = slice[j]!;
            const state = states[j];
            if (state === 'completed' || state === 'unknown') completed++;
            else if (state === 'failed') {
              const job = await Job.fromId<ManagerTask>(queue, id);
              throw new SfError(
                'SF_FANOUT_FAILED',
                `fanout job ${id} (${job ? jobName(job.data) : 'removed'}) in queue ${queue.name} failed after ${job?.attemptsMade ?? '?'} attempts: ${job?.failedReason ?? 'unknown reason'}`,
              );
            } else unfinished.push(id);
          }
        }
        const rest = [...unfinished, ...ids.slice(next)];
        if (rest.length === 0) pending.delete(priority);
        else pending.set(priority, rest);
      }
      if (options.onProgress && completed !== reported) {
        reported = completed;
        options.onProgress({ completed, total });
      }
      if (pending.size === 0) return;
      await sleep(pause);
      pause = Math.min(this.waitPollInterval, Math.ceil(pause * 1.5));
    }
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
    if (this.#closed) throw new SfError('SF_QUEUE_CLOSED', 'the fanout queue is closed');
    const executor = options.manager ?? this.#executor;
    if (!executor || typeof executor.runTask !== 'function') {
      throw new SfError(
        'SF_QUEUE_UNBOUND',
        'createWorker needs a manager (or a queue bound to one)',
      );
    }
    const priorities = [...new Set(options.priorities ?? fanoutPriorities)];
    if (priorities.length === 0)
      throw new SfError('SF_INVALID_OPTION', 'createWorker needs at least one priority');
    for (const priority of priorities) {
      if (!fanoutPriorities.includes(priority)) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `unknown fanout priority ${JSON.stringify(priority)}; use HIGH or LOW`,
        );
      }
    }
    const concurrency = positiveInteger('concurrency', options.concurrency, 4);
    const lockDuration = positiveInteger('lockDuration', options.lockDuration, 10_000);
    const stalledInterval = positiveInteger('stalledInterval', options.stalledInterval, 5_000);
    const maxStalledCount = positiveInteger('maxStalledCount', options.maxStalledCount, 3);
    const name = options.name ?? `${hostname()}-${process.pid}`;
    const onError =
      options.onError ?? ((error: Error) => console.error('fanout worker error:', error));
    const onFailed =
      options.onFailed ??
      ((error: Error, task: ManagerTask | undefined, attempts: number) =>
        console.error(
          `fanout job ${task ? jobName(task) : '?'} failed (attempt ${attempts}):`,
          error.message,
        ));

    const owned: Array<Redis | Cluster> = [];
    const connectionFor = (): ConnectionOptions => {
      const connection = this.#connection;
      if (!isRedisClient(connection)) return { ...connection, maxRetriesPerRequest: null };
      // Workers block on their connection: they need their own, without a retry limit.
      if ((connection as Cluster).isCluster) {
        const cluster = connection as Cluster;
        const duplicate = cluster.duplicate(undefined, {
          ...cluster.options,
          redisOptions: { ...cluster.options.redisOptions, maxRetriesPerRequest: null },
        });
        owned.push(duplicate);
        return duplicate;
      }
      const duplicate = (connection as Redis).duplicate({ maxRetriesPerRequest: null });
      owned.push(duplicate);
      return duplicate;
    };

    const processor = async (job: Job<ManagerTask>): Promise<void> => {
      try {
        await executor.runTask(job.data);
      } catch (error) {
        if (SfError.isInstance(error) && UNRECOVERABLE_CODES.has(error.code)) {
          throw new UnrecoverableError(`${error.code}: ${error.message}`);
        }
        throw error;
      }
    };

    const workers = priorities.map((priority) => {
      const worker = new Worker<ManagerTask>(this.queueNames[priority], processor, {
        connection: connectionFor(),
        prefix: this.prefix,
        name,
        concurrency,
        lockDuration,
        stalledInterval,
        maxStalledCount,
      });
      worker.on('error', onError);
      worker.on('failed', (job, error) => onFailed(error, job?.data, job?.attemptsMade ?? 0));
      return worker;
    });

    let closing: Promise<void> | undefined;
    const handle: FanoutWorker = {
      priorities,
      workers,
      waitUntilReady: async () => {
        await Promise.all(workers.map((worker) => worker.waitUntilReady()));
      },
      close: (force = false) =>
        (closing ??= (async () => {
          try {
            await Promise.all(workers.map((worker) => worker.close(force)));
          } finally {
            await Promise.all(
              owned.map((client) => client.quit().catch(() => client.disconnect())),
            );
            this.#workers.delete(handle);
          }
        })()),
    };
    this.#workers.add(handle);
    return handle;
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

/** `bullmqFanoutQueue({ connection: 'redis://127.0.0.1:6379' })`: the fanout queue on BullMQ. */
export function bullmqFanoutQueue(options: BullmqFanoutQueueOptions): BullmqFanoutQueue {
  return new BullmqFanoutQueue(options);
}
