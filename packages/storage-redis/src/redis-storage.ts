import { defineCapabilities, resolveFormat } from '@sf/feeds/backend';
import type {
  ActivityClockStorage,
  ActivityStorage,
  BackendCapabilities,
  FormatOption,
  MarkerStorage,
  SerializationFormat,
  StorageBackend,
  TimelineItem,
  TimelineStorage,
  TimelineStorageOptions,
} from '@sf/feeds/backend';
import type { Metrics } from '@sf/feeds';
import {
  ActivityCache,
  InvalidationListener,
  resolveActivityCacheOptions,
  type ActivityCacheOptions,
  type ActivityCacheStats,
} from './activity-cache.js';
import { RedisRunner, type RedisClient } from './redis-runner.js';
import {
  RedisStorageContext,
  resolveLockOptions,
  warnCorruptEntry,
  type CorruptEntryPolicy,
  type RedisLockOptions,
} from './context.js';
import { RedisConfigurationError, type RedisSerializationError } from './errors.js';
import { RedisKeys, type MarkersKeyFormat } from './keys.js';
import { RedisActivityClock } from './redis-activity-clock.js';
import { TimelineLayout, resolveLayout, type RedisLayout } from './layout.js';
import { RedisActivityStorage } from './redis-activity-storage.js';
import { CountsSubscriber, RedisMarkerStorage } from './redis-marker-storage.js';
import { RedisTimelineStorage } from './redis-timeline-storage.js';

/**
 * What the Redis backend declares: timelines hold ids (activities in the `global:*` hashes), any
 * feed name, marker count events to every process (pub/sub; `'none'` with `countsChannel: null`),
 * `modify` under a lock held in Redis, data shared by every process, batched aggregated writes
 * (`modifyMany`; off with `batchedAggregatedWrites: false`, and by default in the Stream Framework
 * format, whose Python writers do not bump the feed versions these writes check).
 */
export const redisCapabilities: BackendCapabilities = defineCapabilities({
  storesFullActivities: false,
  feedName: null,
  notificationEvents: 'cross-process',
  atomicAggregatedWrites: 'cross-process',
  shared: true,
  batchedAggregatedWrites: true,
  indexedFilters: true,
  cacheTier: true,
  foreignIds: true,
});

export interface RedisStorageOptions {
  /** An ioredis client: `new Redis(...)` (single node, Sentinel) or `new Cluster(...)`. Required. */
  redis: RedisClient;
  /** Prepended to every key (default '' so keys equal Stream Framework's). */
  keyPrefix?: string;
  /**
   * How activities and aggregated activities are stored: `'json'` (default, this library's
   * format) or `'stream-framework'` (Stream Framework 1.4's wire format, to share data with a
   * Python deployment), or any SerializationFormat.
   */
  format?: FormatOption;
  /**
   * How flat timelines score their entries (see the README: "Layouts"): `'stream-framework'`
   * (default: the serialization id as a double, as Python Stream Framework writes it) or
   * `'compact'` (integer scores, the activity time in ms, ties ordered by id: less server time
   * and memory per write, exact order; not readable by Python). A storage refuses a keyspace
   * marked with the other layout (the marker key `<keyPrefix>sf:layout`).
   */
  layout?: RedisLayout;
  /** The same as `format` (the name the issue tracker and Stream Framework users reach for). */
  serializer?: FormatOption;
  /** Base key of the activity hashes (default 'global': `global:0` .. `global:9`). */
  activityKey?: string;
  /** Number of activity hashes (default 10, as Stream Framework). */
  activityShards?: number;
  /**
   * Key of the marker lists, with `%(key)s` (the notification feed's markers key) and
   * `%(list)s` (`unseen` / `unread`), or a function. Default `list:%(key)s:%(list)s`
   * (Stream Framework's), with a hash tag `list:{%(key)s}:%(list)s` when `hashTags` is on.
   */
  markersKeyFormat?: MarkersKeyFormat;
  /**
   * Pub/sub channel on which marker count changes are published (`{"key","unseen","unread"}`);
   * `null` publishes nothing. Default `<keyPrefix>sf:notification-counts`.
   */
  countsChannel?: string | null;
  /**
   * Add `{...}` hash tags to the keys a script uses together (marker lists, feed locks) so that
   * they share a cluster slot. `'auto'` (default): on for a Cluster client, off otherwise.
   */
  hashTags?: boolean | 'auto';
  /**
   * Aggregated fanout in batches (`modifyMany`): a chunk of feeds is read in one round trip,
   * merged in Node and written back in one script call that writes each feed only if its
   * version (a counter key per feed, bumped by every aggregated write of this package) is
   * unchanged. Default: on, except with the `'stream-framework'` format (a keyspace shared with
   * Python Stream Framework, whose writers lock but do not bump versions): there every feed is
   * a locked read-modify-write, as in Python.
   */
  batchedAggregatedWrites?: boolean;
  /** The lock of `modify` (aggregated and notification feeds). */
  lock?: RedisLockOptions;
  /**
   * A timeline member or activity value that cannot be decoded is skipped and reported
   * (`'skip'`, default) or fails the read (`'throw'`). Either way it is a RedisSerializationError
   * naming the key and the entry.
   */
  corruptEntries?: CorruptEntryPolicy;
  /** Receives skipped corrupt entries (default: `process.emitWarning`). */
  onCorruptEntry?: (error: RedisSerializationError) => void;
  /**
   * An in-process cache of decoded activities, kept correct across processes by Redis'
   * client-side caching (`CLIENT TRACKING ... BCAST`, Redis 6 or later) on a connection of its
   * own. Default: on with `maxBytes` 64 MiB for a single Redis, off for a Cluster client (where
   * passing an object is refused). `false` turns it off.
   */
  activityCache?: ActivityCacheOptions | false;
  /** Receives the activity cache's hits, misses, evictions (`Metrics.onActivityCache`). */
  metrics?: Metrics;
}

