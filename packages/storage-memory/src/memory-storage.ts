import { EventEmitter } from 'node:events';
import { SerializationError } from '@sf/activity';
import type { Activity } from '@sf/activity';
import {
  KeyedMutex,
  activitiesById,
  applyMarkerUpdate,
  checkActivityConflict,
  checkActivityUpdate,
  RebuildListeners,
  defineCapabilities,
  indexedValuesOf,
  resolveFormat,
} from '@sf/feeds/backend';
import type {
  ActivityClockStorage,
  ActivityStorage,
  BackendCapabilities,
  CachedPage,
  MarkerCounts,
  MarkerEvent,
  MarkerLists,
  MarkerStorage,
  MarkerUpdate,
  StorageBackend,
  TimelineChange,
  TimelineDimension,
  TimelineIndex,
  TimelineItem,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
  TimelineStorageOptions,
  TimelineWriteOptions,
  FormatOption,
  SerializationFormat,
  Serializer,
} from '@sf/feeds/backend';
import { SortedTimeline } from './sorted-timeline.js';
import { MemoryActivityClock } from './memory-activity-clock.js';
import type { MemoryClockData } from './memory-activity-clock.js';

/** Timelines in process memory. Values go through the serializer, as in every other backend. */
export class MemoryTimelineStorage<T extends TimelineItem> implements TimelineStorage<T> {
  readonly name: string;
  readonly kind: TimelineKind;
  readonly #serializer: Serializer<T>;
  readonly #timelines: Map<string, SortedTimeline<string>>;
  readonly #members = new WeakMap<object, string>();
  readonly #mutex = new KeyedMutex();
  /** Flat timelines: the dimensions each entry carries its values of. */
  readonly #index: TimelineIndex | undefined;
  /** Cache-tier state of each feed: `c:<token>` complete, `l:<token>` a fill in progress. */
  readonly #cacheStates: Map<string, string>;
  #tokens = 0;

  constructor(
    options: TimelineStorageOptions<T>,
    timelines: Map<string, SortedTimeline<string>>,
    cacheStates: Map<string, string> = new Map(),
  ) {
    this.name = options.name;
    this.kind = options.kind;
    this.#index = options.kind === 'flat' ? options.index : undefined;
    this.#serializer = options.serializer;
    this.#timelines = timelines;
    this.#cacheStates = cacheStates;
  }

