import { performance } from 'node:perf_hooks';
import { FanoutPriority, fanoutPriorities } from '@sf/manager';
import type { EnqueueResult, FanoutQueue, ManagerTask, TaskExecutor } from '@sf/manager';
import type { InProcessFanoutQueue } from '@sf/manager';
import type { Metrics, Timer } from '@sf/feeds';
import type { DomainStore } from './store.js';

/**
 * The library's Metrics, summed into the domain store so the stats page sees the work of every
 * process (web, seed, workers). Counters are batched in memory and flushed every
 * `flushIntervalMs` (and on `flush()` / `close()`); no method ever throws.
 */
export class StatsMetrics implements Metrics {
  readonly #store: DomainStore;
  #deltas = new Map<string, number>();
  #values = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(store: DomainStore, options: { flushIntervalMs?: number } = {}) {
    this.#store = store;
    const interval = options.flushIntervalMs ?? 500;
    this.#timer = setInterval(() => void this.flush(), interval);
    this.#timer.unref();
  }

  #add(name: string, delta: number): void {
    this.#deltas.set(name, (this.#deltas.get(name) ?? 0) + delta);
  }

  onFeedRead(feed: string, count: number): void {
    this.#add(`read.${feed}`, 1);
    this.#add(`read_items.${feed}`, count);
  }

  onFeedWrite(feed: string, count: number): void {
    this.#add(`write.${feed}`, count);
  }

  onFeedRemove(feed: string, count: number): void {
    this.#add(`remove.${feed}`, count);
  }

  onFanout(feed: string, operation: 'add' | 'remove' | 'update', count: number): void {
    this.#add(`fanout_tasks.${feed}`, 1);
    this.#add(`fanout_${operation}.${feed}`, count);
  }

  onActivityPublished(): void {
    this.#add('published', 1);
  }

  onActivityRemoved(): void {
    this.#add('removed', 1);
  }

  onMissingActivities(feed: string, count: number): void {
    this.#add(`missing.${feed}`, count);
  }

  /** A stored user, board or pin that could not be shown and was skipped (see records.ts). */
  onCorruptRecord(kind: string, count = 1): void {
    this.#add(`corrupt.${kind}`, count);
  }

  fanoutTimer(feed: string): Timer {
    const start = performance.now();
    return {
      stop: () => {
        const ms = performance.now() - start;
        this.#add(`fanout_ms.${feed}`, ms);
        this.#values.set(`fanout_last_ms.${feed}`, Math.round(ms * 100) / 100);
        this.#values.set('fanout_last_at', Date.now());
      },
    };
  }

  feedReadTimer(feed: string): Timer {
    const start = performance.now();
    return { stop: () => this.#add(`read_ms.${feed}`, performance.now() - start) };
  }

  /** Writes the pending counters to the store. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(async () => {
      if (this.#deltas.size === 0 && this.#values.size === 0) return;
      const deltas = Object.fromEntries(this.#deltas);
      const values = Object.fromEntries(this.#values);
      this.#deltas = new Map();
      this.#values = new Map();
      try {
        await this.#store.addStats(deltas, values);
      } catch {
        // Stats are best effort: a lost flush must never break a fanout or a page.
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

export interface JobCounts {
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
}

export type QueueCounts = Record<FanoutPriority, JobCounts>;

const emptyCounts = (): JobCounts => ({
  waiting: 0,
  active: 0,
  delayed: 0,
  completed: 0,
  failed: 0,
});

/**
 * The in-process fanout queue with job counts per priority, so the stats page shows the same
 * table in every mode (BullMQ counts its jobs in Redis).
 */
export class ObservedQueue implements FanoutQueue {
  readonly inner: InProcessFanoutQueue;
  readonly #counts: QueueCounts = {
    [FanoutPriority.HIGH]: emptyCounts(),
    [FanoutPriority.LOW]: emptyCounts(),
  };
  readonly #attempts = new WeakMap<ManagerTask, number>();
  /**
   * Where rebuild tasks go, if apart from `inner`: a returning user's feed is rebuilt after the
   * page answered (which says "being prepared" and fills in live), not while it waits.
   */
  readonly #rebuilds: InProcessFanoutQueue | undefined;

  constructor(inner: InProcessFanoutQueue, rebuilds?: InProcessFanoutQueue) {
    this.inner = inner;
    this.#rebuilds = rebuilds;
  }

  bind(executor: TaskExecutor): void {
    const observed: TaskExecutor = {
      runTask: async (task) => {
        const counts = this.#counts[task.priority] ?? this.#counts.HIGH;
        const attempt = (this.#attempts.get(task) ?? 0) + 1;
        this.#attempts.set(task, attempt);
        if (attempt === 1) counts.waiting--;
        else counts.delayed--;
        counts.active++;
        try {
          await executor.runTask(task);
          counts.completed++;
        } catch (error) {
          if (attempt >= this.inner.attempts) counts.failed++;
          else counts.delayed++;
          throw error;
        } finally {
          counts.active--;
        }
      },
    };
    this.inner.bind(observed);
    this.#rebuilds?.bind(observed);
  }

  async enqueue(tasks: readonly ManagerTask[]): Promise<EnqueueResult> {
    for (const task of tasks) (this.#counts[task.priority] ?? this.#counts.HIGH).waiting++;
    const rebuilds = this.#rebuilds;
    if (!rebuilds) return this.inner.enqueue(tasks);
    const [now, later] = [
      tasks.filter((task) => task.type !== 'rebuild'),
      tasks.filter((task) => task.type === 'rebuild'),
    ];
    const results = await Promise.all([
      now.length > 0 ? this.inner.enqueue(now) : undefined,
      later.length > 0 ? rebuilds.enqueue(later) : undefined,
    ]);
    const started = results.filter((result) => result !== undefined);
    return {
      tasks: tasks.length,
      wait: async (options) => {
        await Promise.all(started.map((result) => result.wait(options)));
      },
    };
  }

  counts(): QueueCounts {
    const copy = {} as QueueCounts;
    for (const priority of fanoutPriorities) copy[priority] = { ...this.#counts[priority] };
    return copy;
  }

  async close(): Promise<void> {
    await Promise.all([this.inner.close(), this.#rebuilds?.close()]);
  }
}
