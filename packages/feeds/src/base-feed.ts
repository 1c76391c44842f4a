import {
  Activity,
  DehydratedActivity,
  getVerbById,
  InvalidActivityError,
  InvalidArgumentError,
  toSerializationId,
} from '@sf/activity';
import { InvalidFeedOptionError, InvalidQueryError } from './errors.js';
import type { ActivityOrId, VerbRegistry } from '@sf/activity';
import type { SerializationFormat } from '@sf/serializers';
import { formatFeedKey, validateKeyFormat, validateUserId } from './keys.js';
import type { UserId } from './keys.js';
import { noopMetrics } from './metrics.js';
import type { Metrics } from './metrics.js';
import { toOrder, toViewFilter, validatePage } from './query.js';
import type { FeedFilter, FeedOrdering, PageOptions } from './query.js';
import { checkFeedName } from './backend/capabilities.js';
import { updateStoredActivities } from './backend/activity-update.js';
import { indexedValuesOf, isEmptyWhere, matchesWhere } from './backend/indexes.js';
import type { TimelineDimension, TimelineIndex, TimelineWhere } from './backend/indexes.js';
import { activitiesByForeignId, foreignIdStorage, idsByForeignId } from './foreign-ids.js';
import type {
  ActivityStorage,
  IdFilter,
  StorageBackend,
  TimelineItem,
  TimelineOrder,
  TimelineQuery,
  TimelineStorage,
} from './backend/contracts.js';

/** Options every feed definition takes. */
export interface BaseFeedOptions {
  /**
   * Names the feed in metrics, errors and storage (table names on a backend that has them; the
   * backend's `capabilities.feedName` rule applies). Defaults from keyFormat.
   */
  name?: string;
  /** The key of a user's feed, with `{userId}` (or Stream Framework's `%(user_id)s`). */
  keyFormat: string;
  /** Entries kept per feed; every write trims to it. */
  maxLength?: number;
  storage: StorageBackend;
  /** Serialization family; defaults to the storage's. */
  format?: SerializationFormat;
  metrics?: Metrics;
  /** Called with the ids that a read skipped because their activity was missing or could not be read. */
  onMissingActivities?: (feedKey: string, ids: string[]) => void;
  /**
   * What `filter({ verb })`, `filter({ extraContext: { [field]: value } })` and `countBy` may
   * use: the verb, and one `extraContext` field (values strings or integers). On a backend
   * declaring `capabilities.indexedFilters`, flat timelines keep an index per value at write
   * time; elsewhere (and for aggregated feeds) reads scan the timeline.
   */
  index?: FeedIndexOptions;
}

/** The `index` option of a feed definition. */
export interface FeedIndexOptions {
  verb?: boolean;
  /** One `extraContext` field, e.g. `'board'`. */
  field?: string;
}

/** Entries read per round trip when a filter scans the timeline. */
const SCAN_BATCH = 200;

function validateIndex(index: FeedIndexOptions | undefined, feedName: string): TimelineIndex {
  if (index === undefined) return Object.freeze({ verb: false, field: null });
  if (typeof index !== 'object' || index === null) {
    throw new InvalidFeedOptionError(
      `index of feed ${feedName} must be an object like { verb: true, field: 'board' }, got ${String(index)}`,
      { path: 'options.index', value: index },
    );
  }
  for (const key of Object.keys(index)) {
    if (key !== 'verb' && key !== 'field') {
      throw new InvalidFeedOptionError(
        `index of feed ${feedName} takes verb and field (one extraContext field), got ${JSON.stringify(key)}`,
        { path: `options.index.${key}`, value: (index as Record<string, unknown>)[key] },
      );
    }
  }
  if (index.verb !== undefined && typeof index.verb !== 'boolean') {
    throw new InvalidFeedOptionError(
      `index.verb of feed ${feedName} must be a boolean, got ${String(index.verb)}`,
      { path: 'options.index.verb', value: index.verb },
    );
  }
  if (
    index.field !== undefined &&
    (typeof index.field !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(index.field))
  ) {
    throw new InvalidFeedOptionError(
      `index.field of feed ${feedName} must name one extraContext field (letters, digits, _; max 63), got ${JSON.stringify(index.field) ?? String(index.field)}`,
      { path: 'options.index.field', value: index.field },
    );
  }
  return Object.freeze({ verb: index.verb === true, field: index.field ?? null });
}

