import { Activity, InvalidActivityError, SfError } from '@sf/activity';
import type { ActivityOrId, AggregatedActivity, DehydratedActivity, VerbRegistry } from '@sf/activity';
import { AggregatedFeedDefinition, FeedDefinition, noopMetrics, validateUserId } from '@sf/feeds';
import type { AggregatedFeed, Feed, Metrics, UserId } from '@sf/feeds';
import { jsonFormat } from '@sf/serializers';
import type { Serializer } from '@sf/serializers';
import { InProcessFanoutQueue } from './in-process-queue.js';
import { FanoutPriority, fanoutPriorities } from './tasks.js';
import type { EnqueueResult, FanoutQueue, FanoutTask, FollowTask, ManagerTask, TaskExecutor } from './tasks.js';

/** A feed definition the manager fans out to: flat, aggregated or notification. */
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
}

/** A started fanout: how many tasks were created, and a way to wait for all of them. */
export interface FanoutHandle {
  readonly tasks: number;
  wait(): Promise<void>;
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

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  const result = value ?? fallback;
  if (!Number.isSafeInteger(result) || result < 1) {
    throw new SfError('SF_INVALID_OPTION', `${name} must be a positive integer, got ${String(value)}`);
  }
  return result;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

function combine(results: readonly EnqueueResult[]): FanoutHandle {
  return {
    tasks: results.reduce((sum, result) => sum + result.tasks, 0),
    wait: async () => {
      await Promise.all(results.map((result) => result.wait()));
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
  readonly #getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  readonly #serializer: Serializer<Activity>;

  constructor(options: ManagerOptions) {
    if (!options || typeof options.getFollowerIds !== 'function') {
      throw new SfError('SF_INVALID_OPTION', 'Manager needs getFollowerIds(userId) returning follower ids by priority');
    }
    if (!(options.userFeed instanceof FeedDefinition)) {
      throw new SfError('SF_INVALID_OPTION', 'Manager needs a userFeed defined with Feed.define or Feed.defineUserFeed');
    }
    const feeds = options.feeds ?? {};
    for (const [name, definition] of Object.entries(feeds)) {
      if (!(definition instanceof FeedDefinition) && !(definition instanceof AggregatedFeedDefinition)) {
        throw new SfError('SF_INVALID_OPTION', `feeds.${name} must be a feed definition (Feed.define, AggregatedFeed.define, NotificationFeed.define)`);
      }
    }
    this.feeds = Object.freeze({ ...feeds });
    this.userFeed = options.userFeed;
    this.#getFollowerIds = options.getFollowerIds;
    this.fanoutChunkSize = positiveInteger('fanoutChunkSize', options.fanoutChunkSize, 100);
    this.followActivityLimit = positiveInteger('followActivityLimit', options.followActivityLimit, 5000);
    this.metrics = options.metrics ?? noopMetrics;
    this.#serializer = jsonFormat(options.verbRegistry ? { verbRegistry: options.verbRegistry } : {}).activitySerializer();
    this.queue = options.queue ?? new InProcessFanoutQueue();
    this.queue.bind(this);
  }

  /** Every feed of a user, by name. */
  getFeeds(userId: UserId): Record<string, Feed | AggregatedFeed> {
    return Object.fromEntries(Object.entries(this.feeds).map(([name, definition]) => [name, definition.for(userId)]));
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
        throw new SfError('SF_INVALID_OPTION', `getFollowerIds returned unknown priority ${JSON.stringify(key)}; use HIGH or LOW`);
      }
    }
    return fanoutPriorities.map((priority) => [priority, [...(byPriority[priority] ?? [])]]);
  }

  /** One task per chunk of followers, per feed, per priority. */
  createFanoutTasks(
    followers: ReadonlyArray<[FanoutPriority, UserId[]]>,
    operation: 'add' | 'remove',
    activities: readonly Activity[],
    trim: boolean,
  ): FanoutTask[] {
    const serialized = activities.map((activity) => this.#serializer.dumps(activity));
    const tasks: FanoutTask[] = [];
    for (const [priority, userIds] of followers) {
      for (const ids of chunk(userIds, this.fanoutChunkSize)) {
        for (const feed of Object.keys(this.feeds)) {
          tasks.push({ type: 'fanout', operation, feed, userIds: ids, activities: serialized, trim, priority });
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
    if (!(activity instanceof Activity)) throw new InvalidActivityError(`addUserActivity takes an Activity, got ${String(activity)}`);
    await this.userFeed.insertActivity(activity);
    await this.userFeed.for(userId).add(activity);
    const followers = await this.#followersByPriority(userId);
    const handle = combine([await this.queue.enqueue(this.createFanoutTasks(followers, 'add', [activity], true))]);
    this.metrics.onActivityPublished();
    return handle;
  }

  /**
   * Removes a user's activity from their feed and the feeds of their current followers. The
   * activity stays in the activity storage (another process may still be fanning it out);
   * followers who left since publishing keep it until they unfollow.
   */
  async removeUserActivity(userId: UserId, activity: Activity): Promise<FanoutHandle> {
    validateUserId(userId);
    if (!(activity instanceof Activity)) throw new InvalidActivityError(`removeUserActivity takes an Activity, got ${String(activity)}`);
    await this.userFeed.for(userId).remove(activity);
    const followers = await this.#followersByPriority(userId);
    const handle = combine([await this.queue.enqueue(this.createFanoutTasks(followers, 'remove', [activity], false))]);
    this.metrics.onActivityRemoved();
    return handle;
  }

  /** Re-publishes activities (e.g. after editing them): each goes to its actor's followers again. */
  async updateUserActivities(activities: readonly Activity[]): Promise<FanoutHandle> {
    const handles: FanoutHandle[] = [];
    for (const activity of activities) handles.push(await this.addUserActivity(activity.actorId, activity));
    return combine(handles);
  }

  async updateUserActivity(activity: Activity): Promise<FanoutHandle> {
    return this.updateUserActivities([activity]);
  }

  async followUser(userId: UserId, targetId: UserId, options?: FollowOptions): Promise<FanoutHandle> {
    return this.followManyUsers(userId, [targetId], options);
  }

  /** Copies up to followActivityLimit of each target's activities into every feed of the user. */
  async followManyUsers(userId: UserId, targetIds: readonly UserId[], options: FollowOptions = {}): Promise<FanoutHandle> {
    return this.#followTask({ type: 'follow', userId: validateUserId(userId), targetIds: targetIds.map(validateUserId), priority: FanoutPriority.HIGH }, options);
  }

  async unfollowUser(userId: UserId, targetId: UserId, options?: FollowOptions): Promise<FanoutHandle> {
    return this.unfollowManyUsers(userId, [targetId], options);
  }

  /** Removes the targets' activities from every feed of the user. */
  async unfollowManyUsers(userId: UserId, targetIds: readonly UserId[], options: FollowOptions = {}): Promise<FanoutHandle> {
    return this.#followTask({ type: 'unfollow', userId: validateUserId(userId), targetIds: targetIds.map(validateUserId), priority: FanoutPriority.HIGH }, options);
  }

  async #followTask(task: FollowTask, options: FollowOptions): Promise<FanoutHandle> {
    if (options.queued) return combine([await this.queue.enqueue([task])]);
    await this.runTask(task);
    return { tasks: 0, wait: async () => {} };
  }

  /**
   * Imports many activities of one user (e.g. from another system): stores them and adds them
   * to the user's feed in chunks, and fans each chunk out without trimming.
   */
  async batchImport(userId: UserId, activities: readonly Activity[], options: BatchImportOptions = {}): Promise<FanoutHandle> {
    validateUserId(userId);
    const chunkSize = positiveInteger('chunkSize', options.chunkSize, 500);
    for (const activity of activities) {
      if (!(activity instanceof Activity)) throw new InvalidActivityError(`batchImport takes Activity instances, got ${String(activity)}`);
      if (String(activity.actorId) !== String(userId)) {
        throw new InvalidActivityError(
          `batchImport of user ${userId} got an activity of actor ${activity.actorId} (${activity.serializationId}); send activities of one user only`,
        );
      }
    }
    const handles: FanoutHandle[] = [];
    let imported = 0;
    for (const part of chunk(activities, chunkSize)) {
      await this.userFeed.insertActivities(part);
      await this.userFeed.for(userId).addMany(part, { trim: false });
      if (options.fanout ?? true) {
        const followers = await this.#followersByPriority(userId);
        handles.push(await this.queue.enqueue(this.createFanoutTasks(followers, 'add', part, false)));
      }
      imported += part.length;
      options.onProgress?.({ imported, total: activities.length, fanoutTasks: handles.reduce((sum, h) => sum + h.tasks, 0) });
    }
    return combine(handles);
  }

  /** The feed definition of a task, or a clear error (producer and worker disagree on feeds). */
  #feed(name: string): FanoutFeedDefinition {
    const definition = this.feeds[name];
    if (!definition) {
      throw new SfError('SF_UNKNOWN_FEED', `this manager has no feed named ${JSON.stringify(name)} (it has ${Object.keys(this.feeds).join(', ')})`);
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
        throw new SfError('SF_UNKNOWN_TASK', `unknown task type ${JSON.stringify((task as { type: unknown }).type)}`);
    }
  }

  async #fanout(task: FanoutTask): Promise<void> {
    const definition = this.#feed(task.feed);
    const activities = task.activities.map((data) => this.#serializer.loads(data));
    const timer = this.metrics.fanoutTimer(definition.name);
    try {
      if (task.operation === 'add') await definition.addToMany(task.userIds, activities, { trim: task.trim });
      else await definition.removeFromMany(task.userIds, activities);
    } finally {
      timer.stop();
    }
    this.metrics.onFanout(definition.name, task.operation, activities.length * task.userIds.length);
  }

  async #follow(userId: UserId, targetIds: readonly UserId[]): Promise<void> {
    const activities: Activity[] = [];
    for (const targetId of targetIds) {
      activities.push(...(await this.userFeed.for(targetId).get({ limit: this.followActivityLimit })));
    }
    if (activities.length === 0) return;
    for (const definition of Object.values(this.feeds)) {
      await definition.for(userId).addMany(activities);
    }
  }

  async #unfollow(userId: UserId, targetIds: readonly UserId[]): Promise<void> {
    const targets = new Set(targetIds.map(String));
    for (const definition of Object.values(this.feeds)) {
      const feed = definition.for(userId);
      const items = await feed.get({ limit: definition.maxLength });
      const doomed: Array<ActivityOrId | DehydratedActivity> = [];
      for (const item of items) {
        const activities = item instanceof Activity ? [item] : item.activities;
        for (const activity of activities) if (targets.has(String(activity.actorId))) doomed.push(activity);
      }
      if (doomed.length > 0) await feed.removeMany(doomed);
    }
  }
}
