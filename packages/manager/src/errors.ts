/**
 * The manager's errors. Bad options and arguments are `InvalidArgumentError`s of @sf/activity
 * (code `SF_INVALID_OPTION` for options, as before); the classes below are the cases a caller
 * or a queue must tell apart. Every code is stable.
 */
import { InvalidArgumentError, SfError } from '@sf/activity';
import type { SfErrorOptions } from '@sf/activity';

/** The code of a bad manager, queue or worker option (kept from before the error family). */
export const INVALID_OPTION = 'SF_INVALID_OPTION';

/** A bad option: an `InvalidArgumentError` with code `SF_INVALID_OPTION`. */
export function invalidOption(
  message: string,
  path: string,
  value: unknown,
  options: SfErrorOptions = {},
): InvalidArgumentError {
  return new InvalidArgumentError(message, { ...options, path, value, code: INVALID_OPTION });
}

/**
 * A task or a read names a feed this manager does not have: producer and worker were built with
 * different feed definitions. Retrying cannot help (BullMQ jobs fail at once).
 */
export class UnknownFeedError extends InvalidArgumentError {
  readonly feedName: string;
  /** The feed names this manager has. */
  readonly known: readonly string[];

  constructor(feedName: string, known: readonly string[], path = 'feed') {
    super(
      `this manager has no feed named ${JSON.stringify(feedName)} (it has ${known.join(', ')})`,
      { path, value: feedName, code: 'SF_UNKNOWN_FEED' },
    );
    this.feedName = feedName;
    this.known = known;
  }
}

/** A task of a type the manager does not know (a newer producer, or not a task at all). */
export class UnknownTaskError extends InvalidArgumentError {
  constructor(type: unknown) {
    super(`unknown task type ${JSON.stringify(type)}`, {
      path: 'task.type',
      value: type,
      code: 'SF_UNKNOWN_TASK',
    });
  }
}

/** The fanout queue was closed; nothing more can be enqueued or started on it. */
export class FanoutQueueClosedError extends SfError {
  constructor(options: SfErrorOptions = {}) {
    super('SF_QUEUE_CLOSED', 'the fanout queue is closed', options);
  }
}

/** A queue was asked to run tasks before a manager was bound to it (or given to a worker). */
export class FanoutQueueUnboundError extends SfError {
  constructor(message: string, options: SfErrorOptions = {}) {
    super('SF_QUEUE_UNBOUND', message, options);
  }
}

/**
 * A fanout task failed for good (after its retries): `wait()` rejects with this. The first
 * failure is the `cause`; repeating the whole operation is safe, tasks are idempotent.
 */
export class FanoutFailedError extends SfError {
  /** Tasks (or jobs) that failed for good. */
  readonly failed: number;
  /** The BullMQ job that failed, for the BullMQ queue. */
  readonly jobId: string | undefined;

  constructor(message: string, options: SfErrorOptions & { failed?: number; jobId?: string } = {}) {
    super('SF_FANOUT_FAILED', message, options);
    this.failed = options.failed ?? 1;
    this.jobId = options.jobId;
  }
}