export function idOf(activity: ActivityOrId | DehydratedActivity): string {
  if (activity instanceof Activity || activity instanceof DehydratedActivity)
    return activity.serializationId;
  return toSerializationId(activity);
}

export function validateActivities(activities: readonly Activity[], feedName: string): void {
  if (!Array.isArray(activities)) {
    throw new InvalidActivityError(
      `feed ${feedName} takes an array of activities, got ${String(activities)}`,
      { value: activities },
    );
  }
  for (const activity of activities) {
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(
        `feed ${feedName} only stores Activity instances (or subclasses), got ${String(activity)}`,
        { value: activity },
      );
    }
  }
}

export function defaultName(keyFormat: string): string {
  return (
    keyFormat
      .replace(/\{userId\}|%\(user_id\)s/, '')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '') || 'feed'
  );
}

/** The parts of a feed definition shared by flat, aggregated and notification feeds. */
export abstract class BaseFeedDefinition<T extends TimelineItem> {
  readonly name: string;
  readonly keyFormat: string;
  readonly maxLength: number;
  readonly storage: StorageBackend;
  readonly format: SerializationFormat;
  readonly metrics: Metrics;
  readonly onMissingActivities: ((feedKey: string, ids: string[]) => void) | undefined;
  /** The declared indexed dimensions (`index` option). */
  readonly index: TimelineIndex;
  abstract readonly timeline: TimelineStorage<T>;
  /** Where activities live when the timeline holds ids (null when this feed needs none). */
  abstract readonly activityStorage: ActivityStorage | null;