  #memberOf(item: T): string {
    return this.#members.get(item) ?? this.#serializer.dumps(item);
  }

  #load(key: string, member: string): T {
    let item: T;
    try {
      item = this.#serializer.loads(member);
    } catch (error) {
      if (error instanceof SerializationError) {
        throw new SerializationError(`feed ${key}: ${error.message}`, { field: key, cause: error });
      }
      throw error;
    }
    this.#members.set(item, member);
    return item;
  }

  #timeline(key: string, create: true): SortedTimeline<string>;
  #timeline(key: string, create?: false): SortedTimeline<string> | undefined;
  #timeline(key: string, create = false): SortedTimeline<string> | undefined {
    let timeline = this.#timelines.get(key);
    if (!timeline && create) {
      timeline = new SortedTimeline<string>();
      this.#timelines.set(key, timeline);
    }
    return timeline;
  }

  #addNow(key: string, items: readonly T[], options: TimelineWriteOptions): number {
    const timeline = this.#timeline(key, true);
    let added = 0;
    for (const item of items) {
      const member = this.#memberOf(item);
      // Aggregated items of equal id come by group (the contract), whatever the member looks like.
      const tie = this.kind === 'flat' ? undefined : (item as unknown as { group: string }).group;
      const values = this.#index ? indexedValuesOf(item, this.#index) : undefined;
      if (timeline.add({ id: item.serializationId, member, tie, item: member, values })) added++;
    }
    if (options.maxLength !== undefined) timeline.trim(options.maxLength);
    return added;
  }

  #removeIdsNow(key: string, ids: readonly string[]): number {
    const timeline = this.#timeline(key);
    if (!timeline) return 0;
    let removed = 0;
    for (const id of ids) {
      for (const entry of timeline.entriesWithId(id)) {
        if (timeline.removeMember(entry.member)) removed++;
      }
    }
    if (timeline.size === 0) this.#timelines.delete(key);
    return removed;
  }

  #getNow(key: string, query: TimelineQuery): T[] {
    const timeline = this.#timeline(key);
    if (!timeline) return [];
    return timeline
      .page(query.filter ?? {}, query.order ?? 'desc', query.offset, query.limit, query.where)
      .map((entry) => this.#load(key, entry.member));
  }

  async add(key: string, items: readonly T[], options: TimelineWriteOptions = {}): Promise<number> {
    return this.#mutex.run(key, async () => this.#addNow(key, items, options));
  }

  async addToMany(
    keys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    let added = 0;
    for (const key of keys) added += await this.add(key, items, options);
    return added;
  }

  async removeIds(key: string, ids: readonly string[]): Promise<number> {
    return this.#mutex.run(key, async () => this.#removeIdsNow(key, ids));
  }

  async removeIdsFromMany(keys: readonly string[], ids: readonly string[]): Promise<number> {
    let removed = 0;
    for (const key of keys) removed += await this.removeIds(key, ids);
    return removed;
  }

  async get(key: string, query: TimelineQuery): Promise<T[]> {
    return this.#getNow(key, query);
  }

  async count(key: string): Promise<number> {
    return this.#timeline(key)?.size ?? 0;
  }

  /** Counted from the values each entry carries (removed, trimmed and deleted with it). */
  async countBy(key: string, dimension: TimelineDimension): Promise<Map<string, number>> {
    return this.#timeline(key)?.countBy(dimension) ?? new Map();
  }

  async delete(key: string): Promise<void> {
    await this.#mutex.run(key, async () => {
      this.#timelines.delete(key);
    });
  }

  async trim(key: string, maxLength: number): Promise<void> {
    await this.#mutex.run(key, async () => {
      this.#timeline(key)?.trim(maxLength);
    });
  }

  async indexOf(key: string, id: string): Promise<number> {
    return this.#timeline(key)?.indexOfId(id) ?? -1;
  }

  async contains(key: string, id: string): Promise<boolean> {
    return (await this.indexOf(key, id)) !== -1;
  }

  async modify(
    key: string,
    options: TimelineWriteOptions,
    mutate: (read: (query: TimelineQuery) => Promise<T[]>) => Promise<TimelineChange<T>>,
  ): Promise<TimelineChange<T>> {
    return this.#mutex.run(key, async () => {
      const change = await mutate(async (query) => this.#getNow(key, query));
      const timeline = this.#timeline(key, true);
      for (const item of change.remove) timeline.removeMember(this.#memberOf(item));
      this.#addNow(key, change.add, options);
      if (timeline.size === 0) this.#timelines.delete(key);
      return change;
    });
  }

  // The cache tier (capabilities.cacheTier): each method checks and writes under the feed's
  // mutex, so the completeness check and the write are one step, as in Redis's scripts.

  async addToCached(
    keys: readonly string[],
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<number> {
    let added = 0;
    for (const key of new Set(keys)) {
      added += await this.#mutex.run(key, async () => {
        const state = this.#cacheStates.get(key);
        if (state?.startsWith('c:')) return this.#addNow(key, items, options);
        if (state !== undefined) this.#cacheStates.delete(key); // spoils the fill in progress
        return 0;
      });
    }
    return added;
  }

  async readCached(key: string, query: TimelineQuery): Promise<CachedPage<T>> {
    return this.#mutex.run(key, async () => {
      if (!this.#cacheStates.get(key)?.startsWith('c:'))
        return { complete: false, size: 0, items: [] };
      return {
        complete: true,
        size: this.#timeline(key)?.size ?? 0,
        items: this.#getNow(key, query),
      };
    });
  }

  async beginFill(key: string): Promise<string> {
    const token = String(++this.#tokens);
    await this.#mutex.run(key, async () => void this.#cacheStates.set(key, `l:${token}`));
    return token;
  }

  async fill(
    key: string,
    token: string,
    items: readonly T[],
    options: TimelineWriteOptions = {},
  ): Promise<boolean> {
    return this.#mutex.run(key, async () => {
      if (this.#cacheStates.get(key) !== `l:${token}`) return false;
      this.#timelines.delete(key);
      this.#addNow(key, items, options);
      if (this.#timeline(key)?.size === 0) this.#timelines.delete(key);
      this.#cacheStates.set(key, `c:${token}`);
      return true;
    });
  }

  async evict(keys: readonly string[]): Promise<void> {
    for (const key of new Set(keys)) {
      await this.#mutex.run(key, async () => {
        this.#timelines.delete(key);
        this.#cacheStates.delete(key);
      });
    }
  }
}

