import { Activity, InvalidActivityError, SfError, compareSerializationIds } from '@sf/activity';
import type {
  ActivityOrId,
  AggregatedActivity,
  DehydratedActivity,
  VerbRegistry,
} from '@sf/activity';
import { AggregatedFeedDefinition, FeedDefinition, noopMetrics, validateUserId } from '@sf/feeds';
import type {
  AggregatedFeed,
  Feed,
  FeedFilter,
  FlatTimelineItem,
  IdFilter,
  Metrics,
  UserId,
} from '@sf/feeds';
import { jsonFormat } from '@sf/serializers';
import type { Serializer } from '@sf/serializers';
import { InProcessFanoutQueue } from './in-process-queue.js';
import { positiveInteger } from './options.js';
import { FanoutPriority, fanoutPriorities } from './fanout-queue.js';
import type {
  EnqueueResult,
  FanoutQueue,
  FanoutTask,
  FollowTask,
  ManagerTask,
  TaskExecutor,
  WaitOptions,
} from './fanout-queue.js';

/**
 * A feed definition the manager fans out to: flat, aggregated or notification (with any
 * aggregated activity class; the definitions' callback types make them invariant in it).
 */
export type FanoutFeedDefinition = FeedDefinition | AggregatedFeedDefinition<AggregatedActivity>;

/** Follower ids by priority; a plain array means all at HIGH priority. */
export type FollowerIds = Partial<Record<FanoutPriority, readonly UserId[]>> | readonly UserId[];

export interface ManagerOptions {
  /** The feeds every follower has, by name (`{ normal, aggregated }`); names travel in tasks. */
  feeds: Record<string, FanoutFeedDefinition>;
  /** The feed of a user's own activities (Stream Framework's user_feed_class). */
  userFeed: FeedDefinition;
  /** The followers of a user, by fanout priority. */
  getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  /** Where fanout tasks go (default: an in-process queue that runs them before returning). */
  queue?: FanoutQueue;
  /** Follower ids per fanout task (default 100). */
  fanoutChunkSize?: number;
  /** Activities copied from each followed user on follow (default 5000). */
  followActivityLimit?: number;
  metrics?: Metrics;
  /** Verbs that task payloads may carry (default: the default registry). */
  verbRegistry?: VerbRegistry;
  /**
   * Push/pull for very large accounts: an author with more followers than this is not fanned
   * out to the feeds named in `pullFeeds`; readers merge the author's user feed in at read time
   * (`readFeed`). Needs `getPulledAuthorIds`. Default: no limit (always push).
   */
  maxFanoutFollowers?: number;
  /**
   * Flat feeds that large authors skip (default: every flat feed in `feeds`). Aggregated and
   * notification feeds cannot be merged at read time, so they are always pushed to.
   */
  pullFeeds?: readonly string[];
  /**
   * The authors a reader follows whose activities are pulled at read time: the followed authors
   * with more than `maxFanoutFollowers` followers. Returning more authors (e.g. ones that were
   * large once) is harmless: reads are de-duplicated.
   */
  getPulledAuthorIds?: (readerId: UserId) => Promise<readonly UserId[]>;
  /**
   * A cheap follower count (e.g. a counter column), used to decide push or pull without
   * loading the follower ids of a large author. Default: the length of getFollowerIds.
   */
  getFollowerCount?: (userId: UserId) => Promise<number>;
}

export interface RemoveActivityOptions {
  /**
   * Fan the removal out even when the author is over `maxFanoutFollowers` (for activities that
   * were pushed before the author crossed the threshold). Default false.
   */
  forcePush?: boolean;
}

/** A page of `readFeed`: Python's `feed[offset:offset + limit]`, optionally filtered by id. */
export interface ReadFeedOptions {
  offset?: number;
  /** Items to return (default: up to the feed's maxLength). */
  limit?: number;
  filter?: FeedFilter;
}

/** A started fanout: how many tasks were created, and a way to wait for all of them. */
export interface FanoutHandle {
  readonly tasks: number;
  /** Resolves when every task ran; rejects if one failed for good. `onProgress` reports tasks done. */
  wait(options?: WaitOptions): Promise<void>;
}

export interface FollowOptions {
  /** Run as a queued task instead of now (default false: run now). */
  queued?: boolean;
}