/** The activity cache of a storage (`RedisStorage.activityCache`). */
export interface RedisActivityCacheHandle {
  /** Counters and current size. */
  stats(): ActivityCacheStats;
  /** Opens its connection if needed; resolves once it serves reads. */
  ready(): Promise<void>;
  /**
   * Resolves once the invalidations of every write acknowledged before this call are applied
   * (one PING on its connection). Reads are otherwise only as fresh as those messages' arrival.
   */
  sync(): Promise<void>;
}

/**
 * The Redis backend: sorted-set timelines, sharded activity hashes, notification marker lists
 * with pub/sub counts; single node or Redis Cluster. Create it with `redisStorage(options)`.
 */
export class RedisStorage implements StorageBackend {
  readonly name = 'redis';
  readonly capabilities: BackendCapabilities;
  readonly format: SerializationFormat;
  readonly keys: RedisKeys;
  readonly layout: RedisLayout;
  readonly countsChannel: string | null;
  readonly #context: RedisStorageContext;
  readonly #activityStorage: RedisActivityStorage;
  readonly #markerStorage: RedisMarkerStorage;
  /** The counts channel's subscription, shared by the markers and the activity clocks. */
  readonly #subscriber: CountsSubscriber | null;
  readonly #cacheListener: InvalidationListener | undefined;
  /** The activity cache, or null when it is off. */
  readonly activityCache: RedisActivityCacheHandle | null;
  readonly #batched: { channel: string | null } | undefined;