/** Activities by id, in process memory (kept as the immutable objects they are). */
export class MemoryActivityStorage implements ActivityStorage {
  readonly #activities: Map<string, Activity>;
  /** Foreign id -> ids of the stored activities carrying it. */
  readonly #foreignIds: Map<string, Set<string>>;

  constructor(activities: Map<string, Activity>, foreignIds: Map<string, Set<string>> = new Map()) {
    this.#activities = activities;
    this.#foreignIds = foreignIds;
  }

  #unindex(activity: Activity | undefined): void {
    if (activity?.foreignId == null) return;
    const ids = this.#foreignIds.get(activity.foreignId);
    ids?.delete(activity.serializationId);
    if (ids?.size === 0) this.#foreignIds.delete(activity.foreignId);
  }

  /** @throws ActivityConflictError (storing nothing) when an id is another actor's */
  async addMany(activities: readonly Activity[]): Promise<number> {
    const byId = activitiesById(activities);
    for (const [id, activity] of byId) {
      const stored = this.#activities.get(id);
      if (stored) checkActivityConflict(stored, activity);
    }
    let added = 0;
    for (const [id, activity] of byId) {
      const stored = this.#activities.get(id);
      if (stored === undefined) added++;
      else this.#unindex(stored);
      this.#activities.set(id, activity);
      if (activity.foreignId !== null) {
        let ids = this.#foreignIds.get(activity.foreignId);
        if (ids === undefined) this.#foreignIds.set(activity.foreignId, (ids = new Set()));
        ids.add(id);
      }
    }
    return added;
  }

  /**
   * Overwrites stored activities, all or none (in one synchronous step: nothing runs between
   * the check and the write).
   * @throws ActivityNotFoundError, ActivityConflictError (nothing stored)
   */
  async updateMany(activities: readonly Activity[]): Promise<number> {
    const byId = activitiesById(activities);
    const stored = new Map<string, Activity>();
    for (const id of byId.keys()) {
      const activity = this.#activities.get(id);
      if (activity) stored.set(id, activity);
    }
    checkActivityUpdate(byId, stored);
    for (const [id, activity] of byId) this.#activities.set(id, activity);
    return byId.size;
  }

  async idsByForeignIds(foreignIds: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const foreignId of foreignIds) {
      const ids = this.#foreignIds.get(foreignId);
      if (ids !== undefined && ids.size > 0) found.set(foreignId, sortIds([...ids]));
    }
    return found;
  }

  async getMany(ids: readonly string[]): Promise<Map<string, Activity>> {
    const found = new Map<string, Activity>();
    for (const id of ids) {
      const activity = this.#activities.get(id);
      if (activity) found.set(id, activity);
    }
    return found;
  }

  async removeMany(ids: readonly string[]): Promise<number> {
    let removed = 0;
    for (const id of ids) {
      const stored = this.#activities.get(id);
      if (stored === undefined) continue;
      this.#activities.delete(id);
      this.#unindex(stored);
      removed++;
    }
    return removed;
  }
}

/** Unseen/unread markers in process memory; `subscribe` hears this process's changes. */
export class MemoryMarkerStorage implements MarkerStorage {
  readonly #lists: Map<string, MarkerLists>;
  readonly #events: EventEmitter<{ change: [MarkerEvent] }>;

  constructor(lists: Map<string, MarkerLists>, events: EventEmitter<{ change: [MarkerEvent] }>) {
    this.#lists = lists;
    this.#events = events;
  }

  async update(key: string, update: MarkerUpdate, maxLength: number): Promise<MarkerCounts> {
    const lists = applyMarkerUpdate(
      this.#lists.get(key) ?? { unseen: [], unread: [] },
      update,
      maxLength,
    );
    if (lists.unseen.length === 0 && lists.unread.length === 0) this.#lists.delete(key);
    else this.#lists.set(key, lists);
    const counts = { unseen: lists.unseen.length, unread: lists.unread.length };
    this.#events.emit('change', { key, ...counts });
    return counts;
  }

  async get(key: string): Promise<MarkerLists> {
    const lists = this.#lists.get(key);
    return { unseen: [...(lists?.unseen ?? [])], unread: [...(lists?.unread ?? [])] };
  }

