import { Activity, DehydratedActivity, StorageError } from '@sf/activity';
import type { ActivityOrId } from '@sf/activity';
import { BaseFeed, BaseFeedDefinition, idOf, validateActivities } from './base-feed.js';
import type { BaseFeedOptions, FeedView } from './base-feed.js';
import type { UserId } from './keys.js';
import { validateUserId } from './keys.js';
import { FormatMismatchError } from './format-mismatch.js';
import type { ActivityStorage, FlatTimelineItem, TimelineStorage } from './backend/contracts.js';
import { RankedFeed, defineRankings, rankingNamed } from './ranking.js';
import type { Ranking, RankingDefinition } from './ranking.js';

/** What changed in a feed, for `onUpdateFeed`. */
export interface FeedUpdate<TAdded = Activity> {
  feedKey: string;
  userId: UserId;
  added: TAdded[];
  removed: string[];
}

export interface FeedOptions extends BaseFeedOptions {
  /** Called after every write to a feed of this definition (also on fanout writes). */
  onUpdateFeed?: (update: FeedUpdate) => void | Promise<void>;
  /**
   * Named rankings, read with `feed.ranked(name).page({ limit, cursor })`; plain reads stay
   * newest first. See "Ranked feeds" in the README.
   */
  rankings?: Readonly<Record<string, RankingDefinition>>;
}

export interface WriteOptions {
  /** Trim to maxLength in the same write (default true). */
  trim?: boolean;
}

/** A flat feed definition: `Feed.define({ keyFormat: 'feed:normal:{userId}', storage })`. */
export class FeedDefinition extends BaseFeedDefinition<FlatTimelineItem> {
  readonly timeline: TimelineStorage<FlatTimelineItem>;
  readonly activityStorage: ActivityStorage | null;
  readonly onUpdateFeed: FeedOptions['onUpdateFeed'];
  /** The definition's rankings, by name. */
  readonly rankings: ReadonlyMap<string, Ranking>;

  constructor(options: FeedOptions, defaultMaxLength = 100) {
    super(options, defaultMaxLength);
    this.rankings = defineRankings(this.name, options.rankings);
    this.timeline = this.storage.timelineStorage<FlatTimelineItem>({
      name: this.name,
      kind: 'flat',
      serializer: this.format.timelineSerializer(),
      format: this.format.name,
      ...(this.index.verb || this.index.field !== null ? { index: this.index } : {}),
    });
    this.activityStorage = this.storage.capabilities.storesFullActivities
      ? null
      : this.storage.activityStorage({ name: this.name });
    this.onUpdateFeed = options.onUpdateFeed;
    this.holdsActivityCopies = this.storage.capabilities.storesFullActivities;
  }

  readonly holdsActivityCopies: boolean;

  /**
   * Rewrites the activities in the feeds of `userIds` that hold them (timelines holding whole
   * activities, through `TimelineStorage.replaceInMany`); 0 without a write when they hold ids.
   */
  async replaceInMany(
    userIds: readonly UserId[],
    activities: readonly Activity[],
  ): Promise<number> {
    validateActivities(activities, this.name);
    if (!this.holdsActivityCopies || userIds.length === 0 || activities.length === 0) return 0;
    if (!this.timeline.replaceInMany) {
      throw new StorageError(
        `feed ${this.name}: the ${this.storage.name} backend declares storesFullActivities but its flat timelines have no replaceInMany, so activities cannot be updated in place`,
      );
    }
    const keys = userIds.map((id) => this.keyFor(validateUserId(id)));
    const replaced = await this.timeline.replaceInMany(keys, activities);
    this.metrics.onFeedWrite(this.name, replaced);
    return replaced;
  }

  override get indexedReads(): boolean {
    return (
      this.storage.capabilities.indexedFilters === true &&
      typeof this.timeline.countBy === 'function'
    );
  }

  for(userId: UserId): Feed {
    return new Feed(this, userId);
  }

  /**
   * The fanout's batch write: adds activities to the feeds of many users in as few round trips
   * as the backend allows. Returns how many entries were new.
   */
  async addToMany(
    userIds: readonly UserId[],
    activities: readonly Activity[],
    options: WriteOptions = {},
  ): Promise<number> {
    validateActivities(activities, this.name);
    if (userIds.length === 0 || activities.length === 0) return 0;
    const keys = userIds.map((id) => this.keyFor(id));
    const added = await this.timeline.addToMany(keys, activities, {
      maxLength: options.trim === false ? undefined : this.maxLength,
    });
    this.metrics.onFeedWrite(this.name, activities.length * keys.length);
    if (this.onUpdateFeed) {
      const onUpdateFeed = this.onUpdateFeed;
      await Promise.all(
        userIds.map(async (userId, i) =>
          onUpdateFeed({ feedKey: keys[i]!, userId, added: [...activities], removed: [] }),
        ),
      );
    }
    return added;
  }

