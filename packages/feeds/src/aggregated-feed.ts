import { Activity, AggregatedActivity, OpaqueActivity } from '@sf/activity';
import type { ActivityOrId, DehydratedActivity } from '@sf/activity';
import { BaseAggregator, RecentVerbAggregator } from '@sf/aggregators';
import type { AggregatedActivityClass } from '@sf/aggregators';
import { forEachLimited } from './backend/concurrency.js';
import { BaseFeed, BaseFeedDefinition, idOf, validateActivities } from './base-feed.js';
import { InvalidFeedOptionError } from './errors.js';
import type { BaseFeedOptions, FeedView } from './base-feed.js';
import type { FeedUpdate, WriteOptions } from './feed.js';
import type { UserId } from './keys.js';
import { coalescingActivityLoader } from './activity-loader.js';
import type {
  ActivityStorage,
  BatchedTimelineChange,
  MarkerCounts,
  TimelineChange,
  TimelineKind,
  TimelineQuery,
  TimelineStorage,
} from './backend/contracts.js';

export interface AggregatedFeedOptions<
  A extends AggregatedActivity = AggregatedActivity,
> extends BaseFeedOptions {
  /** Groups activities (default: RecentVerbAggregator, verb + day). */
  aggregator?: BaseAggregator<A>;
  /** How many of the most recently updated aggregated activities a write merges into first (default 20). */
  mergeMaxLength?: number;
  onUpdateFeed?: (update: FeedUpdate<A>) => void | Promise<void>;
}

/** Limit on concurrent per-feed writes of a fanout to aggregated feeds. */
const FANOUT_CONCURRENCY = 16;

/** The memo key of a batched merge into a feed holding none of the new activities' groups. */
const NO_CANDIDATE = {};

/** Looks activities up by id (the activity storage, or a batch's coalescing loader). */
type ActivityLoader = (ids: readonly string[]) => Promise<Map<string, Activity>>;

/**
 * An aggregated feed definition. Writes re-aggregate through the aggregator against the current
 * aggregated activities inside one atomic read-modify-write of the feed, so concurrent writers
 * never lose an update, and a group is never duplicated while it is still in the feed.
 */
export class AggregatedFeedDefinition<
  A extends AggregatedActivity = AggregatedActivity,