  async counts(key: string): Promise<MarkerCounts> {
    const lists = this.#lists.get(key);
    return { unseen: lists?.unseen.length ?? 0, unread: lists?.unread.length ?? 0 };
  }

  async delete(key: string): Promise<void> {
    if (this.#lists.delete(key)) this.#events.emit('change', { key, unseen: 0, unread: 0 });
  }

  async subscribe(listener: (event: MarkerEvent) => void): Promise<() => Promise<void>> {
    this.#events.on('change', listener);
    return async () => {
      this.#events.off('change', listener);
    };
  }
}

/**
 * What the memory backend declares: timelines hold ids (activities in the activity storage), any
 * feed name, events and `modify` atomicity within this process only, nothing shared.
 */
export const memoryCapabilities: BackendCapabilities = defineCapabilities({
  storesFullActivities: false,
  feedName: null,
  notificationEvents: 'in-process',
  atomicAggregatedWrites: 'in-process',
  shared: false,
  indexedFilters: true,
  cacheTier: true,
  foreignIds: true,
});

function sortIds(ids: string[]): string[] {
  return ids.sort((a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0));
}

export interface MemoryStorageOptions {
  /**
   * Serialization family of stored values: `'json'` (default), `'stream-framework'`, or a
   * `SerializationFormat` object; anything else throws `InvalidFormatError` here, not at a write.
   */
  format?: FormatOption;
}

/**
 * A storage backend in process memory: the embedded default. Each call makes an independent
 * store; feed definitions sharing one backend share its data.
 */
export class MemoryStorage implements StorageBackend {
  readonly name = 'memory';
  readonly capabilities = memoryCapabilities;
  readonly format: SerializationFormat;
  readonly #timelines = new Map<string, Map<string, SortedTimeline<string>>>();
  readonly #cacheStates = new Map<string, Map<string, string>>();
  readonly #activities = new Map<string, Activity>();
  readonly #foreignIds = new Map<string, Set<string>>();
  readonly #markers = new Map<string, MarkerLists>();
  readonly #markerEvents = new EventEmitter<{ change: [MarkerEvent] }>();
  readonly #clocks = new Map<string, MemoryClockData>();

  constructor(options: MemoryStorageOptions = {}) {
    this.format = resolveFormat(options.format, 'memoryStorage.format');
    this.#markerEvents.setMaxListeners(0);
  }

  timelineStorage<T extends TimelineItem>(options: TimelineStorageOptions<T>): TimelineStorage<T> {
    // Definitions of different kinds never share keys' contents, as separate Redis types would not.
    const space = `${options.kind}`;
    let timelines = this.#timelines.get(space);
    if (!timelines) {
      timelines = new Map();
      this.#timelines.set(space, timelines);
    }
    let cacheStates = this.#cacheStates.get(space);
    if (!cacheStates) {
      cacheStates = new Map();
      this.#cacheStates.set(space, cacheStates);
    }
    return new MemoryTimelineStorage<T>(options, timelines, cacheStates);
  }

  activityStorage(): ActivityStorage {
    return new MemoryActivityStorage(this.#activities, this.#foreignIds);
  }

  markerStorage(): MarkerStorage {
    return new MemoryMarkerStorage(this.#markers, this.#markerEvents);
  }

  /** The activity clock named `name` (clocks of one backend with the same name share data). */
  activityClock(options: { name: string }): ActivityClockStorage {
    let data = this.#clocks.get(options.name);
    if (!data) {
      data = { lastActive: new Map(), rebuilds: new Map(), listeners: new RebuildListeners() };
      this.#clocks.set(options.name, data);
    }
    return new MemoryActivityClock(data, options.name);
  }

  /** Forgets everything (for tests and demos). */
  clear(): void {
    // Inner maps too: definitions made before keep references to them.
    for (const timelines of this.#timelines.values()) timelines.clear();
    for (const states of this.#cacheStates.values()) states.clear();
    this.#timelines.clear();
    this.#cacheStates.clear();
    this.#activities.clear();
    this.#foreignIds.clear();
    this.#markers.clear();
    this.#clocks.clear();
  }
}

export function memoryStorage(options?: MemoryStorageOptions): MemoryStorage {
  return new MemoryStorage(options);
}