export interface BatchImportOptions {
  /** Fan out to followers (default true). */
  fanout?: boolean;
  /** Activities per chunk (default 500). */
  chunkSize?: number;
  /** Called after each chunk with the activities imported so far and the total. */
  onProgress?: (progress: { imported: number; total: number; fanoutTasks: number }) => void;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function combine(results: readonly EnqueueResult[]): FanoutHandle {
  const total = results.reduce((sum, result) => sum + result.tasks, 0);
  return {
    tasks: total,
    wait: async (options: WaitOptions = {}) => {
      const { onProgress } = options;
      if (!onProgress) {
        await Promise.all(results.map((result) => result.wait()));
        return;
      }
      const done = results.map(() => 0);
      let reported = -1;
      const report = () => {
        const completed = done.reduce((sum, n) => sum + n, 0);
        if (completed === reported) return;
        reported = completed;
        onProgress({ completed, total });
      };
      await Promise.all(
        results.map((result, i) =>
          result.wait({
            onProgress: (progress) => {
              done[i] = progress.completed;
              report();
            },
          }),
        ),
      );
      report();
    },
  };
}

/**
 * Fan-out on write: puts a user's activities into the feeds of their followers through many
 * small tasks on a fanout queue, and keeps feeds right when users follow and unfollow.
 */
export class Manager implements TaskExecutor {
  readonly feeds: Readonly<Record<string, FanoutFeedDefinition>>;
  readonly userFeed: FeedDefinition;
  readonly queue: FanoutQueue;
  readonly fanoutChunkSize: number;
  readonly followActivityLimit: number;
  readonly metrics: Metrics;
  readonly maxFanoutFollowers: number;
  readonly pullFeeds: ReadonlySet<string>;
  readonly #getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  readonly #getPulledAuthorIds: ((readerId: UserId) => Promise<readonly UserId[]>) | undefined;
  readonly #getFollowerCount: ((userId: UserId) => Promise<number>) | undefined;
  readonly #serializer: Serializer<Activity>;