> extends BaseFeedDefinition<A> {
  readonly timeline: TimelineStorage<A>;
  readonly activityStorage: ActivityStorage | null;
  readonly aggregator: BaseAggregator<A>;
  readonly mergeMaxLength: number;
  // Method syntax keeps the hook bivariant, so NotificationFeedDefinition<NotificationActivity>
  // is assignable to AggregatedFeedDefinition<AggregatedActivity>.
  readonly #hooks: { onUpdateFeed?(update: FeedUpdate<A>): void | Promise<void> };

  constructor(
    options: AggregatedFeedOptions<A>,
    kind: TimelineKind = 'aggregated',
    defaultAggregator?: BaseAggregator<A>,
  ) {
    super(options, 100);
    if ('rankings' in options && (options as { rankings?: unknown }).rankings !== undefined) {
      throw new InvalidFeedOptionError(
        `feed ${this.name}: rankings are for flat feeds (Feed.define); an aggregated activity changes its id as activities join it, so a ranked page of one cannot stay stable. Rank the flat feed the activities are fanned out to.`,
        { path: 'options.rankings', value: (options as { rankings?: unknown }).rankings },
      );
    }
    this.aggregator =
      options.aggregator ??
      defaultAggregator ??
      (new RecentVerbAggregator() as unknown as BaseAggregator<A>);
    const mergeMaxLength = options.mergeMaxLength ?? 20;
    if (!Number.isSafeInteger(mergeMaxLength) || mergeMaxLength < 1) {
      throw new InvalidFeedOptionError(
        `mergeMaxLength of feed ${this.name} must be a positive integer, got ${String(options.mergeMaxLength)}`,
        { path: 'options.mergeMaxLength', value: options.mergeMaxLength },
      );
    }
    this.mergeMaxLength = mergeMaxLength;
    const aggregatedClass = this.aggregator.aggregatedActivityClass as AggregatedActivityClass;
    const serializer =
      kind === 'notification'
        ? this.format.notificationSerializer(aggregatedClass)
        : this.format.aggregatedSerializer(aggregatedClass);
    this.timeline = this.storage.timelineStorage<A>({
      name: this.name,
      kind,
      serializer: serializer as unknown as import('@sf/serializers').Serializer<A>,
      format: this.format.name,
    });
    this.activityStorage =
      kind === 'notification' ? null : this.storage.activityStorage({ name: this.name });
    this.#hooks = { onUpdateFeed: options.onUpdateFeed };
    // Notification timelines hold whole activities everywhere; aggregated ones where the backend
    // stores whole activities in its timelines (Cassandra's blobs), ids elsewhere.
    this.holdsActivityCopies =
      kind === 'notification' ||
      (this.storage.capabilities.aggregatedStoresFullActivities ??
        this.storage.capabilities.storesFullActivities);
  }

  readonly holdsActivityCopies: boolean;

  for(userId: UserId): AggregatedFeed<A> {
    return new AggregatedFeed(this, userId);
  }

  /** Calls the definition's `onUpdateFeed`, if any (a method, so subclass definitions stay assignable). */
  async notifyUpdate(update: FeedUpdate<A>): Promise<void> {
    await this.#hooks.onUpdateFeed?.(update);
  }

  /**
   * Hydrates aggregated activities read from the timeline for a page: activities missing from
   * the activity storage, or that could not be read (`OpaqueActivity`), are left out and reported.
   */
  async hydrate(key: string, items: readonly A[]): Promise<A[]> {
    return (await this.hydratePairs(key, items, false)).map((pair) => pair.hydrated);
  }

  /**
   * Hydrated copies paired with the stored items they came from (emptied ones are dropped).
   * `keep` (writes): activities that are missing or could not be read stay in their aggregated
   * activity as `OpaqueActivity`s, so a merge or a removal writes them back instead of dropping
   * them. Otherwise (pages) they are left out and reported.
   */
  private async hydratePairs(
    key: string,
    items: readonly A[],
    keep: boolean,
    load: ActivityLoader = (ids) => this.getActivities(ids),
  ): Promise<Array<{ source: A; hydrated: A }>> {
    const ids = items.filter((item) => item.isDehydrated).flatMap((item) => item.activityIds);
    const activities = ids.length > 0 ? await load(ids) : new Map<string, Activity>();
    if (keep) {
      for (const id of ids) {
        if (!activities.has(id)) {
          activities.set(
            id,
            new OpaqueActivity({
              serializationId: id,
              raw: null,
              reason: 'missing from the activity storage, or unreadable',
            }),
          );
        }
      }
    }
    const missing: string[] = [];
    const pairs: Array<{ source: A; hydrated: A }> = [];
    for (const item of items) {
      let hydrated = item.isDehydrated
        ? item.hydrate(activities, (lost) => missing.push(...lost))
        : item;
      if (!keep && hydrated.activities.some((activity) => activity instanceof OpaqueActivity)) {
        const readable = new Map<string, Activity>();
        for (const activity of hydrated.activities)
          if (!(activity instanceof OpaqueActivity))
            readable.set(activity.serializationId, activity);
        hydrated = hydrated.dehydrate().hydrate(readable, (lost) => missing.push(...lost));
      }
      if (hydrated.activities.length > 0) pairs.push({ source: item, hydrated });
    }
    this.reportMissing(key, missing);
    return pairs;
  }

  /**
   * Merges activities into one user's feed atomically; returns the new and changed aggregated
   * activities. `beforeCommit` runs while the feed is still locked, with the change about to be
   * written (notification feeds update their markers there, so concurrent writers' marker
   * updates happen in the same order as their timeline writes).
   */
  async addToFeed(
    key: string,
    activities: readonly Activity[],
    options: WriteOptions = {},
    beforeCommit?: (change: TimelineChange<A>) => Promise<void>,
  ): Promise<TimelineChange<A>> {
    const groups = new Set(activities.map((activity) => this.aggregator.getGroup(activity)));
    return this.timeline.modify(
      key,
      { maxLength: options.trim === false ? undefined : this.maxLength },
      async (read) => {
        const change = await this.mergeInto(key, read, groups, activities);
        await beforeCommit?.(change);
        return change;
      },
    );
  }

  /** The change that merges activities into one feed, read through `read` (inside a write). */
  private async mergeInto(
    key: string,
    read: (query: TimelineQuery) => Promise<A[]>,
    groups: Set<string>,
    activities: readonly Activity[],
    batch?: { load: ActivityLoader; merges: WeakMap<object, Promise<TimelineChange<A>>> },
  ): Promise<TimelineChange<A>> {
    const candidates = await this.readForMerge(key, read, groups);
    if (batch === undefined || candidates.length > 1)
      return this.mergeCandidates(key, candidates, activities, batch?.load);
    // Encode once: the feeds of a fanout mostly hold the same group (a backend that decodes
    // equal stored entries once hands them the same object) or none of the new activities'
    // groups, and the same activities give them the same change.
    const memoKey = candidates[0] ?? NO_CANDIDATE;
    let change = batch.merges.get(memoKey);
    if (change === undefined) {
      change = this.mergeCandidates(key, candidates, activities, batch.load);
      batch.merges.set(memoKey, change);
    }
    return change;
  }

  /** The change merging activities into these stored aggregated activities (hydrated here). */
  private async mergeCandidates(
    key: string,
    candidates: readonly A[],
    activities: readonly Activity[],
    load?: ActivityLoader,
  ): Promise<TimelineChange<A>> {
    const current = await this.hydratePairs(key, candidates, true, load);
    const sources = new Map(current.map((pair) => [pair.hydrated, pair.source]));
    const merged = this.aggregator.merge(
      current.map((pair) => pair.hydrated),
      activities,
    );
    return {
      remove: merged.changed.map(([from]) => sources.get(from) ?? from),
      add: [...merged.new, ...merged.changed.map(([, to]) => to)],
    };
  }

  /**
   * The aggregated activities to merge into: the `mergeMaxLength` most recently updated, plus any
   * older ones (up to maxLength) whose group the new activities need, so groups are not duplicated.
   */
  private async readForMerge(
    key: string,
    read: (query: TimelineQuery) => Promise<A[]>,
    groups: Set<string>,
  ): Promise<A[]> {
    const recent = await read({ offset: 0, limit: this.mergeMaxLength });
    const candidates = [...recent];
    const found = new Set(recent.map((item) => item.group));
    const missingGroups = [...groups].some((group) => !found.has(group));
    if (
      missingGroups &&
      recent.length === this.mergeMaxLength &&
      this.maxLength > this.mergeMaxLength
    ) {
      const older = await read({
        offset: this.mergeMaxLength,
        limit: this.maxLength - this.mergeMaxLength,
      });
      candidates.push(...older.filter((item) => groups.has(item.group) && !found.has(item.group)));
    }
    // BaseAggregator's merge only looks at the groups of the new activities: hydrating the
    // others (every activity of every recent group) would be wasted. A custom merge gets all.
    return this.aggregator.merge === BaseAggregator.prototype.merge
      ? candidates.filter((item) => groups.has(item.group))
      : candidates;
  }

  /** Removes activities from one user's feed atomically; returns the changed aggregated activities. */
  async removeFromFeed(
    key: string,
    activities: readonly (ActivityOrId | DehydratedActivity)[],
    beforeCommit?: (change: TimelineChange<A>) => Promise<void>,
  ): Promise<TimelineChange<A>> {
    const ids = new Set(activities.map(idOf));
    return this.timeline.modify(key, {}, async (read) => {
      const current = await read({ offset: 0, limit: null });
      const affected = current.filter((item) => item.activityIds.some((id) => ids.has(id)));
      const emptied = affected.filter((item) => item.activityIds.every((id) => ids.has(id)));
      const pairs = await this.hydratePairs(
        key,
        affected.filter((item) => !emptied.includes(item)),
        true,
      );
      const add: A[] = [];
      for (const { hydrated } of pairs) {
        const updated = hydrated.clone();
        const doomed = [...ids].filter((id) => updated.contains(id));
        if (doomed.length >= updated.activities.length) continue;
        updated.removeMany(doomed);
        add.push(updated);
      }
      const change = { remove: affected, add };
      await beforeCommit?.(change);
      return change;
    });
  }

  /**
   * Fanout: adds activities to many users' feeds; returns how many aggregated activities were
   * new or changed. When the backend declares `batchedAggregatedWrites`, the feeds are read,
   * merged and written back together (`modifyMany`), each feed written only if unchanged since
   * its read; the feeds it gives up on (and every feed on other backends) get one atomic merge
   * each, with bounded concurrency.
   */
  async addToMany(
    userIds: readonly UserId[],
    activities: readonly Activity[],
    options: WriteOptions = {},
  ): Promise<number> {
    validateActivities(activities, this.name);
    if (activities.length === 0) return 0;
    const batch =
      this.storage.capabilities.batchedAggregatedWrites === true &&
      this.timeline.modifyMany !== undefined;
    let remaining: readonly UserId[] = userIds;
    let changed = 0;
    if (batch && userIds.length > 0) {
      const batched = await this.addToManyBatched(userIds, activities, options);
      changed += batched.changed;
      remaining = batched.skipped;
    }
    await forEachLimited(remaining, FANOUT_CONCURRENCY, async (userId) => {
      const result = await this.for(userId).addMany(activities, options);
      changed += result.length;
    });
    return changed;
  }

  /** The batched fanout: returns how many aggregated activities changed and the users skipped. */
  private async addToManyBatched(
    userIds: readonly UserId[],
    activities: readonly Activity[],
    options: WriteOptions,
  ): Promise<{ changed: number; skipped: UserId[] }> {
    const users = new Map<string, UserId>();
    for (const userId of userIds) users.set(this.keyFor(userId), userId);
    const groups = new Set(activities.map((activity) => this.aggregator.getGroup(activity)));
    const batch = {
      load: coalescingActivityLoader((ids) => this.getActivities(ids)),
      merges: new WeakMap<object, Promise<TimelineChange<A>>>(),
    };
    const result = await this.timeline.modifyMany!(
      [...users.keys()],
      { maxLength: options.trim === false ? undefined : this.maxLength },
      async (key, read): Promise<BatchedTimelineChange<A>> => {
        const change = await this.mergeInto(key, read, groups, activities, batch);
        if (change.add.length === 0 && change.remove.length === 0) return change;
        return { ...change, markers: this.batchedMarkers(users.get(key)!, change) };
      },
    );
    let changed = 0;
    for (const [key, { change, counts }] of result.written) {
      const userId = users.get(key)!;
      this.metrics.onFeedWrite(this.name, activities.length);
      if (counts !== undefined) this.markersWritten(userId, counts);
      changed += change.add.length;
      if (change.add.length === 0 && change.remove.length === 0) continue;
      await this.notifyUpdate({
        feedKey: key,
        userId,
        added: change.add,
        removed: change.remove.map((item) => item.serializationId),
      });
    }
    return { changed, skipped: result.skipped.map((key) => users.get(key)!) };
  }

  /**
   * The marker change a batched write of one feed makes in the same atomic step (notification
   * feeds; none here).
   */
  protected batchedMarkers(
    _userId: UserId,
    _change: TimelineChange<A>,
  ): BatchedTimelineChange<A>['markers'] {
    return undefined;
  }

  /** After a batched write changed a feed's markers (notification feeds announce the counts). */
  protected markersWritten(_userId: UserId, _counts: MarkerCounts): void {}

  /**
   * Update in place: in each feed of `userIds`, every aggregated activity holding one of the
   * activities (whole) is rewritten with the new version of it, keeping its group, dates, id and
   * so its position (and the notification markers, which name aggregated ids, untouched). Feeds
   * holding ids only need nothing (`holdsActivityCopies` false: returns 0). One atomic
   * read-modify-write per feed, batched with `modifyMany` where the backend declares
   * `batchedAggregatedWrites`. Returns how many aggregated activities were rewritten.
   */
  async replaceInMany(
    userIds: readonly UserId[],
    activities: readonly Activity[],
  ): Promise<number> {
    validateActivities(activities, this.name);
    if (!this.holdsActivityCopies || userIds.length === 0 || activities.length === 0) return 0;
    const byId = new Map(activities.map((activity) => [activity.serializationId, activity]));
    const mutate = async (read: (query: TimelineQuery) => Promise<A[]>) =>
      replaceActivities(await read({ offset: 0, limit: null }), byId);
    const keys = [...new Set(userIds.map((userId) => this.keyFor(userId)))];
    let remaining: readonly string[] = keys;
    let replaced = 0;
    if (this.storage.capabilities.batchedAggregatedWrites === true && this.timeline.modifyMany) {
      const result = await this.timeline.modifyMany(keys, {}, async (_key, read) => mutate(read));
      for (const { change } of result.written.values()) replaced += change.add.length;
      remaining = result.skipped;
    }
    await forEachLimited(remaining, FANOUT_CONCURRENCY, async (key) => {
      const change = await this.timeline.modify(key, {}, mutate);
      replaced += change.add.length;
    });
    this.metrics.onFeedWrite(this.name, replaced);
    return replaced;
  }

  async removeFromMany(
    userIds: readonly UserId[],
    activities: readonly (ActivityOrId | DehydratedActivity)[],
  ): Promise<number> {
    if (activities.length === 0) return 0;
    let changed = 0;
    await forEachLimited(userIds, FANOUT_CONCURRENCY, async (userId) => {
      const result = await this.for(userId).removeMany(activities);
      changed += result.length;
    });
    return changed;
  }
}

