import { Activity, DehydratedActivity } from '@sf/activity';
import type {
  CachedPage,
  TimelineChange,
  TimelineItem,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
  TimelineWriteOptions,
} from '@sf/feeds/backend';
import type { TieredCore } from './core.js';
import { TieredConfigurationError } from './errors.js';

type CacheMethods = 'addToCached' | 'readCached' | 'beginFill' | 'fill' | 'evict';

/** A cache timeline with the cache-tier methods (checked present). */
export type CacheTimeline<T extends TimelineItem> = TimelineStorage<T> &
  Required<Pick<TimelineStorage<T>, CacheMethods>>;

/** Checks that a timeline offers the cache-tier methods its backend declared. */
export function asCacheTimeline<T extends TimelineItem>(
  timeline: TimelineStorage<T>,
  backendName: string,
): CacheTimeline<T> {
  const methods: CacheMethods[] = ['addToCached', 'readCached', 'beginFill', 'fill', 'evict'];
  const missing = methods.filter((method) => typeof timeline[method] !== 'function');
  if (missing.length > 0) {
    throw new TieredConfigurationError(
      `the cache backend ${JSON.stringify(backendName)} declares capabilities.cacheTier but its timeline ${JSON.stringify(timeline.name)} lacks ${missing.join(', ')}`,
      { path: 'tieredStorage.cache', value: backendName },
    );
  }
  return timeline as CacheTimeline<T>;
}

/** Timelines hold ids: a durable backend's whole activities are read back as ids, as the cache's. */
function asIds<T extends TimelineItem>(items: T[]): T[] {
  return items.map((item) =>
    item instanceof Activity
      ? (new DehydratedActivity(item.serializationId) as unknown as T)
      : item,
  );
}

/**
 * A flat timeline over two: every write goes to the durable timeline first (its result is the
 * result), then to the cache, which only ever holds, per feed, the newest `min(count,
 * cacheMaxLength)` entries of the durable feed, or nothing. A cache failure is reported and the
 * feed dropped from the cache (or, if even that fails, read from the durable store until it can
 * be): it never fails the write. See the package README for the invariant and the read rules.
 */