  /** The fanout's batch removal. Returns how many entries were removed. */
  async removeFromMany(
    userIds: readonly UserId[],
    activities: readonly (ActivityOrId | DehydratedActivity)[],
  ): Promise<number> {
    if (userIds.length === 0 || activities.length === 0) return 0;
    const keys = userIds.map((id) => this.keyFor(validateUserId(id)));
    const ids = activities.map(idOf);
    const removed = await this.timeline.removeIdsFromMany(keys, ids);
    this.metrics.onFeedRemove(this.name, ids.length * keys.length);
    if (this.onUpdateFeed) {
      const onUpdateFeed = this.onUpdateFeed;
      await Promise.all(
        userIds.map(async (userId, i) =>
          onUpdateFeed({ feedKey: keys[i]!, userId, added: [], removed: ids }),
        ),
      );
    }
    return removed;
  }

  /** Hydrates timeline entries, skipping (and reporting) ids missing from the activity storage. */
  async hydrate(key: string, items: readonly FlatTimelineItem[]): Promise<Activity[]> {
    const ids = items
      .filter((item) => item instanceof DehydratedActivity)
      .map((item) => item.serializationId);
    if (ids.length === 0) return items as Activity[];
    const activities = await this.getActivities(ids).catch((error: unknown) => {
      throw error instanceof FormatMismatchError ? error.forFeed(key) : error;
    });
    const result: Activity[] = [];
    const missing: string[] = [];
    for (const item of items) {
      if (item instanceof Activity) {
        result.push(item);
        continue;
      }
      const activity = activities.get(item.serializationId);
      if (activity) result.push(activity);
      else missing.push(item.serializationId);
    }
    this.reportMissing(key, missing);
    return result;
  }
}

/** One user's flat feed: activities newest first. */
export class Feed extends BaseFeed<FlatTimelineItem, Activity, FeedDefinition> {
  /** Defines a flat feed type (Stream Framework's `class PinFeed(RedisFeed)`). */
  static define(options: FeedOptions): FeedDefinition {
    return new FeedDefinition(options);
  }

  /** A user feed: an author's own activities, up to a million (Stream Framework's UserBaseFeed). */
  static defineUserFeed(options: FeedOptions): FeedDefinition {
    return new FeedDefinition(options, 1_000_000);
  }

  protected withView(view: FeedView): this {
    return new Feed(this.definition, view.userId, view) as this;
  }

  protected materialize(items: FlatTimelineItem[]): Promise<Activity[]> {
    return this.definition.hydrate(this.key, items);
  }

  /**
   * This feed read through one of its definition's rankings (`rankings` of `Feed.define`): the
   * newest `candidates` activities (within this view's filter) by score, paged with a cursor.
   */
  ranked(name: string): RankedFeed {
    const definition = this.definition;
    return new RankedFeed(
      {
        key: this.key,
        userId: this.userId,
        filter: this.view.filter,
        read: (filter, limit) =>
          definition.timeline.get(this.key, { offset: 0, limit, filter, order: 'desc' }),
        hydrate: (items) => definition.hydrate(this.key, items),
        metrics: { metrics: definition.metrics, feedName: definition.name },
      },
      rankingNamed(definition.name, definition.rankings, name),
    );
  }

  protected activitiesOf(item: Activity): readonly Activity[] {
    return [item];
  }

  async add(activity: Activity, options?: WriteOptions): Promise<number> {
    return this.addMany([activity], options);
  }

  /** Adds activities (duplicates by id are ignored); returns how many were new. */
  async addMany(activities: readonly Activity[], options: WriteOptions = {}): Promise<number> {
    const definition = this.definition;
    validateActivities(activities, definition.name);
    if (activities.length === 0) return 0;
    const added = await definition.timeline.add(this.key, activities, {
      maxLength: options.trim === false ? undefined : definition.maxLength,
    });
    definition.metrics.onFeedWrite(definition.name, activities.length);
    await definition.onUpdateFeed?.({
      feedKey: this.key,
      userId: this.userId,
      added: [...activities],
      removed: [],
    });
    return added;
  }

  async remove(activity: ActivityOrId | DehydratedActivity): Promise<number> {
    return this.removeMany([activity]);
  }

  /**
   * Removes from this feed the activities carrying `foreignId` (every time it was added at),
   * found through the backend's foreign-id index; returns how many entries were present.
   */
  async removeByForeignId(foreignId: string): Promise<number> {
    const ids = await this.definition.getActivityIdsByForeignId(foreignId);
    return ids.length === 0 ? 0 : this.removeMany(ids);
  }

  /** Removes activities (or ids) from this feed; returns how many were present. */
  async removeMany(activities: readonly (ActivityOrId | DehydratedActivity)[]): Promise<number> {
    const definition = this.definition;
    if (activities.length === 0) return 0;
    const ids = activities.map(idOf);
    const removed = await definition.timeline.removeIds(this.key, ids);
    definition.metrics.onFeedRemove(definition.name, ids.length);
    await definition.onUpdateFeed?.({
      feedKey: this.key,
      userId: this.userId,
      added: [],
      removed: ids,
    });
    return removed;
  }
}