  constructor(options: BaseFeedOptions, defaultMaxLength: number) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidFeedOptionError('a feed definition needs options { keyFormat, storage }', {
        path: 'options',
        value: options,
      });
    }
    this.keyFormat = validateKeyFormat(options.keyFormat);
    const name = options.name ?? defaultName(this.keyFormat);
    if (!options.storage || typeof options.storage.timelineStorage !== 'function') {
      throw new InvalidFeedOptionError(
        `feed ${String(name)} needs a storage backend (e.g. memoryStorage()), got ${typeof options.storage}`,
        {
          path: 'options.storage',
          value: options.storage,
        },
      );
    }
    if (typeof options.storage.capabilities !== 'object' || options.storage.capabilities === null) {
      throw new InvalidFeedOptionError(
        `feed ${String(name)}: the storage backend ${String(options.storage.name)} declares no capabilities (see defineCapabilities in @sf/feeds/backend)`,
        { path: 'options.storage.capabilities', value: options.storage.capabilities },
      );
    }
    // The backend's own naming rule (Cassandra: names become table names), not one for all.
    this.name = checkFeedName(name, options.storage.capabilities);
    const maxLength = options.maxLength ?? defaultMaxLength;
    if (!Number.isSafeInteger(maxLength) || maxLength < 1) {
      throw new InvalidFeedOptionError(
        `maxLength of feed ${this.name} must be a positive integer, got ${String(options.maxLength)}`,
        {
          path: 'options.maxLength',
          value: options.maxLength,
        },
      );
    }
    this.maxLength = maxLength;
    this.storage = options.storage;
    this.format = options.format ?? options.storage.format;
    this.metrics = options.metrics ?? noopMetrics;
    this.onMissingActivities = options.onMissingActivities;
    this.index = validateIndex(options.index, this.name);
  }

  /**
   * Whether filtered reads and `countBy` use the timeline's own indexes (flat feeds on a backend
   * declaring `capabilities.indexedFilters`); false: they scan the timeline.
   */
  get indexedReads(): boolean {
    return false;
  }

  keyFor(userId: UserId): string {
    return formatFeedKey(this.keyFormat, userId);
  }

  /**
   * Stored entries of the feed at `key`, not hydrated: for readers that merge several feeds
   * before hydrating one page (the Manager's pull reads), without reaching into the storage.
   */
  async getEntries(key: string, query: TimelineQuery): Promise<T[]> {
    return this.timeline.get(key, query);
  }

  /** Stores activities in the activity storage (what Manager does before a fanout). */
  async insertActivities(activities: readonly Activity[]): Promise<void> {
    validateActivities(activities, this.name);
    if (!this.activityStorage && this.storage.capabilities.foreignIds === true) {
      // Timelines hold whole activities: only those with a foreign id are stored, for its index.
      const withForeignId = activities.filter((activity) => activity.foreignId !== null);
      if (withForeignId.length > 0) {
        await foreignIdStorage(this.storage, null, this.name).addMany(withForeignId);
      }
      return;
    }
    if (!this.activityStorage || activities.length === 0) return;
    await this.activityStorage.addMany(activities);
    this.metrics.onFeedWrite(this.name, activities.length);
  }

  async insertActivity(activity: Activity): Promise<void> {
    await this.insertActivities([activity]);
  }

  /**
   * Whether this feed's timelines hold whole copies of activities (notification feeds; flat and
   * aggregated feeds on a backend declaring `capabilities.storesFullActivities`): an update in
   * place must then rewrite each feed holding the activity (`replaceInMany`). False when they
   * hold ids, which show the updated activity with no write to any feed.
   */
  abstract readonly holdsActivityCopies: boolean;

  /**
   * Update in place: overwrites activities in the activity storage, all or none, creating
   * nothing (see `ActivityStorage.updateMany`). Feeds holding ids show the new versions on their
   * next read; feeds holding copies (`holdsActivityCopies`) also need `replaceInMany`. Returns
   * how many were updated (0 when this feed keeps no activity storage).
   * @throws ActivityNotFoundError when one is not stored; ActivityConflictError when one is
   *   another actor's (nothing updated)
   */
  async updateActivities(activities: readonly Activity[]): Promise<number> {
    validateActivities(activities, this.name);
    if (!this.activityStorage || activities.length === 0) return 0;
    const updated = await updateStoredActivities(this.activityStorage, activities);
    this.metrics.onFeedWrite(this.name, updated);
    return updated;
  }

  /**
   * The fanout of an update in place: in each feed of `userIds` that holds one of the
   * activities (same serialization id), replaces it with the new version, keeping its position;
   * never adds it to a feed that lacks it. Does nothing (returns 0) when the feed holds ids
   * (`holdsActivityCopies` false). Returns how many entries were rewritten.
   */
  abstract replaceInMany(
    userIds: readonly UserId[],
    activities: readonly Activity[],
  ): Promise<number>;

  /** Removes activities from the activity storage (timelines keep their ids until removed). */
  async removeActivities(
    activities: readonly (ActivityOrId | DehydratedActivity)[],
  ): Promise<number> {
    if (!this.activityStorage || activities.length === 0) return 0;
    const removed = await this.activityStorage.removeMany(activities.map(idOf));
    this.metrics.onFeedRemove(this.name, removed);
    return removed;
  }

  async removeActivity(activity: ActivityOrId | DehydratedActivity): Promise<number> {
    return this.removeActivities([activity]);
  }

  /** The ids of the stored activities carrying `foreignId` (GetStream's `foreign_id`), oldest first. */
  async getActivityIdsByForeignId(foreignId: string): Promise<string[]> {
    return idsByForeignId(
      foreignIdStorage(this.storage, this.activityStorage, this.name),
      foreignId,
    );
  }

  /**
   * The stored activities carrying `foreignId`, oldest first (one per time it was added at),
   * found through the backend's foreign-id index without knowing their ids.
   * @throws StorageConfigurationError when the backend keeps no foreign-id index
   */
  async getByForeignId(foreignId: string): Promise<Activity[]> {
    return activitiesByForeignId(
      foreignIdStorage(this.storage, this.activityStorage, this.name),
      foreignId,
    );
  }

  /**
   * Removes the activities carrying `foreignId` from the activity storage (and its index);
   * returns them. Timelines keep their ids until removed (`feed.removeByForeignId`, or the
   * Manager's `removeActivityByForeignId` for every feed it was fanned out to).
   */
  async removeActivitiesByForeignId(foreignId: string): Promise<Activity[]> {
    const storage = foreignIdStorage(this.storage, this.activityStorage, this.name);
    const activities = await activitiesByForeignId(storage, foreignId);
    if (activities.length === 0) return [];
    const removed = await storage.removeMany(
      activities.map((activity) => activity.serializationId),
    );
    this.metrics.onFeedRemove(this.name, removed);
    return activities;
  }

  /** Looks up whole activities by id; ids not stored are absent from the map. */
  async getActivities(ids: readonly string[]): Promise<Map<string, Activity>> {
    if (!this.activityStorage || ids.length === 0) return new Map();
    return this.activityStorage.getMany(ids);
  }

  /**
   * Reports ids a read could not hydrate: to metrics, and to `onMissingActivities` when given;
   * without one, a process warning, once per definition (Stream Framework's `feed.add` stores
   * only ids, and a page that silently comes back empty is the first trap new users fall into).
   */
  reportMissing(key: string, ids: string[]): void {
    if (ids.length === 0) return;
    this.metrics.onMissingActivities(this.name, ids.length);
    if (this.onMissingActivities) {
      this.onMissingActivities(key, ids);
      return;
    }
    if (this.#warnedMissing) return;
    this.#warnedMissing = true;
    process.emitWarning(missingActivitiesWarning(this.name, key, ids), {
      type: 'SfMissingActivitiesWarning',
      code: 'SF_MISSING_ACTIVITIES',
    });
  }

  #warnedMissing = false;
}

