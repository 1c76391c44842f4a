/** The manager's options, their defaults and their checks. */
import type { VerbRegistry } from '@sf/activity';
import { FeedDefinition, noopMetrics } from '@sf/feeds';
import type { FeedFilter, Metrics, UserId } from '@sf/feeds';
import { invalidOption } from './errors.js';
import { checkFeedDefinitions, flatFeedNames } from './feed-registry.js';
import type { FanoutFeedDefinitions } from './feed-registry.js';
import type { FanoutPriority, FanoutQueue } from './fanout-queue.js';
import { positiveInteger } from './options.js';
import type { InactiveFollowersOptions } from './inactive-followers.js';

/** Follower ids by priority; a plain array means all at HIGH priority. */
export type FollowerIds = Partial<Record<FanoutPriority, readonly UserId[]>> | readonly UserId[];

export interface ManagerOptions<F extends FanoutFeedDefinitions = FanoutFeedDefinitions> {
  /** The feeds every follower has, by name (`{ normal, aggregated }`); names travel in tasks. */
  feeds: F;
  /** The feed of a user's own activities (Stream Framework's user_feed_class). */
  userFeed: FeedDefinition;
  /** The followers of a user, by fanout priority. */
  getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  /** Where fanout tasks go (default: an in-process queue that runs them before returning). */
  queue?: FanoutQueue;
  /**
   * Follower ids per fanout task. Default: the smallest `capabilities.fanoutChunkSize` among the
   * fanout feeds' backends, 100 for a backend that declares none (PostgreSQL declares 500).
   */
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
  /**
   * Skip the feeds of inactive followers in fanouts, and rebuild them when their owner comes
   * back (`touchUser`). Default: off (every follower is written).
   */
  inactiveFollowers?: InactiveFollowersOptions;
}

export interface RemoveActivityOptions {
  /**
   * Fan the removal out even when the author is over `maxFanoutFollowers` (for activities that
   * were pushed before the author crossed the threshold). Default false.
   */
  forcePush?: boolean;
}

/** Options of `Manager.updateActivity`. */
export interface UpdateActivityOptions {
  /**
   * Fan the update out even when the author is over `maxFanoutFollowers` (to the pull feeds
   * too, for activities pushed before the author crossed the threshold). Default false.
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

/** The options with defaults applied, checked. */
export interface ResolvedManagerOptions<F extends FanoutFeedDefinitions> {
  feeds: Readonly<F>;
  userFeed: FeedDefinition;
  getFollowerIds: (userId: UserId) => Promise<FollowerIds>;
  fanoutChunkSize: number;
  followActivityLimit: number;
  metrics: Metrics;
  maxFanoutFollowers: number;
  pullFeeds: ReadonlySet<string>;
  getPulledAuthorIds: ((readerId: UserId) => Promise<readonly UserId[]>) | undefined;
  getFollowerCount: ((userId: UserId) => Promise<number>) | undefined;
}

function optionalFunction(name: string, value: unknown, signature: string): void {
  if (value !== undefined && typeof value !== 'function')
    throw invalidOption(`${name} must be a function ${signature}`, name, value);
}

/** Stream Framework's fanout chunk: the default of a backend that declares no preference. */
const DEFAULT_FANOUT_CHUNK_SIZE = 100;

/** The smallest chunk the fanout feeds' backends prefer (each write goes to every feed). */
function preferredChunkSize(definitions: readonly FeedDefinition[]): number {
  const preferences = definitions.map(
    (definition) => definition.storage.capabilities.fanoutChunkSize ?? DEFAULT_FANOUT_CHUNK_SIZE,
  );
  return preferences.length === 0 ? DEFAULT_FANOUT_CHUNK_SIZE : Math.min(...preferences);
}

export function resolveManagerOptions<F extends FanoutFeedDefinitions>(
  options: ManagerOptions<F>,
): ResolvedManagerOptions<F> {
  if (!options || typeof options.getFollowerIds !== 'function') {
    throw invalidOption(
      'Manager needs getFollowerIds(userId) returning follower ids by priority',
      'getFollowerIds',
      options?.getFollowerIds,
    );
  }
  if (!(options.userFeed instanceof FeedDefinition)) {
    throw invalidOption(
      'Manager needs a userFeed defined with Feed.define or Feed.defineUserFeed',
      'userFeed',
      options.userFeed,
    );
  }
  const feeds = checkFeedDefinitions(options.feeds ?? ({} as F));
  const fanoutChunkSize = positiveInteger(
    'fanoutChunkSize',
    options.fanoutChunkSize,
    preferredChunkSize(Object.values(feeds)),
  );
  const followActivityLimit = positiveInteger(
    'followActivityLimit',
    options.followActivityLimit,
    5000,
  );
  const maxFanoutFollowers =
    options.maxFanoutFollowers === undefined
      ? Infinity
      : positiveInteger('maxFanoutFollowers', options.maxFanoutFollowers, 1);
  optionalFunction(
    'getPulledAuthorIds',
    options.getPulledAuthorIds,
    '(readerId) => Promise<authorIds>',
  );
  optionalFunction('getFollowerCount', options.getFollowerCount, '(userId) => Promise<number>');
  if (maxFanoutFollowers !== Infinity && !options.getPulledAuthorIds) {
    throw invalidOption(
      'maxFanoutFollowers needs getPulledAuthorIds(readerId): without it readers would never see the activities of large authors',
      'getPulledAuthorIds',
      options.getPulledAuthorIds,
    );
  }
  const flat = flatFeedNames(feeds);
  const pullFeeds = options.pullFeeds ?? flat;
  for (const name of pullFeeds) {
    if (!flat.includes(name)) {
      throw invalidOption(
        `pullFeeds: ${JSON.stringify(name)} is not a flat feed of this manager (flat feeds: ${flat.join(', ') || 'none'})`,
        'pullFeeds',
        name,
      );
    }
  }
  return {
    feeds,
    userFeed: options.userFeed,
    getFollowerIds: options.getFollowerIds,
    fanoutChunkSize,
    followActivityLimit,
    metrics: options.metrics ?? noopMetrics,
    maxFanoutFollowers,
    pullFeeds: new Set(pullFeeds),
    getPulledAuthorIds: options.getPulledAuthorIds,
    getFollowerCount: options.getFollowerCount,
  };
}
