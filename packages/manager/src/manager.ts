/**
 * The Manager: fan-out on write. The concerns live next to it: options (manager-options.ts),
 * the feeds by name (feed-registry.ts), fanout planning and priorities (fanout-plan.ts), follow
 * and unfollow copies (follow-copy.ts), batch import (batch-import.ts) and push/pull reads
 * (read-feed.ts); the queue contract is fanout-queue.ts.
 */
import { Activity, ActivityNotFoundError, InvalidActivityError } from '@sf/activity';
import { validateUserId } from '@sf/feeds';
import type {
  Feed,
  FeedDefinition,
  FeedFilter,
  Metrics,
  RankedFeed,
  RebuildFinishedEvent,
  UserId,
} from '@sf/feeds';
import { jsonFormat } from '@sf/serializers';
import type { Serializer } from '@sf/serializers';
import { batchImport } from './batch-import.js';
import { UnknownTaskError, invalidOption } from './errors.js';
import { combine } from './fanout-handle.js';
import type { FanoutHandle } from './fanout-handle.js';
import { FanoutPlanner, fanoutTasks } from './fanout-plan.js';
import type { FanoutPlan } from './fanout-plan.js';
import { FanoutPriority } from './fanout-queue.js';
import type {
  FanoutOperation,
  FanoutQueue,
  FanoutTask,
  FollowTask,
  ManagerTask,
  RebuildTask,
  TaskExecutor,
} from './fanout-queue.js';
import { feedByName, feedsOf } from './feed-registry.js';
import type { FanoutFeedDefinition, FanoutFeedDefinitions, FeedsOf } from './feed-registry.js';
import { copyFollowedActivities, removeUnfollowedActivities } from './follow-copy.js';
import { InProcessFanoutQueue } from './in-process-queue.js';
import { resolveManagerOptions } from './manager-options.js';
import type {
  BatchImportOptions,
  FollowOptions,
  ManagerOptions,
  ReadFeedOptions,
  RemoveActivityOptions,
  UpdateActivityOptions,
} from './manager-options.js';
import { rankedMergedFeed, readMergedFeed } from './read-feed.js';
import type { ReadFeedContext } from './read-feed.js';
import { activeAudiences, resolveInactiveFollowers, staleFeeds } from './inactive-followers.js';
import type {
  FanoutAudience,
  FeedStatus,
  ResolvedInactiveFollowers,
} from './inactive-followers.js';
import { rebuildFeeds } from './rebuild.js';

/**
 * Fan-out on write: puts a user's activities into the feeds of their followers through many
 * small tasks on a fanout queue, and keeps feeds right when users follow and unfollow.
 *
 * Generic over its feed definitions, so `getFeeds(userId).normal` is the `Feed` of the
 * definition passed as `feeds.normal`.
 */
export class Manager<
  F extends FanoutFeedDefinitions = FanoutFeedDefinitions,
