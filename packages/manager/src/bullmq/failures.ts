/** What a worker does with a failed job: fail it at once when retrying cannot help, else retry. */
import { InvalidArgumentError, SfError } from '@sf/activity';
import { UnrecoverableError } from 'bullmq';
import type { Job } from 'bullmq';
import type { ManagerTask, TaskExecutor } from '../fanout-queue.js';
import { jobName } from './jobs.js';

/** Errors that will not go away by retrying: the job fails at once. */
const UNRECOVERABLE_CODES = new Set([
  'SF_UNKNOWN_FEED',
  'SF_UNKNOWN_TASK',
  'SF_INVALID_ACTIVITY',
  'SF_SERIALIZATION',
  'SF_FORMAT_MISMATCH',
  'SF_UNKNOWN_VERB',
]);

/** The job processor: runs the task; an unrecoverable error fails the job without retries. */
export function jobProcessor(executor: TaskExecutor): (job: Job<ManagerTask>) => Promise<void> {
  return async (job) => {
    try {
      await executor.runTask(job.data);
    } catch (error) {
      // Bad input (any InvalidArgumentError: an activity, a user id, a query) fails as it did
      // when all of it was SF_INVALID_ACTIVITY.
      if (
        SfError.isInstance(error) &&
        (UNRECOVERABLE_CODES.has(error.code) || InvalidArgumentError.isInstance(error))
      ) {
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      throw error;
    }
  };
}

export function logWorkerError(error: Error): void {
  console.error('fanout worker error:', error);
}

export function logFailedAttempt(
  error: Error,
  task: ManagerTask | undefined,
  attempts: number,
): void {
  console.error(
    `fanout job ${task ? jobName(task) : '?'} failed (attempt ${attempts}):`,
    error.message,
  );
}