  constructor(options: RedisStorageOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new RedisConfigurationError('redisStorage needs options { redis }');
    }
    const client = options.redis as RedisClient | undefined;
    if (
      !client ||
      typeof client.pipeline !== 'function' ||
      typeof client.defineCommand !== 'function'
    ) {
      throw new RedisConfigurationError(
        'redisStorage needs an ioredis client: { redis: new Redis(url) } or { redis: new Cluster(nodes) }',
      );
    }
    const runner = new RedisRunner(client);
    const clientPrefix = (client as { options?: { keyPrefix?: string } }).options?.keyPrefix;
    if (runner.isCluster && clientPrefix) {
      // The client would prefix keys after this package computed their hash slots and tags.
      throw new RedisConfigurationError(
        `the Cluster client has keyPrefix ${JSON.stringify(clientPrefix)}; give the prefix to redisStorage({ keyPrefix }) instead`,
      );
    }
    const keyPrefix = options.keyPrefix ?? '';
    const hashTags = options.hashTags ?? 'auto';
    if (hashTags !== 'auto' && typeof hashTags !== 'boolean') {
      throw new RedisConfigurationError(
        `hashTags must be true, false or 'auto', got ${JSON.stringify(hashTags)}`,
      );
    }
    this.keys = new RedisKeys({
      keyPrefix,
      activityKey: options.activityKey ?? 'global',
      activityShards: options.activityShards ?? 10,
      markersKeyFormat: options.markersKeyFormat,
      hashTags: hashTags === 'auto' ? runner.isCluster : hashTags,
    });
    const corruptEntries = options.corruptEntries ?? 'skip';
    if (corruptEntries !== 'skip' && corruptEntries !== 'throw') {
      throw new RedisConfigurationError(
        `corruptEntries must be 'skip' or 'throw', got ${JSON.stringify(corruptEntries)}`,
      );
    }
    if (
      options.format !== undefined &&
      options.serializer !== undefined &&
      options.format !== options.serializer
    ) {
      throw new RedisConfigurationError(
        'pass either format or serializer (they are the same option), not both',
      );
    }
    this.format = resolveFormat(
      options.format ?? options.serializer,
      options.format === undefined && options.serializer !== undefined
        ? 'redisStorage.serializer'
        : 'redisStorage.format',
    );
    this.layout = resolveLayout(options.layout);
    this.#context = new RedisStorageContext({
      runner,
      keys: this.keys,
      layout: new TimelineLayout(this.layout, runner, keyPrefix),
      lock: resolveLockOptions(options.lock),
      corruptEntries,
      onCorruptEntry: options.onCorruptEntry ?? warnCorruptEntry,
    });
    const channel =
      options.countsChannel === undefined
        ? `${keyPrefix}sf:notification-counts`
        : options.countsChannel;
    if (channel !== null && (typeof channel !== 'string' || channel.length === 0)) {
      throw new RedisConfigurationError(
        `countsChannel must be a non-empty string or null, got ${JSON.stringify(channel)}`,
      );
    }
    this.countsChannel = channel;
    const batched = options.batchedAggregatedWrites ?? this.format.name !== 'stream-framework';
    if (typeof batched !== 'boolean') {
      throw new RedisConfigurationError(
        `batchedAggregatedWrites must be a boolean, got ${JSON.stringify(batched)}`,
      );
    }
    this.#batched = batched ? { channel } : undefined;
    this.capabilities =
      channel === null || !batched
        ? defineCapabilities({
            ...redisCapabilities,
            notificationEvents: channel === null ? 'none' : redisCapabilities.notificationEvents,
            batchedAggregatedWrites: batched,
          })
        : redisCapabilities;
    const cacheOptions = resolveActivityCacheOptions(options.activityCache, runner.isCluster);
    let cache: { cache: ActivityCache; listener: InvalidationListener } | undefined;
    if (cacheOptions !== null) {
      // Redis reports keys as the server names them: with the client's own keyPrefix, if any.
      const serverPrefix = clientPrefix ?? '';
      const activityCache = new ActivityCache(
        cacheOptions.maxBytes,
        this.keys.activityShardKeys().map((key) => serverPrefix + key),
        options.metrics,
      );
      const listener = new InvalidationListener(
        client,
        activityCache,
        `${serverPrefix}${keyPrefix}${this.keys.activityKey}:`,
      );
      cache = { cache: activityCache, listener };
      this.activityCache = {
        stats: () => activityCache.stats(),
        ready: () => listener.subscribed(),
        sync: () => listener.sync(),
      };
    } else {
      this.activityCache = null;
    }
    this.#cacheListener = cache?.listener;
    this.#activityStorage = new RedisActivityStorage(
      this.#context,
      this.format.activitySerializer(),
      this.format.name,
      cache,
    );
    this.#subscriber = channel === null ? null : new CountsSubscriber(client, channel);
    this.#markerStorage = new RedisMarkerStorage(this.#context, channel, this.#subscriber);
  }

  /** The ioredis client this backend uses. */
  get redis(): RedisClient {
    return this.#context.runner.client;
  }

  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T> {
    return new RedisTimelineStorage<T>(this.#context, options, this.#batched);
  }

  /** One activity storage (the `global:*` hashes) shared by every feed of this backend. */
  activityStorage(_options: { name: string }): ActivityStorage {
    return this.#activityStorage;
  }

  markerStorage(_options: { name: string }): MarkerStorage {
    return this.#markerStorage;
  }

  /**
   * The activity clock named `name` (inactive followers): sharded hashes of last activity
   * times and `SET NX PX` rebuild states, under this storage's key prefix.
   */
  activityClock(options: { name: string }): ActivityClockStorage {
    return new RedisActivityClock(
      this.#context.runner,
      this.keys.keyPrefix,
      options.name,
      this.#subscriber,
    );
  }

  /**
   * Closes the activity cache's connection (also closed by itself when the client ends). The
   * client you passed is yours to close.
   */
  async close(): Promise<void> {
    await this.#cacheListener?.close();
  }
}

/**
 * The Redis storage backend.
 *
 * @example
 * const storage = redisStorage({ redis: new Redis(process.env.REDIS_URL) });
 * const PinFeed = Feed.define({ keyFormat: 'feed:normal:{userId}', storage });
 */
export function redisStorage(options: RedisStorageOptions): RedisStorage {
  return new RedisStorage(options);
}
