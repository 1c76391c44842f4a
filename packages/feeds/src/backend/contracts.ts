import type { Activity, DehydratedActivity } from '@sf/activity';
import type { SerializationFormat, Serializer } from '@sf/serializers';
import type { BackendCapabilities } from './capabilities.js';
import type { TimelineDimension, TimelineIndex, TimelineWhere } from './indexes.js';

/** Anything a timeline holds: it is ordered by its serialization id. */
export interface TimelineItem {
  readonly serializationId: string;
}

/** What a flat timeline holds: ids (hydrated from the activity storage) or whole activities. */
export type FlatTimelineItem = Activity | DehydratedActivity;

/**
 * `flat`: activities, stored as ids (activities in the activity storage) or whole, as the
 * backend's `capabilities.storesFullActivities` says. `aggregated`: aggregated activities holding
 * activity ids. `notification`: aggregated activities holding whole activities (no activity
 * storage needed).
 */
export type TimelineKind = 'flat' | 'aggregated' | 'notification';

/** Bounds on serialization ids, as exact decimal strings. All given bounds apply. */
export interface IdFilter {
  gte?: string | undefined;
  gt?: string | undefined;
  lte?: string | undefined;
  lt?: string | undefined;
}

/** `desc` is newest first (the default), `asc` oldest first. */
export type TimelineOrder = 'desc' | 'asc';

export interface TimelineQuery {
  /** Items to skip after filtering, in the query's order. */
  offset: number;
  /** Items to return; `null` for all the rest. */
  limit: number | null;
  filter?: IdFilter | undefined;
  order?: TimelineOrder | undefined;
  /**
   * Only entries with these indexed values (flat timelines created with `index`, on a backend
   * declaring `capabilities.indexedFilters`); offset and limit count matching entries only.
   */
  where?: TimelineWhere | undefined;
}

export interface TimelineWriteOptions {
  /**
   * Trim each written timeline to its newest `maxLength` entries in the same operation
   * (no probabilistic trimming: every write leaves the feed within its length).
   */
  maxLength?: number | undefined;
}

/** The writes a `modify` callback asks for: items read earlier to remove, and items to add. */
export interface TimelineChange<T extends TimelineItem> {
  remove: T[];
  add: T[];
}

export interface TimelineStorageOptions<T extends TimelineItem> {
  /** The feed definition's name: table names, metrics and error messages use it. */
  name: string;
  kind: TimelineKind;
  /** How items become stored values; the same item must always give the same string. */
  serializer: Serializer<T>;
  /**
   * The name of the SerializationFormat `serializer` comes from (`'json'`, `'stream-framework'`):
   * shared backends use it to tell a keyspace written in another format from corrupt entries.
   */
  format?: string | undefined;
  /**
   * Flat timelines: the dimensions to index at write time, for `TimelineQuery.where` and
   * `countBy` (only asked of backends declaring `capabilities.indexedFilters`).
   */
  index?: TimelineIndex | undefined;
}

/**
 * A backend's timelines for one feed definition. A timeline is an ordered set of items keyed by
 * the feed key; items are unique by their serialized form (for flat feeds: by serialization id),
 * ordered by serialization id, newest first. Aggregated items can share an id (updated in the
 * same second): such ties come by group, descending in newest-first reads and ascending in
 * oldest-first ones, comparing groups as strings of bytes (`'ab'` after `'a'`, `'a1'` after `'a'`),
 * in every format.
 */