> implements TaskExecutor {
  readonly feeds: Readonly<F>;
  readonly userFeed: FeedDefinition;
  readonly queue: FanoutQueue;
  readonly fanoutChunkSize: number;
  readonly followActivityLimit: number;
  readonly metrics: Metrics;
  readonly maxFanoutFollowers: number;
  readonly pullFeeds: ReadonlySet<string>;
  readonly #getPulledAuthorIds: ((readerId: UserId) => Promise<readonly UserId[]>) | undefined;
  readonly #planner: FanoutPlanner;
  readonly #serializer: Serializer<Activity>;
  readonly #inactive: ResolvedInactiveFollowers | undefined;

  constructor(options: ManagerOptions<F>) {
    const resolved = resolveManagerOptions(options);
    this.feeds = resolved.feeds;
    this.userFeed = resolved.userFeed;
    this.fanoutChunkSize = resolved.fanoutChunkSize;
    this.followActivityLimit = resolved.followActivityLimit;
    this.metrics = resolved.metrics;
    this.maxFanoutFollowers = resolved.maxFanoutFollowers;
    this.pullFeeds = resolved.pullFeeds;
    this.#getPulledAuthorIds = resolved.getPulledAuthorIds;
    this.#planner = new FanoutPlanner({
      feeds: Object.keys(resolved.feeds),
      pullFeeds: resolved.pullFeeds,
      maxFanoutFollowers: resolved.maxFanoutFollowers,
      getFollowerIds: resolved.getFollowerIds,
      getFollowerCount: resolved.getFollowerCount,
    });
    this.#serializer = jsonFormat(
      options.verbRegistry ? { verbRegistry: options.verbRegistry } : {},
    ).activitySerializer();
    this.#inactive = resolveInactiveFollowers(options.inactiveFollowers, resolved.feeds);
    this.queue = options.queue ?? new InProcessFanoutQueue();
    this.queue.bind(this);
  }

  /** Every feed of a user, by name, typed after the definitions (`getFeeds(21).normal`). */
  getFeeds(userId: UserId): FeedsOf<F> {
    return feedsOf(this.feeds, userId);
  }

  getUserFeed(userId: UserId): Feed {
    return this.userFeed.for(userId);
  }

  /**
   * Whether an author's activities are pushed to the feeds in `pullFeeds` (false for authors
   * with more than `maxFanoutFollowers` followers).
   */
  async isPushAuthor(userId: UserId): Promise<boolean> {
    return this.#planner.isPushAuthor(userId);
  }

  /** One task per chunk of followers, per feed (default: every feed), per priority. */
  createFanoutTasks(
    followers: ReadonlyArray<[FanoutPriority, UserId[]]>,
    operation: FanoutOperation,
    activities: readonly Activity[],
    trim: boolean,
    feeds: readonly string[] = Object.keys(this.feeds),
  ): FanoutTask[] {
    return fanoutTasks(
      this.#serializer,
      this.fanoutChunkSize,
      followers,
      operation,
      activities,
      trim,
      feeds,
    );
  }

  /**
   * Publishes a user's activity: stores it, adds it to the user's own feed, then fans it out to
   * every follower's feeds. Resolves once the tasks are enqueued; `wait()` waits for them.
   */
  async addUserActivity(userId: UserId, activity: Activity): Promise<FanoutHandle> {
    validateUserId(userId);
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(`addUserActivity takes an Activity, got ${String(activity)}`, {
        value: activity,
      });
    }
    await this.userFeed.insertActivity(activity);
    await this.userFeed.for(userId).add(activity);
    const plan = await this.#planner.plan(userId);
    const handle = combine([
      await this.queue.enqueue(await this.#addTasks(plan, [activity], true)),
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
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(
        `removeUserActivity takes an Activity, got ${String(activity)}`,
        { value: activity },
      );
    }
    await this.userFeed.for(userId).remove(activity);
    const { feeds, followers } = await this.#planner.plan(userId, options.forcePush);
    const handle = combine([
      await this.queue.enqueue(
        this.createFanoutTasks(followers, 'remove', [activity], false, feeds),
      ),
    ]);
    this.metrics.onActivityRemoved();
    return handle;
  }

  /**
   * Update in place (a pin's title changed, a like count in extraContext grew): the new version
   * of a stored activity (same serialization id: same actor, verb, object, time and id scheme;
   * new extraContext or target, e.g. `activity.withExtraContext({...})`) replaces the old one
   * once, and every feed holding it shows it on its next read, in the same position. Feeds whose
   * timelines hold ids (flat and aggregated feeds on Redis, memory, PostgreSQL) need no fanout:
   * the activity storage is updated (all caches invalidated). Feeds holding whole copies
   * (`holdsActivityCopies`: notification feeds; every feed on Cassandra) get a batched re-fanout
   * (`update` tasks, chunks of `fanoutChunkSize`, on the queue) that rewrites the activity where
   * a feed holds it and never adds it anywhere. When no feed holds copies, nothing is enqueued.
   *
   * Unlike `updateUserActivity` (Stream Framework's `update_user_activities`, which adds the
   * activity again), an update creates nothing.
   * @throws ActivityNotFoundError when the activity is not stored (not in the user feed's
   *   activity storage, or, when the user feed holds whole activities, not in the actor's user
   *   feed); ActivityConflictError when its id holds another actor's activity. Nothing changed.
   */
  async updateActivity(
    activity: Activity,
    options: UpdateActivityOptions = {},
  ): Promise<FanoutHandle> {
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(`updateActivity takes an Activity, got ${String(activity)}`, {
        value: activity,
      });
    }
    const actorId = validateUserId(activity.actorId);
    const userFeed = this.userFeed;
    if (userFeed.activityStorage) {
      await userFeed.updateActivities([activity]);
    } else if (!(await userFeed.for(actorId).contains(activity))) {
      throw new ActivityNotFoundError(
        activity.serializationId,
        `the user feed of actor ${String(actorId)} (${userFeed.keyFor(actorId)}): an update changes stored activities only, nothing was updated`,
      );
    }
    await userFeed.replaceInMany([actorId], [activity]);
    const copies = Object.keys(this.feeds).filter((name) => this.feeds[name]!.holdsActivityCopies);
    this.metrics.onActivityUpdated?.();
    if (copies.length === 0) return combine([]);
    const { feeds, followers } = await this.#planner.plan(actorId, options.forcePush);
    const names = feeds.filter((name) => copies.includes(name));
    return combine([
      await this.queue.enqueue(
        this.createFanoutTasks(followers, 'update', [activity], false, names),
      ),
    ]);
  }

  /**
   * Removes the activities carrying `foreignId` (GetStream's `foreign_id`, e.g. `'pin:123'`)
   * without knowing their ids: finds them through the user feed storage's foreign-id index, then
   * removes each as `removeUserActivity` does (the user's feed, and a removal fanout to every
   * follower's feeds), and finally drops them from the activity storage and its index. Resolves
   * with the fanout handle once the removals are enqueued; `activities` are the ones removed.
   * @throws StorageConfigurationError when the backend keeps no foreign-id index
   */
  async removeActivityByForeignId(
    userId: UserId,
    foreignId: string,
    options: RemoveActivityOptions = {},
  ): Promise<FanoutHandle & { activities: Activity[] }> {
    validateUserId(userId);
    const activities = await this.userFeed.getByForeignId(foreignId);
    const handles: FanoutHandle[] = [];
    for (const activity of activities) {
      handles.push(await this.removeUserActivity(userId, activity, options));
    }
    if (activities.length > 0) await this.userFeed.removeActivitiesByForeignId(foreignId);
    return Object.assign(combine(handles), { activities });
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
    return this.#followTask('follow', userId, targetIds, options);
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
    return this.#followTask('unfollow', userId, targetIds, options);
  }

  async #followTask(
    type: FollowTask['type'],
    userId: UserId,
    targetIds: readonly UserId[],
    options: FollowOptions,
  ): Promise<FanoutHandle> {
    const task: FollowTask = {
      type,
      userId: validateUserId(userId),
      targetIds: targetIds.map(validateUserId),
      priority: FanoutPriority.HIGH,
    };
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
    return batchImport(
      {
        userFeed: this.userFeed,
        plan: async (author) => {
          // One clock read for the whole import: its parts share the plan.
          const plan = await this.#planner.plan(author);
          return { ...plan, audiences: await this.#audiences(plan) };
        },
        fanout: async (plan, part) => this.queue.enqueue(await this.#addTasks(plan, part, false)),
      },
      userId,
      activities,
      options,
    );
  }

  /** The feed definition a task or a read names (`UnknownFeedError` if there is none). */
  #feed(name: string, path: string): FanoutFeedDefinition {
    return feedByName(this.feeds, name, path);
  }

  /** Runs one task (what queue workers call). Idempotent: running a task twice changes nothing more. */
  async runTask(task: ManagerTask): Promise<void> {
    switch (task.type) {
      case 'fanout':
        return this.#fanout(task);
      case 'follow':
        return copyFollowedActivities(
          this.userFeed,
          Object.values(this.feeds),
          task.userId,
          task.targetIds,
          this.followActivityLimit,
        );
      case 'unfollow':
        return removeUnfollowedActivities(Object.values(this.feeds), task.userId, task.targetIds);
      case 'rebuild':
        return rebuildFeeds(
          {
            inactive: this.#inactiveFollowers('a rebuild task'),
            userFeed: this.userFeed,
            feed: (name) => this.#feed(name, 'task.feeds'),
            followActivityLimit: this.followActivityLimit,
            metrics: this.metrics,
          },
          task,
        );
      default:
        throw new UnknownTaskError((task as { type: unknown }).type);
    }
  }

  /** Who an add fanout writes to, per feed: inactive followers left out (see `activeAudiences`). */
  #audiences(plan: FanoutPlan): Promise<FanoutAudience[]> {
    return activeAudiences(this.#inactive, this.metrics, plan.feeds, plan.followers);
  }

  /**
   * The tasks of an add fanout. Only adds skip inactive followers: removals and updates still
   * reach everyone, as a skipped feed may hold the activity from before.
   */
  async #addTasks(
    plan: FanoutPlan & { audiences?: FanoutAudience[] },
    activities: readonly Activity[],
    trim: boolean,
  ): Promise<FanoutTask[]> {
    const audiences = plan.audiences ?? (await this.#audiences(plan));
    return audiences.flatMap(({ feeds, followers }) =>
      this.createFanoutTasks(followers, 'add', activities, trim, feeds),
    );
  }

  async #fanout(task: FanoutTask): Promise<void> {
    const definition = this.#feed(task.feed, 'task.feed');
    const activities = task.activities.map((data) => this.#serializer.loads(data));
    const timer = this.metrics.fanoutTimer(definition.name);
    try {
      if (task.operation === 'add')
        await definition.addToMany(task.userIds, activities, { trim: task.trim });
      else if (task.operation === 'update')
        await definition.replaceInMany(task.userIds, activities);
      else await definition.removeFromMany(task.userIds, activities);
    } finally {
      timer.stop();
    }
    this.metrics.onFanout(definition.name, task.operation, activities.length * task.userIds.length);
  }

  #inactiveFollowers(what: string): ResolvedInactiveFollowers {
    if (this.#inactive === undefined) {
      throw invalidOption(
        `${what} needs the Manager option inactiveFollowers ({ clock, getFollowingIds })`,
        'inactiveFollowers',
        undefined,
      );
    }
    return this.#inactive;
  }

  /**
   * Records that a user is active (what an application calls when the user reads a feed). A
   * user back after more than an `inactiveFollowers` period, whose feeds fanouts skipped, gets
   * them rebuilt by a `rebuild` task on the queue: the answer is `rebuilding` until it ran (see
   * `feedStatus`). Without `inactiveFollowers`, does nothing and answers `ready`.
   */
  async touchUser(userId: UserId, now?: number): Promise<FeedStatus> {
    validateUserId(userId);
    const inactive = this.#inactive;
    if (inactive === undefined) return { status: 'ready' };
    const at = now ?? inactive.now();
    const id = String(userId);
    const previous = (await inactive.clock.touch([id], at)).get(id);
    const feeds = staleFeeds(inactive, previous, at);
    if (feeds.length === 0) return this.feedStatus(userId, at);
    if (!(await inactive.clock.startRebuild(id, at, inactive.rebuildTimeoutMs)))
      return { status: 'rebuilding' };
    const task: RebuildTask = {
      type: 'rebuild',
      userId,
      feeds,
      startedAt: at,
      priority: FanoutPriority.HIGH,
    };
    try {
      await this.queue.enqueue([task]);
    } catch (error) {
      await inactive.clock.finishRebuild(id, at);
      throw error;
    }
    // A queue that runs tasks before returning (the in-process default) has rebuilt already.
    const status = await this.feedStatus(userId, at);
    return status.status === 'rebuilding' ? { status: 'rebuilding', feeds } : status;
  }

  /**
   * Hears the rebuilds of users' feeds end (`touchUser`), wherever they ran: the activity
   * clock's events reach every process sharing a backend with cross-process events (Redis
   * pub/sub, PostgreSQL LISTEN/NOTIFY), and only this process on the others (memory,
   * Cassandra). So a web process can tell a reader "your feed is ready" without polling
   * `feedStatus`; events are not replayed, so a subscriber that may have missed one (it
   * subscribed after the rebuild ended) checks `feedStatus` once. Returns a function that
   * stops listening. Throws without `inactiveFollowers`, or when its clock publishes no events.
   */
  async subscribeRebuilds(
    listener: (event: RebuildFinishedEvent) => void,
  ): Promise<() => Promise<void>> {
    const inactive = this.#inactiveFollowers('subscribeRebuilds');
    if (typeof listener !== 'function')
      throw invalidOption('subscribeRebuilds takes a listener function', 'listener', listener);
    if (typeof inactive.clock.subscribe !== 'function') {
      throw invalidOption(
        'subscribeRebuilds needs an activity clock with subscribe (this one publishes no rebuild events)',
        'inactiveFollowers.clock',
        inactive.clock,
      );
    }
    return inactive.clock.subscribe(listener);
  }

  /** `rebuilding` while a rebuild of the user's feeds runs (see `touchUser`), else `ready`. */
  async feedStatus(userId: UserId, now?: number): Promise<FeedStatus> {
    validateUserId(userId);
    const inactive = this.#inactive;
    if (inactive === undefined) return { status: 'ready' };
    const id = String(userId);
    const running = await inactive.clock.rebuildStatus([id], now ?? inactive.now());
    return { status: running.has(id) ? 'rebuilding' : 'ready' };
  }

  /** What `readFeed` and `rankedFeed` merge pulled authors with. */
  #mergeContext(): ReadFeedContext {
    return {
      feed: (name) => this.#feed(name, 'feedName'),
      userFeed: this.userFeed,
      pullFeeds: this.pullFeeds,
      getPulledAuthorIds: this.#getPulledAuthorIds,
      metrics: this.metrics,
    };
  }

  /**
   * Reads a page of a reader's flat feed with the activities of the authors the reader pulls
   * (`getPulledAuthorIds`) merged in: newest first, de-duplicated by activity id. The merged feed
   * is, like a stored one, the newest `maxLength` activities; filters and pages apply within it,
   * so a reader gets the same page as if those authors had been pushed. The merge works on ids
   * (one range read per source) and hydrates only the page; with a verb or field filter
   * (`filter: { verb: 'love' }`, on a feed declaring `index`) it hydrates the merge (up to
   * `maxLength`) and filters it before cutting the page. Feeds not in `pullFeeds`, and
   * readers who pull nobody, are read exactly as `feed.get()` reads them.
   */
  async readFeed(
    readerId: UserId,
    feedName: string,
    options: ReadFeedOptions = {},
  ): Promise<Activity[]> {
    return readMergedFeed(this.#mergeContext(), readerId, feedName, options);
  }

  /**
   * A ranking (`rankings` of the feed's definition) of a reader's flat feed, with the authors the
   * reader pulls merged into the candidates as `readFeed` merges them: page it with
   * `.page({ limit, cursor })`. Readers who pull nobody get `getFeeds(id)[feedName].ranked(name)`.
   */
  rankedFeed(
    readerId: UserId,
    feedName: string,
    ranking: string,
    options: { filter?: FeedFilter } = {},
  ): RankedFeed {
    return rankedMergedFeed(this.#mergeContext(), readerId, feedName, ranking, options.filter);
  }
}
