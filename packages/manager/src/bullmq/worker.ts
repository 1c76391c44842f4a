/** Fanout workers: one BullMQ worker per priority queue, running the manager's tasks. */
import { hostname } from 'node:os';
import { FanoutQueueUnboundError, invalidOption } from '../errors.js';
import { fanoutPriorities } from '../fanout-queue.js';
import type { FanoutPriority, ManagerTask, TaskExecutor } from '../fanout-queue.js';
import { positiveInteger } from '../options.js';
import { workerFactory } from './backend.js';
import type { FanoutBullmqWorker, QueueTarget } from './backend.js';
import { jobProcessor, logFailedAttempt, logWorkerError } from './failures.js';

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
  /** Names this worker in Redis (PostgreSQL: `application_name`) and in the jobs it ran (`job.processedBy`); default `<host>-<pid>`. */
  name?: string;
  /** Called when a job failed an attempt (default: logs the error to the console). */
  onFailed?: (error: Error, task: ManagerTask | undefined, attemptsMade: number) => void;
  /** Called with connection and worker errors (default: logs to the console). */
  onError?: (error: Error) => void;
}

/** A running worker of one or more priority queues. */
export interface FanoutWorker {
  readonly priorities: readonly FanoutPriority[];
  readonly workers: readonly FanoutBullmqWorker[];
  /** Resolves when every queue's worker is connected and taking jobs. */
  waitUntilReady(): Promise<void>;
  /** Stops taking jobs, waits for the running ones, then disconnects (`force`: do not wait). */
  close(force?: boolean): Promise<void>;
}

/** Where a worker runs: the queue's backend and names. */
export interface WorkerTarget {
  target: QueueTarget;
  queueNames: Readonly<Record<FanoutPriority, string>>;
  /** The manager bound to the queue, if any. */
  executor: TaskExecutor | undefined;
  /** Called once the worker closed. */
  onClosed(worker: FanoutWorker): void;
}

export function checkPriorities(priorities: readonly FanoutPriority[]): FanoutPriority[] {
  const unique = [...new Set(priorities)];
  if (unique.length === 0)
    throw invalidOption('createWorker needs at least one priority', 'priorities', priorities);
  for (const priority of unique) {
    if (!fanoutPriorities.includes(priority)) {
      throw invalidOption(
        `unknown fanout priority ${JSON.stringify(priority)}; use HIGH or LOW`,
        'priorities',
        priority,
      );
    }
  }
  return unique;
}

export function startWorker(target: WorkerTarget, options: FanoutWorkerOptions): FanoutWorker {
  const executor = options.manager ?? target.executor;
  if (!executor || typeof executor.runTask !== 'function')
    throw new FanoutQueueUnboundError('createWorker needs a manager (or a queue bound to one)');
  const priorities = checkPriorities(options.priorities ?? fanoutPriorities);
  const concurrency = positiveInteger('concurrency', options.concurrency, 4);
  const lockDuration = positiveInteger('lockDuration', options.lockDuration, 10_000);
  const stalledInterval = positiveInteger('stalledInterval', options.stalledInterval, 5_000);
  const maxStalledCount = positiveInteger('maxStalledCount', options.maxStalledCount, 3);
  const name = options.name ?? `${hostname()}-${process.pid}`;
  const onError = options.onError ?? logWorkerError;
  const onFailed = options.onFailed ?? logFailedAttempt;
  const factory = workerFactory(target.target);
  const processor = jobProcessor(executor);

  const workers = priorities.map((priority) => {
    const worker = factory.create(target.queueNames[priority], processor, {
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
          await factory.closeAll();
          target.onClosed(handle);
        }
      })()),
  };
  return handle;
}
