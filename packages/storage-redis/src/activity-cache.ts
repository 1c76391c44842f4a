import type { Activity } from '@sf/activity';
import type { Metrics } from '@sf/feeds';
import type { Redis, RedisOptions } from 'ioredis';
import { RedisConfigurationError } from './errors.js';
import type { RedisClient } from './redis-runner.js';

/** `redisStorage({ activityCache })`: the in-process cache of decoded activities. */
export interface ActivityCacheOptions {
  /**
   * Upper bound of the cache's estimated size in bytes (default 64 MiB); the least recently
   * used activities are evicted beyond it.
   */
  maxBytes?: number;
}

/** Counters since the cache was created. */
export interface ActivityCacheStats {
  /** Activities served from the cache. */
  hits: number;
  /** Activities read from Redis (absent, or invalidated since they were cached). */
  misses: number;
  /** Misses whose stored value was unchanged: the cached decoded activity was reused. */
  revalidated: number;
  /** Activities dropped to stay under `maxBytes`. */
  evictions: number;
  /** Invalidation messages received (each names activity hashes, or all of them). */
  invalidations: number;
  /** Times the whole cache was dropped (the invalidation connection closed, FLUSHDB, ...). */
  flushes: number;
  /** Activities held now. */
  entries: number;
  /** Estimated bytes held now. */
  bytes: number;
  /** Whether the cache is serving reads now (its invalidation connection is subscribed). */
  active: boolean;
}

export const DEFAULT_ACTIVITY_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** Bytes counted per entry besides its stored value: the decoded activity, the map entry. */
const ENTRY_OVERHEAD = 400;

/**
 * `CLIENT SETNAME` of the invalidation connection (seen in `CLIENT LIST`):
 * `sf-activity-cache:<what its keys start with>`, anything but printable ASCII as `_`.
 */
export function activityCacheConnectionName(prefix: string): string {
  return `sf-activity-cache:${prefix}`.replace(/[^\x21-\x7e]/g, '_');
}

/** Redis' invalidation channel for RESP2 clients (`CLIENT TRACKING ... REDIRECT`). */
const INVALIDATE_CHANNEL = '__redis__:invalidate';

interface Entry {
  readonly activity: Activity;
  /** The stored value it was decoded from. */
  readonly raw: string;
  readonly shard: number;
  /** The shard's generation when the value was read: the entry is valid while they match. */
  generation: number;
  readonly bytes: number;
}

/**
 * What a read captured before it sent its HMGETs: a value read may only be cached when nothing
 * invalidated its shard (or the whole cache) in between.
 */
export interface CacheReadToken {
  readonly epoch: number;
  readonly generations: readonly number[];
}

/** Validates `redisStorage({ activityCache })`; `undefined` means the default. */
export function resolveActivityCacheOptions(
  option: ActivityCacheOptions | false | undefined,
  isCluster: boolean,
): Required<ActivityCacheOptions> | null {
  if (option === false) return null;
  if (option === undefined) {
    return isCluster ? null : { maxBytes: DEFAULT_ACTIVITY_CACHE_MAX_BYTES };
  }
  if (typeof option !== 'object' || option === null) {
    throw new RedisConfigurationError(
      `activityCache must be false or { maxBytes }, got ${JSON.stringify(option)}`,
    );
  }
  if (isCluster) {
    throw new RedisConfigurationError(
      'activityCache is not supported on a Redis Cluster client (its invalidations would need one tracking connection per master, followed through failovers and resharding); leave activityCache unset or pass activityCache: false',
    );
  }
  const maxBytes = option.maxBytes ?? DEFAULT_ACTIVITY_CACHE_MAX_BYTES;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RedisConfigurationError(
      `activityCache.maxBytes must be a positive integer, got ${JSON.stringify(option.maxBytes)}`,
    );
  }
  return { maxBytes };
}

/**
 * Decoded activities by serialization id, bounded in bytes with LRU eviction, kept correct across
 * processes by Redis server-assisted client-side caching: a connection of its own runs
 * `CLIENT TRACKING ON REDIRECT <its own id> BCAST PREFIX <activity hash prefix>` and subscribes
 * to `__redis__:invalidate`, so Redis reports every change to an activity hash made by any client.
 *
 * Activities live in a few hashes (Stream Framework's 10 shards), and Redis tracks keys, not hash
 * fields: a change to any activity of a shard invalidates every cached activity of that shard.
 * Invalidating is O(1) (the shard's generation moves on); an invalidated entry stays until it is
 * evicted or read again, and when the value read again is byte-identical, its decoded activity is
 * reused (no decoding, no allocation).
 *
 * The cache serves reads only while its connection is subscribed: when that connection closes
 * (invalidations may have been missed), everything is dropped and reads go to Redis until it is
 * subscribed again.
 */
