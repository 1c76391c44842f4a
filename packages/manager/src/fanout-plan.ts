/**
 * Planning a fanout: the author's followers by priority, push or pull (`maxFanoutFollowers`), and
 * the tasks, one per chunk of followers, per feed, per priority.
 */
import type { Activity } from '@sf/activity';
import type { UserId } from '@sf/feeds';
import type { Serializer } from '@sf/serializers';
import { invalidOption } from './errors.js';
import { FanoutPriority, fanoutPriorities } from './fanout-queue.js';
import type { FanoutOperation, FanoutTask } from './fanout-queue.js';
import type { FollowerIds } from './manager-options.js';

/** Followers by priority, in priority order. */
export type FollowersByPriority = Array<[FanoutPriority, UserId[]]>;

/** The feeds a fanout of this author writes to, and the author's followers (none if no feed). */
export interface FanoutPlan {
  feeds: string[];
  followers: FollowersByPriority;
}

export function chunk<T>(items: readonly T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
}

export interface FanoutPlannerOptions {
  /** Every feed of the manager, by name. */
  feeds: readonly string[];
  /** The feeds authors over `maxFanoutFollowers` skip. */
  pullFeeds: ReadonlySet<string>;
  maxFanoutFollowers: number;
  getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  getFollowerCount: ((userId: UserId) => Promise<number>) | undefined;
}

export class FanoutPlanner {
  readonly #options: FanoutPlannerOptions;

  constructor(options: FanoutPlannerOptions) {
    this.#options = options;
  }

  async followersByPriority(userId: UserId): Promise<FollowersByPriority> {
    const followers = await this.#options.getFollowerIds(userId);
    if (Array.isArray(followers)) return [[FanoutPriority.HIGH, [...(followers as UserId[])]]];
    const byPriority = followers as Partial<Record<FanoutPriority, readonly UserId[]>>;
    for (const key of Object.keys(byPriority)) {
      if (!fanoutPriorities.includes(key as FanoutPriority)) {
        throw invalidOption(
          `getFollowerIds returned unknown priority ${JSON.stringify(key)}; use HIGH or LOW`,
          'getFollowerIds',
          key,
        );
      }
    }
    return fanoutPriorities.map((priority) => [priority, [...(byPriority[priority] ?? [])]]);
  }

  /** Whether an author's activities are pushed to the pull feeds (false over `maxFanoutFollowers`). */
  async isPushAuthor(userId: UserId): Promise<boolean> {
    const { maxFanoutFollowers, getFollowerCount } = this.#options;
    if (maxFanoutFollowers === Infinity) return true;
    if (getFollowerCount) return (await getFollowerCount(userId)) <= maxFanoutFollowers;
    const followers = await this.followersByPriority(userId);
    return followers.reduce((sum, [, ids]) => sum + ids.length, 0) <= maxFanoutFollowers;
  }

  async plan(userId: UserId, forcePush = false): Promise<FanoutPlan> {
    const { feeds: all, pullFeeds, maxFanoutFollowers, getFollowerCount } = this.#options;
    const pushOnly = all.filter((name) => !pullFeeds.has(name));
    const limited = !forcePush && maxFanoutFollowers !== Infinity && pushOnly.length < all.length;
    if (limited && getFollowerCount) {
      const feeds = (await getFollowerCount(userId)) > maxFanoutFollowers ? pushOnly : [...all];
      return {
        feeds,
        followers: feeds.length === 0 ? [] : await this.followersByPriority(userId),
      };
    }
    const followers = await this.followersByPriority(userId);
    const count = followers.reduce((sum, [, ids]) => sum + ids.length, 0);
    return { feeds: limited && count > maxFanoutFollowers ? pushOnly : [...all], followers };
  }
}

/** One task per chunk of followers, per feed, per priority. */
export function fanoutTasks(
  serializer: Serializer<Activity>,
  chunkSize: number,
  followers: ReadonlyArray<[FanoutPriority, UserId[]]>,
  operation: FanoutOperation,
  activities: readonly Activity[],
  trim: boolean,
  feeds: readonly string[],
): FanoutTask[] {
  if (activities.length === 0) return [];
  const serialized = activities.map((activity) => serializer.dumps(activity));
  const tasks: FanoutTask[] = [];
  for (const [priority, userIds] of followers) {
    for (const ids of chunk(userIds, chunkSize)) {
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