const LISTED_MISSING_IDS = 10;

function missingActivitiesWarning(name: string, key: string, ids: readonly string[]): string {
  const listed = ids.slice(0, LISTED_MISSING_IDS).join(', ');
  const more =
    ids.length > LISTED_MISSING_IDS ? ` and ${ids.length - LISTED_MISSING_IDS} more` : '';
  return (
    `feed ${name} (${key}): a read skipped ${ids.length} timeline ${ids.length === 1 ? 'entry' : 'entries'} ` +
    `whose activity is not in the activity storage (${listed}${more}). Feed add/addMany store only ` +
    `ids, as in Stream Framework: store the activity first with definition.insertActivity(activity) ` +
    `(the Manager does). Pass onMissingActivities to handle this yourself; this warning is given ` +
    `once per feed definition.`
  );
}

/** State a feed view carries: which user, which filter, which order. */
export interface FeedView {
  userId: UserId;
  filter: IdFilter;
  order: TimelineOrder;
  /** Indexed values (verb, declared field) entries must have. */
  where?: TimelineWhere;
}

/** The read side shared by every feed type: paging, filtering, ordering, counting. */
export abstract class BaseFeed<T extends TimelineItem, R, D extends BaseFeedDefinition<T>> {
  readonly definition: D;
  readonly userId: UserId;
  readonly key: string;
  protected readonly view: FeedView;

  constructor(definition: D, userId: UserId, view?: Partial<FeedView>) {
    this.definition = definition;
    this.userId = validateUserId(userId);
    this.key = definition.keyFor(this.userId);
    this.view = {
      userId: this.userId,
      filter: view?.filter ?? {},
      order: view?.order ?? 'desc',
      where: view?.where ?? {},
    };
  }

  protected abstract withView(view: FeedView): this;

