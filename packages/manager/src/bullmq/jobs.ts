/**
 * Tasks as BullMQ jobs: a job per task, named for dashboards, with an id that makes adding the
 * same enqueue twice harmless; and waiting for the jobs of one enqueue.
 */
import { Job } from 'bullmq';
import type { BackoffOptions, KeepJobs } from 'bullmq';
import type { FanoutBullmqQueue } from './backend.js';
import { invalidOption, FanoutFailedError } from '../errors.js';
import { FanoutPriority, fanoutPriorities } from '../fanout-queue.js';
import type { ManagerTask, WaitOptions } from '../fanout-queue.js';

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

/** A job's name: what it does, for dashboards (`fanout.add.normal`, `follow`). */
export function jobName(task: ManagerTask): string {
  return task.type === 'fanout' ? `fanout.${task.operation}.${task.feed}` : task.type;
}

export interface FanoutJob {
  name: string;
  data: ManagerTask;
  opts: { jobId: string } & FanoutJobOptions;
}

/** Jobs of one enqueue, by priority: their ids. */
export type JobRefs = Map<FanoutPriority, string[]>;

/**
 * The jobs of one enqueue, by priority. Ids are `<batch>.<index>`: deterministic per task of
 * this enqueue, so adding again after a lost reply does not duplicate jobs.
 */
export function jobsByPriority(
  tasks: readonly ManagerTask[],
  batch: string,
  jobOptions: Required<FanoutJobOptions>,
): Map<FanoutPriority, FanoutJob[]> {
  const byPriority = new Map<FanoutPriority, FanoutJob[]>();
  tasks.forEach((task, index) => {
    const priority = task.priority ?? FanoutPriority.HIGH;
    if (!fanoutPriorities.includes(priority)) {
      throw invalidOption(
        `task ${index} has unknown priority ${JSON.stringify(priority)}`,
        `tasks[${index}].priority`,
        priority,
      );
    }
    let jobs = byPriority.get(priority);
    if (!jobs) byPriority.set(priority, (jobs = []));
    jobs.push({
      name: jobName(task),
      data: task,
      opts: { ...jobOptions, jobId: `${batch}.${index}` },
    });
  });
  return byPriority;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Adds jobs in slices of 500, each slice once more (same ids) if the first try failed. */
export async function addJobs(queue: FanoutBullmqQueue, jobs: readonly FanoutJob[]): Promise<void> {
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
}

/** `wait()` reads job states in batches of this many, and stops a check after this many unfinished. */
const WAIT_BATCH = 64;
const WAIT_WINDOW = 256;

/**
 * Resolves when every job completed; rejects with the reason of the first job that failed for
 * good. A job that no longer exists was removed after completing (failed jobs are kept).
 *
 * Polls job states in enqueue order, which is the order workers take jobs in: each check
 * looks at the oldest unfinished jobs only (up to 256), so waiting for a fanout of thousands
 * of jobs costs about one state read per job, not one per job per check.
 */
export async function waitForJobs(
  queueOf: (priority: FanoutPriority) => FanoutBullmqQueue,
  refs: JobRefs,
  pollInterval: number,
  options: WaitOptions = {},
): Promise<void> {
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
      const queue = queueOf(priority);
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
            throw new FanoutFailedError(
              `fanout job ${id} (${job ? jobName(job.data) : 'removed'}) in queue ${queue.name} failed after ${job?.attemptsMade ?? '?'} attempts: ${job?.failedReason ?? 'unknown reason'}`,
              { jobId: id },
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
    pause = Math.min(pollInterval, Math.ceil(pause * 1.5));
  }
}