  constructor(options: ManagerOptions) {
    if (!options || typeof options.getFollowerIds !== 'function') {
      throw new SfError(
        'SF_INVALID_OPTION',
        'Manager needs getFollowerIds(userId) returning follower ids by priority',
      );
    }
    if (!(options.userFeed instanceof FeedDefinition)) {
      throw new SfError(
        'SF_INVALID_OPTION',
        'Manager needs a userFeed defined with Feed.define or Feed.defineUserFeed',
      );
    }
    const feeds = options.feeds ?? {};
    for (const [name, definition] of Object.entries(feeds)) {
      if (
        !(definition instanceof FeedDefinition) &&
        !(definition instanceof AggregatedFeedDefinition)
      ) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `feeds.${name} must be a feed definition (Feed.define, AggregatedFeed.define, NotificationFeed.define)`,
        );
      }
    }
    this.feeds = Object.freeze({ ...feeds });
    this.userFeed = options.userFeed;
    this.#getFollowerIds = options.getFollowerIds;
    this.fanoutChunkSize = positiveInteger('fanoutChunkSize', options.fanoutChunkSize, 100);
    this.followActivityLimit = positiveInteger(
      'followActivityLimit',
      options.followActivityLimit,
      5000,
    );
    this.metrics = options.metrics ?? noopMetrics;
    this.maxFanoutFollowers =
      options.maxFanoutFollowers === undefined
        ? Infinity
        : positiveInteger('maxFanoutFollowers', options.maxFanoutFollowers, 1);
    if (
      options.getPulledAuthorIds !== undefined &&
      typeof options.getPulledAuthorIds !== 'function'
    ) {
      throw new SfError(
        'SF_INVALID_OPTION',
        'getPulledAuthorIds must be a function (readerId) => Promise<authorIds>',
      );
    }
    if (options.getFollowerCount !== undefined && typeof options.getFollowerCount !== 'function') {
      throw new SfError(
        'SF_INVALID_OPTION',
        'getFollowerCount must be a function (userId) => Promise<number>',
      );
    }
    if (this.maxFanoutFollowers !== Infinity && !options.getPulledAuthorIds) {
      throw new SfError(
        'SF_INVALID_OPTION',
        'maxFanoutFollowers needs getPulledAuthorIds(readerId): without it readers would never see the activities of large authors',
      );
    }
    this.#getPulledAuthorIds = options.getPulledAuthorIds;
    this.#getFollowerCount = options.getFollowerCount;
    const flat = Object.keys(feeds).filter((name) => feeds[name] instanceof FeedDefinition);
    const pullFeeds = options.pullFeeds ?? flat;
    for (const name of pullFeeds) {
      if (!flat.includes(name)) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `pullFeeds: ${JSON.stringify(name)} is not a flat feed of this manager (flat feeds: ${flat.join(', ') || 'none'})`,
        );
      }
    }
    this.pullFeeds = new Set(pullFeeds);
    this.#serializer = jsonFormat(
      options.verbRegistry ? { verbRegistry: options.verbRegistry } : {},
    ).activitySerializer();
    this.queue = options.queue ?? new InProcessFanoutQueue();
    this.queue.bind(this);
  }

  /** Every feed of a user, by name. */
  getFeeds(userId: UserId): Record<string, Feed | AggregatedFeed> {
    return Object.fromEntries(
      Object.entries(this.feeds).map(([name, definition]) => [name, definition.for(userId)]),
    );
  }

  getUserFeed(userId: UserId): Feed {
    return this.userFeed.for(userId);
  }

  async #followersByPriority(userId: UserId): Promise<Array<[FanoutPriority, UserId[]]>> {
    const followers = await this.#getFollowerIds(userId);
    if (Array.isArray(followers)) return [[FanoutPriority.HIGH, [...(followers as UserId[])]]];
    const byPriority = followers as Partial<Record<FanoutPriority, readonly UserId[]>>;
    for (const key of Object.keys(byPriority)) {
      if (!fanoutPriorities.includes(key as FanoutPriority)) {
        throw new SfError(
          'SF_INVALID_OPTION',
          `getFollowerIds returned unknown priority ${JSON.stringify(key)}; use HIGH or LOW`,
        );
      }
    }
    return fanoutPriorities.map((priority) => [priority, [...(byPriority[priority] ?? [])]]);
  }

  /**
   * Whether an author's activities are pushed to the feeds in `pullFeeds` (false for authors
   * with more than `maxFanoutFollowers` followers).
   */
  async isPushAuthor(userId: UserId): Promise<boolean> {
    if (this.maxFanoutFollowers === Infinity) return true;
    if (this.#getFollowerCount)
      return (await this.#getFollowerCount(userId)) <= this.maxFanoutFollowers;
    const followers = await this.#followersByPriority(userId);
    return followers.reduce((sum, [, ids]) => sum + ids.length, 0) <= this.maxFanoutFollowers;
  }

  /** The feeds a fanout of this author writes to, and the author's followers (none if no feed). */
  async #fanoutPlan(
    userId: UserId,
    forcePush = false,
  ): Promise<{ feeds: string[]; followers: Array<[FanoutPriority, UserId[]]> }> {
    const all = Object.keys(this.feeds);
    const pushOnly = all.filter((name) => !this.pullFeeds.has(name));
    const limited =
      !forcePush && this.maxFanoutFollowers !== Infinity && pushOnly.length < all.length;
    if (limited && this.#getFollowerCount) {
      const feeds =
        (await this.#getFollowerCount(userId)) > this.maxFanoutFollowers ? pushOnly : all;
      return {
        feeds,
        followers: feeds.length === 0 ? [] : await this.#followersByPriority(userId),
      };
    }
    const followers = await this.#followersByPriority(userId);
    const count = followers.reduce((sum, [, ids]) => sum + ids.length, 0);
    return { feeds: limited && count > this.maxFanoutFollowers ? pushOnly : all, followers };
  }

  /** One task per chunk of followers, per feed (default: every feed), per priority. */
  createFanoutTasks(
    followers: ReadonlyArray<[FanoutPriority, UserId[]]>,
    operation: 'add' | 'remove',
    activities: readonly Activity[],
    trim: boolean,
    feeds: readonly string[] = Object.keys(this.feeds),
  ): FanoutTask[] {
    if (activities.length === 0) return [];
    const serialized = activities.map((activity) => this.#serializer.dumps(activity));
    const tasks: FanoutTask[] = [];
    for (const [priority, userIds] of followers) {
      for (const ids of chunk(userIds, this.fanoutChunkSize)) {
        for (const feed of feeds) {
          tasks.push({
            type: 'fanout',
            operation,
            feed,
            userIds: ids,
            activities: serialized,
            trim,
            priority,
          });
        }
      }
    }
    return tasks;
  }

  /**
   * Publishes a user's activity: stores it, adds it to the user's own feed, then fans it out to
   * every follower's feeds. Resolves once the tasks are enqueued; `wait()` waits for them.
   */
  async addUserActivity(userId: UserId, activity: Activity): Promise<FanoutHandle> {
    validateUserId(userId);
    if (!(activity instanceof Activity))
      throw new InvalidActivityError(`addUserActivity takes an Activity, got ${String(activity)}`);
    await this.userFeed.insertActivity(activity);
    await this.userFeed.for(userId).add(activity);
    const { feeds, followers } = await this.#fanoutPlan(userId);
    const handle = combine([
      await this.queue.enqueue(this.createFanoutTasks(followers, 'add', [activity], true, feeds)),
    ]);
    this.metrics.onActivityPublished();
    return handle;
  }

  /**
   * Removes a user's activity from their feed and the feeds of their current followers. The
   * activity stays in the activity storage (another process may still be fanning it out);
   * followers who left since publishing keep it until they unfollow. Authors over
   * `maxFanoutFollowers` skip the pull feeds here too, unless `forcePush`.
   */
  async removeUserActivity(
    userId: UserId,
    activity: Activity,
    options: RemoveActivityOptions = {},
  ): Promise<FanoutHandle> {
    validateUserId(userId);
    if (!(activity instanceof Activity))
      throw new InvalidActivityError(
        `removeUserActivity takes an Activity, got ${String(activity)}`,
      );
    await this.userFeed.for(userId).remove(activity);
    const { feeds, followers } = await this.#fanoutPlan(userId, options.forcePush);
    const handle = combine([
      await this.queue.enqueue(
        this.createFanoutTasks(followers, 'remove', [activity], false, feeds),
      ),
    ]);
    this.metrics.onActivityRemoved();
    return handle;
  }

  /** Re-publishes activities (e.g. after editing them): each goes to its actor's followers again. */
  async updateUserActivities(activities: readonly Activity[]): Promise<FanoutHandle> {
    const handles: FanoutHandle[] = [];
    for (const activity of activities)
      handles.push(await this.addUserActivity(activity.actorId, activity));
    return combine(handles);
  }

  async updateUserActivity(activity: Activity): Promise<FanoutHandle> {
    return this.updateUserActivities([activity]);
  }

  async followUser(
    userId: UserId,
    targetId: UserId,
    options?: FollowOptions,
  ): Promise<FanoutHandle> {
    return this.followManyUsers(userId, [targetId], options);
  }

  /** Copies up to followActivityLimit of each target's activities into every feed of the user. */
  async followManyUsers(
    userId: UserId,
    targetIds: readonly UserId[],
    options: FollowOptions = {},
  ): Promise<FanoutHandle> {
    return this.#followTask(
      {
        type: 'follow',
        userId: validateUserId(userId),
        targetIds: targetIds.map(validateUserId),
        priority: FanoutPriority.HIGH,
      },
      options,
    );
  }

  async unfollowUser(
    userId: UserId,
    targetId: UserId,
    options?: FollowOptions,
  ): Promise<FanoutHandle> {
    return this.unfollowManyUsers(userId, [targetId], options);
  }

  /** Removes the targets' activities from every feed of the user. */
  async unfollowManyUsers(
    userId: UserId,
    targetIds: readonly UserId[],
    options: FollowOptions = {},
  ): Promise<FanoutHandle> {
    return this.#followTask(
      {
        type: 'unfollow',
        userId: validateUserId(userId),
        targetIds: targetIds.map(validateUserId),
        priority: FanoutPriority.HIGH,
      },
      options,
    );
  }

  async #followTask(task: FollowTask, options: FollowOptions): Promise<FanoutHandle> {
    if (options.queued) return combine([await this.queue.enqueue([task])]);
    await this.runTask(task);
    return combine([]);
  }

  /**
   * Imports many activities of one user (e.g. from another system): stores them and adds them
   * to the user's feed in chunks, and fans each chunk out without trimming.
   */
  async batchImport(
    userId: UserId,
    activities: readonly Activity[],
    options: BatchImportOptions = {},
  ): Promise<FanoutHandle> {
    validateUserId(userId);
    const chunkSize = positiveInteger('chunkSize', options.chunkSize, 500);
    if (!Array.isArray(activities))
      throw new InvalidActivityError(
        `batchImport takes an array of activities, got ${String(activities)}`,
      );
    for (const activity of activities) {
      if (!(activity instanceof Activity))
        throw new InvalidActivityError(
          `batchImport takes Activity instances, got ${String(activity)}`,
        );
      if (String(activity.actorId) !== String(userId)) {
        throw new InvalidActivityError(
          `batchImport of user ${userId} got an activity of actor ${activity.actorId} (${activity.serializationId}); send activities of one user only`,
        );
      }
    }
    const handles: FanoutHandle[] = [];
    let imported = 0;
    // The followers once for all chunks (Stream Framework asks again per chunk).
    const plan =
      (options.fanout ?? true) && activities.length > 0
        ? await this.#fanoutPlan(userId)
        : undefined;
    for (const part of chunk(activities, chunkSize)) {
      await this.userFeed.insertActivities(part);
      await this.userFeed.for(userId).addMany(part, { trim: false });
      if (plan) {
        const { feeds, followers } = plan;
        handles.push(
          await this.queue.enqueue(this.createFanoutTasks(followers, 'add', part, false, feeds)),
        );
      }
      imported += part.length;
      options.onProgress?.({
        imported,
        total: activities.length,
        fanoutTasks: handles.reduce((sum, h) => sum + h.tasks, 0),
      });
    }
    return combine(handles);
  }

  /** The feed definition of a task, or a clear error (producer and worker disagree on feeds). */
  #feed(name: string): FanoutFeedDefinition {
    const definition = this.feeds[name];
    if (!definition) {
      throw new SfError(
        'SF_UNKNOWN_FEED',
        `this manager has no feed named ${JSON.stringify(name)} (it has ${Object.keys(this.feeds).join(', ')})`,
      );
    }
    return definition;
  }

  /** Runs one task (what queue workers call). Idempotent: running a task twice changes nothing more. */
  async runTask(task: ManagerTask): Promise<void> {
    switch (task.type) {
      case 'fanout':
        return this.#fanout(task);
      case 'follow':
        return this.#follow(task.userId, task.targetIds);
      case 'unfollow':
        return this.#unfollow(task.userId, task.targetIds);
      default:
        throw new SfError(
          'SF_UNKNOWN_TASK',
          `unknown task type ${JSON.stringify((task as { type: unknown }).type)}`,
        );
    }
  }

  async #fanout(task: FanoutTask): Promise<void> {
    const definition = this.#feed(task.feed);
    const activities = task.activities.map((data) => this.#serializer.loads(data));
    const timer = this.metrics.fanoutTimer(definition.name);
    try {
      if (task.operation === 'add')
        await definition.addToMany(task.userIds, activities, { trim: task.trim });
      else await definition.removeFromMany(task.userIds, activities);
    } finally {
      timer.stop();
    }
    this.metrics.onFanout(definition.name, task.operation, activities.length * task.userIds.length);
  }

  async #follow(userId: UserId, targetIds: readonly UserId[]): Promise<void> {
    const activities: Activity[] = [];
    for (const targetId of targetIds) {
      activities.push(
        ...(await this.userFeed.for(targetId).get({ limit: this.followActivityLimit })),
      );
    }
    if (activities.length === 0) return;
    for (const definition of Object.values(this.feeds)) {
      await definition.for(userId).addMany(activities);
    }
  }

  async #unfollow(userId: UserId, targetIds: readonly UserId[]): Promise<void> {
    const targets = new Set(targetIds.map(String));
    if (targets.size === 0) return;
    for (const definition of Object.values(this.feeds)) {
      const feed = definition.for(userId);
      // The whole feed: imports (trim: false) can leave more than maxLength entries.
      const items = (await feed.get()) as Array<Activity | AggregatedActivity>;
      const doomed: Array<ActivityOrId | DehydratedActivity> = [];
      for (const item of items) {
        const activities = item instanceof Activity ? [item] : item.activities;
        for (const activity of activities)
          if (targets.has(String(activity.actorId))) doomed.push(activity);
      }
      if (doomed.length > 0) await feed.removeMany(doomed);
    }
  }

  /**
   * Reads a page of a reader's flat feed with the activities of the authors the reader pulls
   * (`getPulledAuthorIds`) merged in: newest first, de-duplicated by activity id. The merged feed
   * is, like a stored one, the newest `maxLength` activities; filters and pages apply within it,
   * so a reader gets the same page as if those authors had been pushed. The merge works on ids
   * (one range read per source) and hydrates only the page. Feeds not in `pullFeeds`, and
   * readers who pull nobody, are read exactly as `feed.get()` reads them.
   */
  async readFeed(
    readerId: UserId,
    feedName: string,
    options: ReadFeedOptions = {},
  ): Promise<Activity[]> {
    validateUserId(readerId);
    const definition = this.#feed(feedName);
    if (!(definition instanceof FeedDefinition)) {
      throw new SfError(
        'SF_INVALID_OPTION',
        `readFeed merges flat feeds only; ${JSON.stringify(feedName)} is aggregated: read it with getFeeds(userId).${feedName}.get()`,
      );
    }
    const offset = options.offset ?? 0;
    if (!Number.isSafeInteger(offset) || offset < 0)
      throw new InvalidActivityError(
        `offset must be a non-negative integer, got ${String(options.offset)}`,
      );
    if (
      options.limit !== undefined &&
      (!Number.isSafeInteger(options.limit) || options.limit < 0)
    ) {
      throw new InvalidActivityError(
        `limit must be a non-negative integer, got ${String(options.limit)}`,
      );
    }
    const own = options.filter
      ? definition.for(readerId).filter(options.filter)
      : definition.for(readerId);
    const pulled =
      this.pullFeeds.has(feedName) && this.#getPulledAuthorIds
        ? [
            ...new Set(
              (await this.#getPulledAuthorIds(readerId)).map((id) => String(validateUserId(id))),
            ),
          ]
        : [];
    if (pulled.length === 0) return own.get({ offset, limit: options.limit });

    const end = Math.min(
      options.limit === undefined ? definition.maxLength : offset + options.limit,
      definition.maxLength,
    );
    if (end <= offset) return [];
    const timer = this.metrics.feedReadTimer(definition.name);
    try {
      const sources = [
        { definition, key: own.key },
        ...pulled.map((authorId) => ({
          definition: this.userFeed,
          key: this.userFeed.keyFor(authorId),
        })),
      ];
      // The newest maxLength of the merge are among the newest maxLength of each source.
      const lists = await Promise.all(
        sources.map((source) =>
          source.definition.timeline.get(source.key, { offset: 0, limit: definition.maxLength }),
        ),
      );
      const merged = new Map<string, { item: FlatTimelineItem; source: number }>();
      lists.forEach((items, source) => {
        for (const item of items)
          if (!merged.has(item.serializationId)) merged.set(item.serializationId, { item, source });
      });
      const bounds = own.idFilter;
      const page = [...merged.values()]
        .sort((a, b) => compareSerializationIds(b.item.serializationId, a.item.serializationId))
        .slice(0, definition.maxLength)
        .filter(({ item }) => withinBounds(item.serializationId, bounds))
        .slice(offset, end);
      const hydrated = new Map<string, Activity>();
      await Promise.all(
        sources.map(async (source, index) => {
          const items = page.filter((entry) => entry.source === index).map((entry) => entry.item);
          if (items.length === 0) return;
          for (const activity of await source.definition.hydrate(source.key, items))
            hydrated.set(activity.serializationId, activity);
        }),
      );
      const result = page.flatMap(({ item }) => hydrated.get(item.serializationId) ?? []);
      this.metrics.onFeedRead(definition.name, result.length);
      return result;
    } finally {
      timer.stop();
    }
  }
}

function withinBounds(id: string, bounds: Readonly<IdFilter>): boolean {
  if (bounds.gte !== undefined && compareSerializationIds(id, bounds.gte) < 0) return false;
  if (bounds.gt !== undefined && compareSerializationIds(id, bounds.gt) <= 0) return false;
  if (bounds.lte !== undefined && compareSerializationIds(id, bounds.lte) > 0) return false;
  if (bounds.lt !== undefined && compareSerializationIds(id, bounds.lt) >= 0) return false;
  return true;
}