  /** Turns stored items into what the feed returns (hydration). */
  protected abstract materialize(items: T[]): Promise<R[]>;

  /** The activities an item holds (itself for flat feeds): what verb and field filters look at. */
  protected abstract activitiesOf(item: R): readonly Activity[];

  /**
   * A copy of this feed that only returns items matching the filter (combined with any earlier
   * one): id bounds, and on a feed declaring them, `verb` and the declared `extraContext` field.
   *
   * @throws InvalidQueryError for a dimension the definition's `index` does not declare
   */
  filter(filter: FeedFilter): this {
    const next = toViewFilter(
      { filter: this.view.filter, where: this.view.where ?? {} },
      filter,
      this.definition.index,
      this.definition.name,
    );
    return this.withView({ ...this.view, ...next });
  }

  /** The current verb / field filter (verb id, field value in index form). */
  get whereFilter(): Readonly<TimelineWhere> {
    return this.view.where ?? {};
  }

  /** A copy of this feed in the given order. */
  orderBy(ordering: FeedOrdering): this {
    return this.withView({ ...this.view, order: toOrder(ordering) });
  }

  /** The current filter, as exact id bounds. */
  get idFilter(): Readonly<IdFilter> {
    return this.view.filter;
  }

  /** A page, newest first unless ordered otherwise: `get({ offset: 0, limit: 25 })` is `feed[:25]`. */
  async get(options: PageOptions = {}): Promise<R[]> {
    const page = validatePage(options);
    if (page.limit === 0) return [];
    const timer = this.definition.metrics.feedReadTimer(this.definition.name);
    try {
      const where = this.view.where;
      if (!isEmptyWhere(where) && !this.definition.indexedReads) {
        const results = await this.#scan(where!, page.offset, page.limit);
        this.definition.metrics.onFeedRead(this.definition.name, results.length);
        return results;
      }
      const items = await this.definition.timeline.get(this.key, {
        ...page,
        filter: this.view.filter,
        order: this.view.order,
        ...(isEmptyWhere(where) ? {} : { where }),
      });
      const results = await this.materialize(items);
      this.definition.metrics.onFeedRead(this.definition.name, results.length);
      return results;
    } finally {
      timer.stop();
    }
  }

  /** Python's `feed[start:stop]`. */
  async slice(start: number, stop?: number): Promise<R[]> {
    if (stop !== undefined && (!Number.isSafeInteger(stop) || stop < 0)) {
      throw new InvalidQueryError(`slice end must be a non-negative integer, got ${String(stop)}`, {
        path: 'stop',
        value: stop,
      });
    }
    return this.get(
      stop === undefined ? { offset: start } : { offset: start, limit: Math.max(0, stop - start) },
    );
  }

  /** The item at an index, or undefined. */
  async at(index: number): Promise<R | undefined> {
    const [item] = await this.get({ offset: index, limit: 1 });
    return item;
  }

  /**
   * The scan behind filtered reads on backends without indexes (and aggregated feeds): reads the
   * timeline in its order, `SCAN_BATCH` entries per round trip, materializes each batch and
   * keeps the items holding an activity with the wanted values.
   */
  async #scan(where: TimelineWhere, offset: number, limit: number | null): Promise<R[]> {
    const results: R[] = [];
    let skip = offset;
    for (let start = 0; ; start += SCAN_BATCH) {
      const items = await this.definition.timeline.get(this.key, {
        offset: start,
        limit: SCAN_BATCH,
        filter: this.view.filter,
        order: this.view.order,
      });
      if (items.length === 0) return results;
      for (const item of await this.materialize(items)) {
        if (!this.#matches(item, where)) continue;
        if (skip > 0) {
          skip--;
          continue;
        }
        results.push(item);
        if (limit !== null && results.length >= limit) return results;
      }
      if (items.length < SCAN_BATCH) return results;
    }
  }

