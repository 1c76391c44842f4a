import type { TieredCacheError } from './errors.js';
import { TieredConfigurationError } from './errors.js';
import { TieredCore } from './core.js';
import type { RefillMode, TieredMetrics, TieredStats } from './core.js';
import { TieredActivityStorage } from './tiered-activities.js';
import { TieredTimelineStorage, asCacheTimeline } from './tiered-timeline.js';
import { defineCapabilities } from '@sf/feeds/backend';
import type {
  ActivityClockStorage,
  ActivityStorage,
  BackendCapabilities,
  FeedNameRule,
  MarkerStorage,
  SerializationFormat,
  StorageBackend,
  TimelineItem,
  TimelineStorage,
  TimelineStorageOptions,
} from '@sf/feeds/backend';

export interface TieredStorageOptions {
  /** The cache: a backend declaring `capabilities.cacheTier` (Redis, memory). */
  cache: StorageBackend;
  /** The durable store, the truth: PostgreSQL, Cassandra, or any backend. */
  durable: StorageBackend;
  /**
   * Entries per flat feed the cache keeps (default 100): pages within them are read from the
   * cache; a feed's own `maxLength`, when shorter, bounds it too.
   */
  cacheMaxLength?: number;
  /**
   * How a read that misses the cache refills it: `'async'` (default: the read answers from the
   * durable store, the cache write runs on; a newest-first page within `cacheMaxLength` shares
   * the refill's durable read), `'inline'` (the read waits for the refill), `'off'` (never).
   */
  refill?: RefillMode;
  /** Refills in flight at most (default 32); a miss beyond it answers without refilling. */
  maxConcurrentRefills?: number;
  /** Keep copies of activities in the cache (default true); false: activities come from durable. */
  cacheActivities?: boolean;
  /** Receives every tiered event (hits, misses, refills, cache errors) with its feed's name. */
  metrics?: TieredMetrics;
  /** Called with each cache failure (the operation already succeeded on the durable store). */
  onCacheError?: (error: TieredCacheError) => void;
}

/** Both backends' rules on feed names: a name must satisfy each. */
function bothRules(a: FeedNameRule | null, b: FeedNameRule | null): FeedNameRule | null {
  if (a === null || b === null || a === b) return a ?? b;
  const lookahead = (rule: FeedNameRule) => `(?=${rule.pattern.source})`;
  return {
    description: `${a.description}, and ${b.description}`,
    pattern: new RegExp(`^${lookahead(a)}${lookahead(b)}`, a.pattern.flags),
  };
}

/**
 * A cache backend in front of a durable one (`@sf/storage-tiered`). Flat feeds are written to
 * both, durable first, and read from the cache when it holds the page; aggregated and
 * notification feeds, markers and counts live in the durable backend only. See the README.
 */
export class TieredStorage implements StorageBackend {
  readonly name: string;
  readonly format: SerializationFormat;
  readonly capabilities: BackendCapabilities;
  readonly cache: StorageBackend;
  readonly durable: StorageBackend;
  /**
   * The durable store's activity clock (inactive followers), when it has one: the clock is
   * truth that must survive a cache flush.
   */
  readonly activityClock?: (options: { name: string }) => ActivityClockStorage;
  readonly #core: TieredCore;
  readonly #cacheActivities: boolean;