export class TieredTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #core: TieredCore;
  readonly #cache: CacheTimeline<T>;
  readonly #durable: TimelineStorage<T>;

  constructor(core: TieredCore, cache: CacheTimeline<T>, durable: TimelineStorage<T>) {
    this.name = durable.name;
    this.kind = durable.kind;
    this.#core = core;
    this.#cache = cache;
    this.#durable = durable;
  }

  get #length(): number {
    return this.#core.cacheMaxLength;
  }

  /** The cache's bound for a write: the write's own, if shorter. */
  #cacheOptions(options: TimelineWriteOptions): TimelineWriteOptions {
    return { maxLength: Math.min(options.maxLength ?? Infinity, this.#length) };
  }

  /** Drops feeds from the cache; feeds that cannot be dropped are read from durable until they are. */
  async #evict(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      await this.#cache.evict(keys);
      for (const key of keys) this.#core.suspectFeeds.delete(key);
      this.#core.count('evict', this.name, keys.length);
    } catch (error) {
      this.#core.report('evict', this.name, keys, error);
      for (const key of keys) this.#core.suspectFeeds.add(key);
    }
  }

  /** A cache write: on failure, reported, and the feeds it may have left stale dropped. */
  async #cacheWrite(keys: readonly string[], write: () => Promise<unknown>): Promise<void> {
    try {
      await write();
    } catch (error) {
      this.#core.report('write', this.name, keys, error);
      await this.#evict(keys);
    }
  }

  async add(key: string, items: readonly T[], options: TimelineWriteOptions = {}): Promise<number> {
    const added = await this.#durable.add(key, items, options);
    await this.#cacheWrite([key], () =>
      this.#cache.addToCached([key], items, this.#cacheOptions(options)),
    );
    return added;
  }

  async addToMany(
    keys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    const added = await this.#durable.addToMany(keys, items, options);
    if (keys.length > 0 && items.length > 0) {
      await this.#cacheWrite(keys, () =>
        this.#cache.addToCached(keys, items, this.#cacheOptions(options)),
      );
    }
    return added;
  }

  // Removals drop the feed from the cache rather than removing the entries there: a cache
  // holding exactly cacheMaxLength entries would otherwise be left one short of the durable
  // feed's newest entries without knowing it. The next read refills it.
  async removeIds(key: string, ids: readonly string[]): Promise<number> {
    const removed = await this.#durable.removeIds(key, ids);
    if (ids.length > 0) await this.#evict([key]);
    return removed;
  }

  async removeIdsFromMany(keys: readonly string[], ids: readonly string[]): Promise<number> {
    const removed = await this.#durable.removeIdsFromMany(keys, ids);
    if (ids.length > 0) await this.#evict(keys);
    return removed;
  }

  async delete(key: string): Promise<void> {
    await this.#durable.delete(key);
    await this.#evict([key]);
  }

  async trim(key: string, maxLength: number): Promise<void> {
    await this.#durable.trim(key, maxLength);
    try {
      await this.#cache.trim(key, Math.min(maxLength, this.#length));
    } catch (error) {
      this.#core.report('trim', this.name, [key], error);
      await this.#evict([key]);
    }
  }

  async modify(
    key: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    const change = await this.#durable.modify(key, options, mutate);
    await this.#evict([key]);
    return change;
  }

  /** The cache's page and state, or undefined when the feed is suspect or the cache fails. */
  async #readCache(key: string, query: TimelineQuery): Promise<CachedPage<T> | undefined> {
    if (this.#core.suspectFeeds.has(key)) {
      await this.#evict([key]);
      if (this.#core.suspectFeeds.has(key)) return undefined;
    }
    try {
      return await this.#cache.readCached(key, query);
    } catch (error) {
      this.#core.report('read', this.name, [key], error);
      return undefined;
    }
  }

  /**
   * From the cache when it holds the feed complete and the page lies within it: the cache holds
   * the whole feed (fewer than cacheMaxLength entries), or a newest-first page came back full.
   * Otherwise from the durable store; a feed the cache does not hold is refilled.
   */
  async get(key: string, query: TimelineQuery): Promise<T[]> {
    const page = await this.#readCache(key, query);
    if (page?.complete) {
      const whole = page.size < this.#length;
      const full =
        (query.order ?? 'desc') === 'desc' &&
        query.limit !== null &&
        page.items.length === query.limit;
      if (whole || full) {
        this.#core.count('hit', this.name);
        return page.items;
      }
      this.#core.count('past-cache', this.name);
      return asIds(await this.#durable.get(key, query));
    }
    this.#core.count('miss', this.name);
    if (page === undefined || this.#core.refill === 'off') {
      return asIds(await this.#durable.get(key, query));
    }
    return this.#readAndRefill(key, query);
  }

  /** A newest-first, unfiltered page within the cache's length: the refill's read answers it. */
  #isHead(query: TimelineQuery): query is TimelineQuery & { limit: number } {
    return (
      (query.order ?? 'desc') === 'desc' &&
      query.filter === undefined &&
      query.limit !== null &&
      query.offset + query.limit <= this.#length
    );
  }

  async #readAndRefill(key: string, query: TimelineQuery): Promise<T[]> {
    const core = this.#core;
    if (core.refilling.has(key) || core.refilling.size >= core.maxConcurrentRefills) {
      core.count('refill-skipped', this.name);
      return asIds(await this.#durable.get(key, query));
    }
    let token: string;
    try {
      // Before reading the durable store: a write landing after this read spoils the fill.
      token = await this.#cache.beginFill(key);
    } catch (error) {
      core.report('begin-fill', this.name, [key], error);
      return asIds(await this.#durable.get(key, query));
    }
    const headRead = this.#durable
      .get(key, { offset: 0, limit: this.#length })
      .then((items) => asIds(items));
    const refill = headRead.then(
      async (head) => {
        try {
          const filled = await this.#cache.fill(key, token, head, { maxLength: this.#length });
          core.count(filled ? 'refill' : 'refill-spoiled', this.name);
        } catch (error) {
          core.report('fill', this.name, [key], error);
        }
      },
      () => undefined, // the durable store failed: the read below fails with its own error
    );
    const tracked = this.#track(key, refill);
    if (this.#isHead(query)) {
      // One durable read answers the page and fills the cache.
      const head = await headRead;
      if (core.refill === 'inline') await tracked;
      return head.slice(query.offset, query.offset + query.limit);
    }
    if (core.refill === 'inline') await tracked;
    return asIds(await this.#durable.get(key, query));
  }

  #track(key: string, refill: Promise<void>): Promise<void> {
    const tracked = refill.finally(() => this.#core.refilling.delete(key));
    this.#core.refilling.set(key, tracked);
    return tracked;
  }

  async count(key: string): Promise<number> {
    const page = await this.#readCache(key, { offset: 0, limit: 0 });
    if (page?.complete && page.size < this.#length) return page.size;
    return this.#durable.count(key);
  }

  async indexOf(key: string, id: string): Promise<number> {
    return this.#durable.indexOf(key, id);
  }

  async contains(key: string, id: string): Promise<boolean> {
    return this.#durable.contains(key, id);
  }
}