  #matches(item: R, where: TimelineWhere): boolean {
    const index = this.definition.index;
    return this.activitiesOf(item).some((activity) =>
      matchesWhere(indexedValuesOf(activity, index), where),
    );
  }

  /** Entries in the feed (filters do not apply). */
  async count(): Promise<number> {
    return this.definition.timeline.count(this.key);
  }

  /**
   * Entries per verb (keyed by infinitive) or per value of the declared `extraContext` field, in
   * the whole feed (filters do not apply); values with no entry are absent. From the backend's
   * indexes when it keeps them, else by scanning the feed. An aggregated entry counts once for
   * each verb (value) its activities hold. Verb names come from `options.verbRegistry` (default:
   * the process-wide registry); a verb it does not know is keyed by its id.
   *
   * @throws InvalidQueryError for a dimension the definition's `index` does not declare
   */
  async countBy(
    dimension: 'verb' | (string & {}),
    options: { verbRegistry?: VerbRegistry } = {},
  ): Promise<Record<string, number>> {
    const definition = this.definition;
    const index = definition.index;
    let kind: TimelineDimension;
    if (dimension === 'verb' && index.verb) kind = 'verb';
    else if (index.field !== null && dimension === index.field) kind = 'field';
    else {
      throw new InvalidQueryError(
        `feed ${definition.name} cannot count by ${JSON.stringify(dimension)}: declare it with Feed.define({ index: ${dimension === 'verb' ? '{ verb: true }' : `{ field: ${JSON.stringify(dimension)} }`} })`,
        { path: 'countBy', value: dimension },
      );
    }
    let counts: Map<string, number>;
    const timeline = definition.timeline;
    if (definition.indexedReads && timeline.countBy) {
      counts = await timeline.countBy(this.key, kind);
    } else {
      counts = new Map();
      for (let start = 0; ; start += SCAN_BATCH) {
        const items = await timeline.get(this.key, { offset: start, limit: SCAN_BATCH });
        if (items.length === 0) break;
        for (const item of await this.materialize(items)) {
          const values = new Set<string>();
          for (const activity of this.activitiesOf(item)) {
            const value = indexedValuesOf(activity, index)[kind];
            if (value !== undefined) values.add(String(value));
          }
          for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
        }
        if (items.length < SCAN_BATCH) break;
      }
    }
    const result: Record<string, number> = {};
    for (const [value, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      result[kind === 'verb' ? verbName(value, options.verbRegistry) : value] = count;
    }
    return result;
  }

  /** Removes the whole feed (the activity storage is untouched). */
  async delete(): Promise<void> {
    await this.definition.timeline.delete(this.key);
  }

  /** Keeps the newest `maxLength` entries (default: the definition's maxLength). */
  async trim(maxLength: number = this.definition.maxLength): Promise<void> {
    if (!Number.isSafeInteger(maxLength) || maxLength < 0) {
      throw new InvalidArgumentError(
        `trim takes a non-negative integer length, got ${String(maxLength)}`,
        {
          path: 'maxLength',
          value: maxLength,
        },
      );
    }
    await this.definition.timeline.trim(this.key, maxLength);
  }

  /** Position (newest first) of an entry by id, or -1. */
  async indexOf(item: ActivityOrId | TimelineItem): Promise<number> {
    return this.definition.timeline.indexOf(this.key, entryId(item));
  }

  async contains(item: ActivityOrId | TimelineItem): Promise<boolean> {
    return this.definition.timeline.contains(this.key, entryId(item));
  }
}

/** A verb id's infinitive, or the id itself for a verb this process has not registered. */
function verbName(id: string, registry?: VerbRegistry): string {
  try {
    return (registry ? registry.get(Number(id)) : getVerbById(Number(id))).infinitive;
  } catch {
    return id;
  }
}

function entryId(item: ActivityOrId | TimelineItem): string {
  if (typeof item === 'object' && item !== null && 'serializationId' in item)
    return item.serializationId;
  return toSerializationId(item);
}
