import { FanoutFailedError, FanoutQueueClosedError, FanoutQueueUnboundError } from './errors.js';
import type {
  EnqueueResult,
  FanoutProgress,
  FanoutQueue,
  ManagerTask,
  TaskExecutor,
  WaitOptions,
} from './fanout-queue.js';
import { positiveInteger } from './options.js';

export interface InProcessFanoutQueueOptions {
  /**
   * `await` (default): `enqueue` resolves after every task ran. `background`: `enqueue` resolves
   * at once and the tasks run in the background (`wait()` or `drain()` to wait).
   */
  mode?: 'await' | 'background';
  /** Tasks run at once (default 4). */
  concurrency?: number;
  /** Attempts per task before it fails for good (default 3), with a short backoff between. */
  attempts?: number;
  /** Called with a task that failed for good (default: logs to the console). */
  onError?: (error: unknown, task: ManagerTask) => void;
}

/** The embedded default: runs fanout tasks in this process. */
export class InProcessFanoutQueue implements FanoutQueue {
  readonly mode: 'await' | 'background';
  readonly concurrency: number;
  readonly attempts: number;
  readonly #onError: (error: unknown, task: ManagerTask) => void;
  #executor: TaskExecutor | undefined;
  readonly #pending = new Set<Promise<void>>();
  #closed = false;

  constructor(options: InProcessFanoutQueueOptions = {}) {
    this.mode = options.mode ?? 'await';
    this.concurrency = positiveInteger('concurrency', options.concurrency, 4);
    this.attempts = positiveInteger('attempts', options.attempts, 3);
    this.#onError =
      options.onError ??
      ((error, task) => console.error(`fanout task ${task.type} failed for good:`, error));
  }

  bind(executor: TaskExecutor): void {
    this.#executor = executor;
  }

  async #runWithRetry(task: ManagerTask): Promise<void> {
    const executor = this.#executor;
    if (!executor) throw new FanoutQueueUnboundError('the fanout queue is not bound to a manager');
    for (let attempt = 1; ; attempt++) {
      try {
        await executor.runTask(task);
        return;
      } catch (error) {
        if (attempt >= this.attempts) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
  }

  async #runAll(tasks: readonly ManagerTask[], onDone: () => void): Promise<void> {
    let next = 0;
    const errors: unknown[] = [];
    const worker = async () => {
      while (next < tasks.length) {
        const task = tasks[next++]!;
        try {
          await this.#runWithRetry(task);
          onDone();
        } catch (error) {
          errors.push(error);
          this.#onError(error, task);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, tasks.length) }, worker));
    if (errors.length > 0) {
      throw new FanoutFailedError(`${errors.length} of ${tasks.length} fanout tasks failed`, {
        cause: errors[0],
        failed: errors.length,
      });
    }
  }

  async enqueue(tasks: readonly ManagerTask[]): Promise<EnqueueResult> {
    if (this.#closed) throw new FanoutQueueClosedError();
    const progress: FanoutProgress = { completed: 0, total: tasks.length };
    const listeners = new Set<(progress: FanoutProgress) => void>();
    const run = this.#runAll(tasks, () => {
      progress.completed++;
      for (const listener of listeners) listener({ ...progress });
    });
    const wait = async (options: WaitOptions = {}) => {
      const { onProgress } = options;
      if (onProgress) {
        listeners.add(onProgress);
        onProgress({ ...progress });
      }
      try {
        await run;
      } finally {
        if (onProgress) listeners.delete(onProgress);
      }
    };
    if (this.mode === 'await') {
      await run;
      return { tasks: tasks.length, wait };
    }
    const tracked = run.catch(() => undefined).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return { tasks: tasks.length, wait };
  }

  /** Waits for every background task enqueued so far. */
  async drain(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
  }
}