export interface TimelineStorage<T extends TimelineItem> {
  readonly name: string;
  readonly kind: TimelineKind;
  /** Adds items (already present ones are left as they are); returns how many were new. */
  add(key: string, items: readonly T[], options?: TimelineWriteOptions): Promise<number>;
  /**
   * The fanout's batch interface: adds the same items to many timelines in as few round trips
   * as the backend allows; returns how many entries were new in all.
   */
  addToMany(
    keys: readonly string[],
    items: readonly T[],
    options?: TimelineWriteOptions,
  ): Promise<number>;
  /** Removes entries by serialization id; returns how many were removed. */
  removeIds(key: string, ids: readonly string[]): Promise<number>;
  /** Removes the same ids from many timelines (the fanout's batch interface for removal). */
  removeIdsFromMany(keys: readonly string[], ids: readonly string[]): Promise<number>;
  /** A page of the timeline (hydration is the feed's job). */
  get(key: string, query: TimelineQuery): Promise<T[]>;
  count(key: string): Promise<number>;
  /**
   * Entries per value of an indexed dimension (verb ids as decimal strings, or field values),
   * exact and kept at write time; values with no entry are absent. Present on flat timelines
   * created with `index` when the backend declares `capabilities.indexedFilters`.
   */
  countBy?(key: string, dimension: TimelineDimension): Promise<Map<string, number>>;
  delete(key: string): Promise<void>;
  /** Keeps the newest `maxLength` entries. */
  trim(key: string, maxLength: number): Promise<void>;
  /** Position in newest-first order, or -1 when absent. */
  indexOf(key: string, id: string): Promise<number>;
  contains(key: string, id: string): Promise<boolean>;
  /**
   * An atomic read-modify-write of one timeline, for aggregated feeds: `mutate` reads through
   * `read` and returns what to remove (items it read) and add. No other `modify` of the same key
   * runs in between, in this process or (for shared backends) any other, so concurrent writers
   * never lose or duplicate an update.
   */
  modify(
    key: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>>;
  /**
   * Present when the backend declares `capabilities.batchedAggregatedWrites` (see `ModifyMany`).
   * Method syntax: a timeline of notification activities stays assignable to one of aggregated
   * activities, as with `modify`.
   */
  modifyMany?(...args: Parameters<ModifyMany<T>>): ReturnType<ModifyMany<T>>;
  /**
   * Update in place (flat timelines that hold whole activities: required when the backend
   * declares `capabilities.storesFullActivities`). Rewrites, in each timeline of `keys` that holds
   * an entry with an item's serialization id, that entry with the item, keeping its position;
   * never adds an entry to a timeline that lacks it, never trims. Batched per chunk of feeds.
   * Returns how many entries were rewritten.
   */
  replaceInMany?(keys: readonly string[], items: readonly T[]): Promise<number>;
  // The cache tier (present when the backend declares `capabilities.cacheTier`; flat timelines
  // only): what a tiered backend needs of the timelines it uses as a cache. A feed is *complete*
  // in the cache once `fill` wrote it; `addToCached` writes only complete feeds, so a feed the
  // cache lost (flushed, evicted, failed over) is never read back partial. See `CachedPage`.
  /**
   * Adds items to the feeds among `keys` that are complete in the cache, atomically with that
   * check (one script per chunk on Redis); a feed with a fill in progress gets its fill spoiled
   * instead (`fill` then writes nothing), an absent feed is left absent. Returns entries new.
   */
  addToCached?(
    keys: readonly string[],
    items: readonly T[],
    options?: TimelineWriteOptions,
  ): Promise<number>;
  /** A page and the feed's completeness and size, read in one atomic step. */
  readCached?(key: string, query: TimelineQuery): Promise<CachedPage<T>>;
  /** Starts a fill of a feed (spoiling any earlier one): call before reading what to fill. */
  beginFill?(key: string): Promise<string>;
  /**
   * Replaces the feed's entries with `items` (trimmed to `maxLength`) and marks it complete,
   * atomically, if the fill `token` is still current (no write or eviction since `beginFill`).
   * Returns whether it wrote.
   */
  fill?(
    key: string,
    token: string,
    items: readonly T[],
    options?: TimelineWriteOptions,
  ): Promise<boolean>;
  /** Drops feeds from the cache: their entries and their completeness, in one step per feed. */
  evict?(keys: readonly string[]): Promise<void>;
}

/** What `TimelineStorage.readCached` read. */
export interface CachedPage<T extends TimelineItem> {
  /** The feed is complete in the cache (filled, and kept up to date by `addToCached` since). */
  complete: boolean;
  /** How many entries the cache holds for the feed (0 when not complete). */
  size: number;
  /** The page, from the cache (empty when not complete). */
  items: T[];
}

/**
 * One feed's write in a `modifyMany`: what to remove (items it read) and add, and, for
 * notification feeds, the change of its marker lists to apply in the same atomic write.
 */
export interface BatchedTimelineChange<T extends TimelineItem> extends TimelineChange<T> {
  markers?:
    | {
        /** The markers key (`MarkerStorage`'s key, e.g. `notification_feed:21`). */
        key: string;
        update: MarkerUpdate;
        /** Each list keeps its newest `maxLength` ids. */
        maxLength: number;
      }
    | undefined;
}

/** What a `modifyMany` wrote, and the feeds it left to the caller. */
export interface ModifyManyResult<T extends TimelineItem> {
  /** Feed key -> the change written (and the marker counts after it, when it had markers). */
  written: Map<string, { change: TimelineChange<T>; counts?: MarkerCounts | undefined }>;
  /**
   * Feeds not written: changed by another writer on every attempt, or whose keys this backend
   * cannot write in one atomic step. The caller writes them with `modify`.
   */
  skipped: string[];
}

export interface ModifyManyOptions extends TimelineWriteOptions {
  /** Read-merge-write rounds before a feed that keeps changing is skipped (default: the backend's; Redis 3). */
  attempts?: number | undefined;
}

/**
 * The batched read-modify-write of many timelines (aggregated fanout), offered by backends that
 * declare `capabilities.batchedAggregatedWrites`. `mutate` runs once per feed and attempt, as in
 * `modify`; the backend coalesces the reads of all feeds into as few round trips as it can, then
 * writes every feed's change in one atomic step per batch that applies a feed's change only if
 * no writer (batched or `modify`) changed that feed since `mutate`'s first read. Feeds that
 * changed are read and merged again, up to `attempts` rounds, then reported as `skipped` (a
 * backend may also skip at once a feed a `modify` holds: that writer is still at work on it).
 * Reads through `read` come newest first; items of equal id may come in any order.
 */
export type ModifyMany<T extends TimelineItem> = (
  keys: readonly string[],
  options: ModifyManyOptions,
  mutate: (
    key: string,
    read: (query: TimelineQuery) => Promise<T[]>,
  ) => Promise<BatchedTimelineChange<T>>,
) => Promise<ModifyManyResult<T>>;

/** Where whole activities live when timelines store only their ids. */
export interface ActivityStorage {
  /**
   * Stores (or overwrites) activities; returns how many ids were new. Overwriting an activity of
   * another actor is refused: the whole call throws `ActivityConflictError` (from
   * `@sf/activity`) and stores nothing (see `activitiesById` and `checkActivityConflict`).
   */
  addMany(activities: readonly Activity[]): Promise<number>;
  /** The activities found; missing ids are absent from the map. */
  getMany(ids: readonly string[]): Promise<Map<string, Activity>>;
  /** Returns how many were removed. */
  removeMany(ids: readonly string[]): Promise<number>;
  /**
   * Update in place: overwrites activities that are stored, all or none. Nothing is created:
   * when an id is not stored the whole call throws `ActivityNotFoundError` (naming it) and
   * stores nothing; when an id holds another actor's activity it throws `ActivityConflictError`
   * and stores nothing (`checkActivityUpdate` does both checks). Returns how many activities
   * were updated (distinct ids). Optional for backends written before it: feeds then fall back
   * to `getMany` + `addMany` (`updateStoredActivities`), which a concurrent removal can race.
   */
  updateMany?(activities: readonly Activity[]): Promise<number>;
  /**
   * Present when the backend declares `capabilities.foreignIds`: for each foreign id, the ids of
   * the stored activities carrying it (`Activity.foreignId`), ascending; foreign ids with none
   * are absent. The index behind it is written by `addMany` with the activities and dropped by
   * `removeMany` with them (see each backend's README for how atomically).
   */
  idsByForeignIds?(foreignIds: readonly string[]): Promise<Map<string, string[]>>;
}

/** Unseen / unread counts of a notification feed. */
export interface MarkerCounts {
  unseen: number;
  unread: number;
}

export interface MarkerLists {
  unseen: string[];
  unread: string[];
}

/** One atomic change of a notification feed's markers. */
export interface MarkerUpdate {
  add?: Partial<MarkerLists> | undefined;
  remove?: Partial<MarkerLists> | undefined;
  /** Empties a list before applying `add`. */
  clear?: { unseen?: boolean; unread?: boolean } | undefined;
}

export interface MarkerEvent extends MarkerCounts {
  key: string;
}

/** Notification markers: ids of unseen and unread aggregated activities, newest last, capped. */
export interface MarkerStorage {
  /**
   * Applies the update atomically (removals, then clears, then additions; adding an id already
   * in a list moves it to the newest end, never duplicating it; each list keeps its newest
   * `maxLength` ids) and returns the counts after it, in one round trip where possible. Shared
   * backends also publish the new counts to `subscribe` listeners of every process.
   */
  update(key: string, update: MarkerUpdate, maxLength: number): Promise<MarkerCounts>;
  get(key: string): Promise<MarkerLists>;
  counts(key: string): Promise<MarkerCounts>;
  delete(key: string): Promise<void>;
  /**
   * Listens to count changes of every notification feed of this backend, from this process
   * and (for shared backends) every other. Returns a function that stops listening.
   */
  subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>>;
}

/** A storage backend: the factory of the storages of each feed definition. */
export interface StorageBackend {
  /** `memory`, `redis`, `cassandra`, ...: for messages and metrics only (decisions use `capabilities`). */
  readonly name: string;
  /** The serialization family used by default (JSON unless configured otherwise). */
  readonly format: SerializationFormat;
  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T>;
  /**
   * The activity storage: where feeds whose timelines hold ids find their activities. Every
   * backend returns a working one (the Manager and applications look activities up by id),
   * even when its own timelines hold whole activities.
   */
  activityStorage(options: { name: string }): ActivityStorage;
  markerStorage(options: { name: string }): MarkerStorage;
  /**
   * What this backend (as configured) can do: feeds and the Manager ask these, never `name`.
   * Each backend package also exports its default declaration (`redisCapabilities`, ...).
   */
  readonly capabilities: BackendCapabilities;
  /**
   * The activity clock of this backend (see `ActivityClockStorage`), named like the other
   * storages (`name` separates clocks sharing a backend). Optional: a backend without one
   * cannot serve `inactiveFollowers`, and the activity clock conformance tests skip it.
   */
  activityClock?(options: { name: string }): ActivityClockStorage;
}

/** A user's feed rebuild in progress (see `ActivityClockStorage.startRebuild`). */
export interface RebuildState {
  /** When it started (ms since the epoch): also the token `finishRebuild` checks. */
  startedAt: number;
  /** When it counts as abandoned (ms since the epoch): another rebuild may start then. */
  expiresAt: number;
}

/**
 * When each user was last active (e.g. last read a feed), and which users' feeds are being
 * rebuilt: what lets a fanout skip the feeds of inactive users and rebuild them on their return
 * (`inactiveFollowers` in `@sf/manager`). User ids are the strings the feed keys use. Times are
 * milliseconds since the epoch. A user never touched has no time (and counts as active).
 */
export interface ActivityClockStorage {
  /**
   * Sets the users' last activity to `atMs` and returns the times it
   * replaced (users never touched are absent), in one round trip per chunk.
   */
  touch(userIds: readonly string[], atMs: number): Promise<Map<string, number>>;
  /** The users' last activity times (users never touched are absent), in one round trip. */
  lastActive(userIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Starts a rebuild of a user's feeds, atomically across processes: false when one is already
   * running (started and neither finished nor past its `timeoutMs`).
   */
  startRebuild(userId: string, atMs: number, timeoutMs: number): Promise<boolean>;
  /** Ends the rebuild started at `startedAt` (a newer one, started after a timeout, stays). */
  finishRebuild(userId: string, startedAt: number): Promise<void>;
  /** The rebuilds running at `atMs` (finished or timed-out ones are absent). */
  rebuildStatus(userIds: readonly string[], atMs: number): Promise<Map<string, RebuildState>>;
  /** Forgets the users' times and rebuild states. */
  delete(userIds: readonly string[]): Promise<void>;
  /**
   * Listens to rebuilds of this clock ending (a `finishRebuild` that ended the running one), so
   * a web process learns that a worker finished a user's feeds without polling. The events
   * reach whom the backend's `capabilities.notificationEvents` says (they travel with marker
   * count events: Redis pub/sub, PostgreSQL LISTEN/NOTIFY; memory and Cassandra: this process
   * only); a backend publishing none throws. Nothing is replayed: a listener that may have
   * missed one checks `rebuildStatus`. Optional (a clock without it publishes nothing). Returns
   * a function that stops listening.
   */
  subscribe?(listener: (event: RebuildFinishedEvent) => void): Promise<() => Promise<void>>;
}

/** A rebuild of a user's feeds ended (see `ActivityClockStorage.subscribe`). */
export interface RebuildFinishedEvent {
  /** The clock's name (`activityClock({ name })`). */
  clock: string;
  userId: string;
  /** The ended rebuild's `startedAt`. */
  startedAt: number;
}