  constructor(options: TieredStorageOptions) {
    const { cache, durable } = options ?? {};
    for (const [path, backend] of [
      ['cache', cache],
      ['durable', durable],
    ] as const) {
      if (typeof backend !== 'object' || backend === null || !('capabilities' in backend)) {
        throw new TieredConfigurationError(
          `tieredStorage.${path} must be a storage backend, got ${String(backend)}`,
          { path: `tieredStorage.${path}`, value: backend },
        );
      }
    }
    if (cache.capabilities.cacheTier !== true) {
      throw new TieredConfigurationError(
        `the cache backend ${JSON.stringify(cache.name)} lacks capabilities.cacheTier: it cannot tell a feed it holds complete from one it lost (use Redis or memory)`,
        { path: 'tieredStorage.cache', value: cache.name },
      );
    }
    const cacheMaxLength = options.cacheMaxLength ?? 100;
    if (!Number.isSafeInteger(cacheMaxLength) || cacheMaxLength < 1) {
      throw new TieredConfigurationError(
        `cacheMaxLength must be a positive integer, got ${String(cacheMaxLength)}`,
        { path: 'tieredStorage.cacheMaxLength', value: cacheMaxLength },
      );
    }
    const refill = options.refill ?? 'async';
    if (refill !== 'async' && refill !== 'inline' && refill !== 'off') {
      throw new TieredConfigurationError(
        `refill must be 'async', 'inline' or 'off', got ${JSON.stringify(refill)}`,
        { path: 'tieredStorage.refill', value: refill },
      );
    }
    const maxConcurrentRefills = options.maxConcurrentRefills ?? 32;
    if (!Number.isSafeInteger(maxConcurrentRefills) || maxConcurrentRefills < 1) {
      throw new TieredConfigurationError(
        `maxConcurrentRefills must be a positive integer, got ${String(maxConcurrentRefills)}`,
        { path: 'tieredStorage.maxConcurrentRefills', value: maxConcurrentRefills },
      );
    }
    this.cache = cache;
    this.durable = durable;
    if (durable.activityClock)
      this.activityClock = (clockOptions) => durable.activityClock!(clockOptions);
    this.name = `tiered(${cache.name}+${durable.name})`;
    this.format = durable.format;
    this.#cacheActivities = options.cacheActivities ?? true;
    this.#core = new TieredCore({
      cacheMaxLength,
      refill,
      maxConcurrentRefills,
      metrics: options.metrics,
      onCacheError: options.onCacheError,
    });
    const c = cache.capabilities;
    const d = durable.capabilities;
    const chunks = [c.fanoutChunkSize, d.fanoutChunkSize].filter(
      (size): size is number => size !== undefined,
    );
    this.capabilities = defineCapabilities({
      // Flat timelines read as ids (the cache's), activities from the tiered activity storage.
      storesFullActivities: false,
      // Aggregated timelines are the durable store's own: they hold copies where its do.
      aggregatedStoresFullActivities: d.aggregatedStoresFullActivities ?? d.storesFullActivities,
      feedName: bothRules(c.feedName, d.feedName),
      notificationEvents: d.notificationEvents,
      atomicAggregatedWrites: d.atomicAggregatedWrites,
      // A cache only this process sees would miss other processes' writes.
      shared: c.shared && d.shared,
      fanoutChunkSize: chunks.length === 0 ? undefined : Math.min(...chunks),
      batchedAggregatedWrites: d.batchedAggregatedWrites,
      cacheTier: false,
    });
  }

  get cacheMaxLength(): number {
    return this.#core.cacheMaxLength;
  }

  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T> {
    const durable = this.durable.timelineStorage(options);
    // Aggregated and notification feeds are read-modify-written: the durable store stays their
    // only copy (see the README).
    if (options.kind !== 'flat') return durable;
    const cache = asCacheTimeline(this.cache.timelineStorage(options), this.cache.name);
    return new TieredTimelineStorage(this.#core, cache, durable);
  }

  activityStorage(options: { name: string }): ActivityStorage {
    const durable = this.durable.activityStorage(options);
    if (!this.#cacheActivities) return durable;
    return new TieredActivityStorage(
      this.#core,
      options.name,
      this.cache.activityStorage(options),
      durable,
    );
  }

  markerStorage(options: { name: string }): MarkerStorage {
    return this.durable.markerStorage(options);
  }

  /** Counters since the backend was made (hits, misses, refills, cache errors, ...). */
  stats(): TieredStats {
    return this.#core.stats();
  }

  /** Resolves once the refills in flight have ended (for tests, drills and shutdown). */
  async settled(): Promise<void> {
    await this.#core.settled();
  }
}

/**
 * A cache backend (Redis, kept to `cacheMaxLength` entries per feed) in front of a durable one
 * (PostgreSQL, Cassandra).
 *
 * @throws TieredConfigurationError for a cache backend without `capabilities.cacheTier`
 */
export function tieredStorage(options: TieredStorageOptions): TieredStorage {
  return new TieredStorage(options);
}