export class ActivityCache {
  readonly maxBytes: number;
  readonly #entries = new Map<string, Entry>();
  readonly #generations: number[];
  readonly #shardIndex: Map<string, number>;
  readonly #metrics: Metrics | undefined;
  #epoch = 0;
  #bytes = 0;
  #active = false;
  readonly #stats = {
    hits: 0,
    misses: 0,
    revalidated: 0,
    evictions: 0,
    invalidations: 0,
    flushes: 0,
  };

  /** `shardKeys`: the activity hashes as Redis names them (with any client-side key prefix). */
  constructor(maxBytes: number, shardKeys: readonly string[], metrics?: Metrics) {
    this.maxBytes = maxBytes;
    this.#generations = shardKeys.map(() => 0);
    this.#shardIndex = new Map(shardKeys.map((key, index) => [key, index]));
    this.#metrics = metrics;
  }

  get active(): boolean {
    return this.#active;
  }

  /** The decoded activity of `id` when cached and not invalidated since; counts nothing. */
  get(id: string): Activity | undefined {
    if (!this.#active) return undefined;
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.generation !== this.#generations[entry.shard]) {
      return undefined;
    }
    // Most recently used last: Map iteration order is the LRU order.
    this.#entries.delete(id);
    this.#entries.set(id, entry);
    return entry.activity;
  }

  /** Counts one read's hits and misses (once per read, not per activity). */
  count(hits: number, misses: number): void {
    this.#stats.hits += hits;
    this.#stats.misses += misses;
    const metrics = this.#metrics;
    if (metrics?.onActivityCache === undefined) return;
    if (hits > 0) metrics.onActivityCache('hit', hits);
    if (misses > 0) metrics.onActivityCache('miss', misses);
  }

  /** Taken before a read's HMGETs are sent; `null` when the cache is not serving. */
  token(): CacheReadToken | null {
    return this.#active ? { epoch: this.#epoch, generations: [...this.#generations] } : null;
  }

  /**
   * The activity cached for `id` if it was decoded from exactly `raw` (invalidated or not): a
   * value read again that did not change need not be decoded again.
   */
  reuse(id: string, raw: string): Activity | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined || entry.raw !== raw) return undefined;
    this.#stats.revalidated += 1;
    return entry.activity;
  }

  /** Caches a value read with `token`, unless its shard was invalidated since. */
  set(token: CacheReadToken, id: string, shard: number, raw: string, activity: Activity): void {
    if (!this.#active || token.epoch !== this.#epoch) return;
    const generation = token.generations[shard]!;
    if (generation !== this.#generations[shard]) return;
    const bytes = ENTRY_OVERHEAD + 2 * (raw.length + id.length);
    if (bytes > this.maxBytes) return;
    const previous = this.#entries.get(id);
    if (previous !== undefined) {
      this.#entries.delete(id);
      this.#bytes -= previous.bytes;
    }
    this.#entries.set(id, { activity, raw, shard, generation, bytes });
    this.#bytes += bytes;
    if (this.#bytes > this.maxBytes) this.#evict();
  }

  #evict(): void {
    let evicted = 0;
    for (const [id, entry] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(id);
      this.#bytes -= entry.bytes;
      evicted += 1;
    }
    this.#stats.evictions += evicted;
    if (evicted > 0) this.#metrics?.onActivityCache?.('eviction', evicted);
  }

  /** Invalidates every cached activity of these shards (by index). */
  invalidateShards(shards: Iterable<number>): void {
    for (const shard of shards) this.#generations[shard]! += 1;
  }

  /** An invalidation message: the keys Redis reports as changed, or `null` for all of them. */
  invalidateKeys(keys: readonly string[] | null): void {
    this.#stats.invalidations += 1;
    this.#metrics?.onActivityCache?.('invalidation', 1);
    if (keys === null) {
      this.flush();
      return;
    }
    for (const key of keys) {
      const shard = this.#shardIndex.get(key);
      if (shard !== undefined) this.#generations[shard]! += 1;
    }
  }

  /** Drops everything; values being read now will not be cached. */
  flush(): void {
    this.#epoch += 1;
    if (this.#entries.size > 0) {
      this.#entries.clear();
      this.#bytes = 0;
    }
    this.#stats.flushes += 1;
    this.#metrics?.onActivityCache?.('flush', 1);
  }

  /** Starts (true) or stops (false) serving reads; either way drops what it held. */
  setActive(active: boolean): void {
    this.flush();
    this.#active = active;
  }

  stats(): ActivityCacheStats {
    return {
      ...this.#stats,
      entries: this.#entries.size,
      bytes: this.#bytes,
      active: this.#active,
    };
  }
}

/**
 * The connection that keeps an ActivityCache correct: a `duplicate()` of the storage's client,
 * opened on the first read, set up again after every reconnection, closed with `close()` or
 * when the storage's client ends.
 */
export class InvalidationListener {
  readonly #client: RedisClient;
  readonly #cache: ActivityCache;
  readonly #prefix: string;
  #connection: Redis | null = null;
  /** Moves on at every (re)connection: a setup that finishes late is ignored. */
  #session = 0;
  #closed = false;
  readonly #onClientEnd = () => void this.close();
  #subscribed: Promise<void> | null = null;
  #resolveSubscribed: (() => void) | null = null;

  /** `prefix`: what every activity hash key starts with on the server. */
  constructor(client: RedisClient, cache: ActivityCache, prefix: string) {
    this.#client = client;
    this.#cache = cache;
    this.#prefix = prefix;
  }

  /** Opens the connection if it is not open yet (the cache serves reads once it is subscribed). */
  start(): void {
    if (this.#connection !== null || this.#closed) return;
    const client = this.#client as Redis;
    client.once('end', this.#onClientEnd);
    // RESP2 (ioredis 6 speaks RESP3 by default and drops RESP3 'invalidate' pushes; ioredis 5
    // speaks only RESP2): Redis then publishes invalidations on __redis__:invalidate.
    const options: RedisOptions & { protocol?: 2 | 3 } = {
      protocol: 2,
      connectionName: activityCacheConnectionName(this.#prefix),
      lazyConnect: true,
      autoResubscribe: false,
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    };
    const connection = client.duplicate(options);
    this.#connection = connection;
    this.#subscribed = new Promise((resolve) => (this.#resolveSubscribed = resolve));
    // ioredis reconnects by itself; the cache reads from Redis meanwhile.
    connection.on('error', () => {});
    connection.on('close', () => {
      this.#session += 1;
      this.#cache.setActive(false);
    });
    connection.on('ready', () => void this.#setUp(connection, ++this.#session));
    connection.on('messageBuffer', (channel: Buffer, message: unknown) => {
      if (channel.toString() !== INVALIDATE_CHANNEL) return;
      this.#cache.invalidateKeys(
        Array.isArray(message) ? message.map((key: Buffer) => key.toString()) : null,
      );
    });
    connection.connect().catch(() => {});
  }

  async #setUp(connection: Redis, session: number): Promise<void> {
    try {
      const id = await connection.client('ID');
      await connection.call(
        'CLIENT',
        'TRACKING',
        'ON',
        'REDIRECT',
        String(id),
        'BCAST',
        'PREFIX',
        this.#prefix,
      );
      await connection.subscribe(INVALIDATE_CHANNEL);
    } catch (error) {
      if (session !== this.#session || this.#closed) return;
      const message = error instanceof Error ? error.message : String(error);
      // A server that cannot track (Redis < 6, an ACL without CLIENT): no cache, reads go to Redis.
      if (/unknown|NOPERM|syntax/i.test(message)) {
        process.emitWarning(
          `@sf/storage-redis: the activity cache is off, Redis refused client tracking: ${message}`,
        );
        void this.close();
      }
      return;
    }
    if (session !== this.#session || this.#closed) return;
    this.#cache.setActive(true);
    this.#resolveSubscribed?.();
  }

  /** Resolves once the cache serves reads (the first time). */
  subscribed(): Promise<void> {
    this.start();
    return this.#subscribed ?? Promise.resolve();
  }

  /**
   * Resolves once every invalidation for writes acknowledged before this call has been applied:
   * a PING on the invalidation connection, whose reply follows them.
   */
  async sync(): Promise<void> {
    const connection = this.#connection;
    if (connection === null || !this.#cache.active) return;
    await connection.ping();
  }

  /** Simulates a dropped connection (tests): the cache flushes and sets itself up again. */
  dropConnection(): void {
    this.#connection?.stream?.destroy();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    (this.#client as Redis).off('end', this.#onClientEnd);
    this.#session += 1;
    this.#cache.setActive(false);
    this.#resolveSubscribed?.();
    const connection = this.#connection;
    this.#connection = null;
    if (connection === null) return;
    try {
      await connection.quit();
    } catch {
      connection.disconnect();
    }
  }
}
