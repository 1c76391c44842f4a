import { TieredCacheError } from './errors.js';
import type { CacheOperation } from './errors.js';

/** What the tiered backend counts (see `TieredStorage.stats()` and `TieredMetrics`). */
export type TieredEvent =
  /** A page answered from the cache. */
  | 'hit'
  /** A page of a feed the cache does not hold complete (absent, flushed, being filled). */
  | 'miss'
  /** A page of a feed the cache holds, past the cache's length: answered by the durable store. */
  | 'past-cache'
  /** A feed written into the cache from the durable store (a refill). */
  | 'refill'
  /** A refill a write or an eviction made stale before it landed: nothing written. */
  | 'refill-spoiled'
  /** A refill not started: too many in flight (`maxConcurrentRefills`) or one already running. */
  | 'refill-skipped'
  /** A cache operation failed (also reported to `onCacheError`). */
  | 'cache-error'
  /** Feeds dropped from the cache (removals, deletions, failed cache writes). */
  | 'evict';

/** Counters of the tiered backend; an optional sink for them. */
export interface TieredMetrics {
  onTieredEvent(event: TieredEvent, feed: string, count: number): void;
}

export type TieredStats = Record<TieredEvent, number> & {
  /** Feeds whose cache copy could not be dropped: read from the durable store until it can. */
  suspectFeeds: number;
  /** Activities whose cache copy could not be updated or removed: read from the durable store. */
  suspectActivities: number;
  /** Refills in flight. */
  refilling: number;
};

export type RefillMode = 'async' | 'inline' | 'off';

/** The state every storage of one tiered backend shares. */
export class TieredCore {
  readonly cacheMaxLength: number;
  readonly refill: RefillMode;
  readonly maxConcurrentRefills: number;
  /** Feed keys (by kind) whose cache copy may be stale: read from durable until evicted. */
  readonly suspectFeeds = new Set<string>();
  /** Activity ids whose cache copy may be stale. */
  readonly suspectActivities = new Set<string>();
  /** Feeds being refilled (by kind and key), and the refills' promises. */
  readonly refilling = new Map<string, Promise<void>>();
  readonly #counts: Record<TieredEvent, number> = {
    hit: 0,
    miss: 0,
    'past-cache': 0,
    refill: 0,
    'refill-spoiled': 0,
    'refill-skipped': 0,
    'cache-error': 0,
    evict: 0,
  };
  readonly #metrics: TieredMetrics | undefined;
  readonly #onCacheError: ((error: TieredCacheError) => void) | undefined;

  constructor(options: {
    cacheMaxLength: number;
    refill: RefillMode;
    maxConcurrentRefills: number;
    metrics: TieredMetrics | undefined;
    onCacheError: ((error: TieredCacheError) => void) | undefined;
  }) {
    this.cacheMaxLength = options.cacheMaxLength;
    this.refill = options.refill;
    this.maxConcurrentRefills = options.maxConcurrentRefills;
    this.#metrics = options.metrics;
    this.#onCacheError = options.onCacheError;
  }

  count(event: TieredEvent, feed: string, count = 1): void {
    this.#counts[event] += count;
    this.#metrics?.onTieredEvent(event, feed, count);
  }

  /** Reports a failed cache operation; never throws (a throwing callback is ignored). */
  report(operation: CacheOperation, feed: string, keys: readonly string[], cause: unknown): void {
    this.count('cache-error', feed);
    try {
      this.#onCacheError?.(new TieredCacheError(operation, keys, cause));
    } catch {
      // the callback's failure must not turn a durable success into an error
    }
  }

  stats(): TieredStats {
    return {
      ...this.#counts,
      suspectFeeds: this.suspectFeeds.size,
      suspectActivities: this.suspectActivities.size,
      refilling: this.refilling.size,
    };
  }

  /** Resolves once the refills in flight now (and those they start) have ended. */
  async settled(): Promise<void> {
    while (this.refilling.size > 0) await Promise.allSettled([...this.refilling.values()]);
  }
}
