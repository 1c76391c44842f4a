/** What the manager's writes return: the tasks they started, as one handle to wait on. */
import type { EnqueueResult, WaitOptions } from './fanout-queue.js';

/** A started fanout: how many tasks were created, and a way to wait for all of them. */
export interface FanoutHandle {
  readonly tasks: number;
  /** Resolves when every task ran; rejects if one failed for good. `onProgress` reports tasks done. */
  wait(options?: WaitOptions): Promise<void>;
}

/** One handle over several enqueues: their task counts add up, and so does their progress. */
export function combine(results: readonly EnqueueResult[]): FanoutHandle {
  const total = results.reduce((sum, result) => sum + result.tasks, 0);
  return {
    tasks: total,
    wait: async (options: WaitOptions = {}) => {
      const { onProgress } = options;
      if (!onProgress) {
        await Promise.all(results.map((result) => result.wait()));
        return;
      }
      const done = results.map(() => 0);
      let reported = -1;
      const report = () => {
        const completed = done.reduce((sum, n) => sum + n, 0);
        if (completed === reported) return;
        reported = completed;
        onProgress({ completed, total });
      };
      await Promise.all(
        results.map((result, i) =>
          result.wait({
            onProgress: (progress) => {
              done[i] = progress.completed;
              report();
            },
          }),
        ),
      );
      report();
    },
  };
}