/**
 * The change that puts new versions of activities (by id) into the aggregated activities that
 * hold them whole; dehydrated ones (ids only) need none.
 */
function replaceActivities<A extends AggregatedActivity>(
  items: readonly A[],
  byId: ReadonlyMap<string, Activity>,
): TimelineChange<A> {
  const change: TimelineChange<A> = { remove: [], add: [] };
  for (const item of items) {
    if (item.isDehydrated || !item.activities.some((a) => byId.has(a.serializationId))) continue;
    const activities = new Map<string, Activity>();
    for (const activity of item.activities)
      activities.set(activity.serializationId, byId.get(activity.serializationId) ?? activity);
    change.remove.push(item);
    change.add.push(item.dehydrate().hydrate(activities));
  }
  return change;
}

/** One user's aggregated feed: aggregated activities, most recently updated first. */
export class AggregatedFeed<A extends AggregatedActivity = AggregatedActivity> extends BaseFeed<
  A,
  A,
  AggregatedFeedDefinition<A>
> {
  static define<A extends AggregatedActivity = AggregatedActivity>(
    options: AggregatedFeedOptions<A>,
  ): AggregatedFeedDefinition<A> {
    return new AggregatedFeedDefinition<A>(options);
  }

  protected withView(view: FeedView): this {
    return new AggregatedFeed(this.definition, view.userId, view) as this;
  }

  protected materialize(items: A[]): Promise<A[]> {
    return this.definition.hydrate(this.key, items);
  }

  /** Verb and field filters keep the aggregated activities holding a matching activity. */
  protected activitiesOf(item: A): readonly Activity[] {
    return item.activities;
  }

  async add(activity: Activity, options?: WriteOptions): Promise<A[]> {
    return this.addMany([activity], options);
  }

  /**
   * Aggregates activities into the feed. Returns the new and changed aggregated activities,
   * ranked; activities already in their group change nothing.
   */
  async addMany(activities: readonly Activity[], options: WriteOptions = {}): Promise<A[]> {
    const definition = this.definition;
    validateActivities(activities, definition.name);
    if (activities.length === 0) return [];
    const change = await definition.addToFeed(this.key, activities, options, (pending) =>
      this.beforeCommit(pending),
    );
    definition.metrics.onFeedWrite(definition.name, activities.length);
    await this.afterChange(change);
    return definition.aggregator.rank(change.add);
  }

  async remove(activity: ActivityOrId | DehydratedActivity): Promise<A[]> {
    return this.removeMany([activity]);
  }

  /** Removes activities from their aggregated activities (deleting emptied ones); returns the changed ones. */
  /**
   * Removes the activities carrying `foreignId` (found through the backend's foreign-id index)
   * from this feed's aggregated activities; returns the aggregated activities changed.
   */
  async removeByForeignId(foreignId: string): Promise<A[]> {
    const activities = await this.definition.getByForeignId(foreignId);
    return activities.length === 0 ? [] : this.removeMany(activities);
  }

  async removeMany(activities: readonly (ActivityOrId | DehydratedActivity)[]): Promise<A[]> {
    const definition = this.definition;
    if (activities.length === 0) return [];
    const change = await definition.removeFromFeed(this.key, activities, (pending) =>
      this.beforeCommit(pending),
    );
    definition.metrics.onFeedRemove(definition.name, activities.length);
    await this.afterChange(change);
    return change.add;
  }

  /** Runs inside the feed's atomic write, before it commits (notification markers). */
  protected async beforeCommit(_change: TimelineChange<A>): Promise<void> {}

  /** Runs after a write committed: the definition's onUpdateFeed. */
  protected async afterChange(change: TimelineChange<A>): Promise<void> {
    if (change.add.length === 0 && change.remove.length === 0) return;
    await this.definition.notifyUpdate({
      feedKey: this.key,
      userId: this.userId,
      added: change.add,
      removed: change.remove.map((item) => item.serializationId),
    });
  }

  /**
   * Whether an activity with the same verb, actor, object and target is in the feed (Stream
   * Framework compares these, not ids).
   */
  async containsActivity(activity: Activity): Promise<boolean> {
    const items = await this.get({ limit: this.definition.maxLength });
    return items.some((item) =>
      item.activities.some(
        (a) =>
          a.verb.id === activity.verb.id &&
          a.actorId === activity.actorId &&
          a.objectId === activity.objectId &&
          a.targetId === activity.targetId,
      ),
    );
  }
}

export { AggregatedActivity };
