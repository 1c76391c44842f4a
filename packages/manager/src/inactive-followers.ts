/**
 * Inactive followers: the fanout leaves out the feeds of users who have not been active for a
 * while (Mastodon skips home feeds of users inactive for two weeks), and a user who comes back
 * gets those feeds rebuilt in a background task (rebuild.ts). The activity clock lives in the
 * storage backend (`ActivityClockStorage`); users never touched count as active.
 */
import type { ActivityClockStorage, Metrics, UserId } from '@sf/feeds';
import type { FollowersByPriority } from './fanout-plan.js';
import { invalidOption } from './errors.js';
import type { FanoutFeedDefinitions } from './feed-registry.js';
import { positiveInteger } from './options.js';

/** Two weeks, Mastodon's threshold. */
export const DEFAULT_INACTIVE_AFTER_MS = 14 * 24 * 60 * 60 * 1000;
/** How long a rebuild may run before another one may start (the first is taken for dead). */
export const DEFAULT_REBUILD_TIMEOUT_MS = 10 * 60 * 1000;
/** User feeds a rebuild reads at once. */
export const DEFAULT_REBUILD_CONCURRENCY = 32;

export interface InactiveFollowersOptions {
  /** Where last activity times and rebuild states live: `storage.activityClock({ name })`. */
  clock: ActivityClockStorage;
  /** Inactivity (ms since the last touch) after which fanouts skip a user (default 14 days). */
  after?: number;
  /**
   * Per feed: its own period in ms, or `false` to always write it (default: every feed uses
   * `after`). Feeds not named here use `after`.
   */
  feeds?: Readonly<Record<string, number | false>>;
  /** The users a user follows: whose user feeds a rebuild reads. */
  getFollowingIds: (userId: UserId) => Promise<readonly UserId[]>;
  /** A rebuild running longer than this is taken for dead (default 10 minutes). */
  rebuildTimeoutMs?: number;
  /** User feeds a rebuild reads at once (default 32). */
  rebuildConcurrency?: number;
  /**
   * Activities a rebuild copies (the newest of all followees together). Default: the largest
   * `maxLength` among the rebuilt feeds, capped by `followActivityLimit`.
   */
  rebuildActivityLimit?: number;
  /** The time source (default `Date.now`); tests pass a fake clock. */
  now?: () => number;
  /**
   * Called in the process that ran a rebuild task, once the rebuild ended (its state finished).
   * Other processes hear it through `Manager.subscribeRebuilds`. A throw is reported as a
   * warning: the rebuild is done either way.
   */
  onRebuildFinished?: (event: RebuildFinished) => void | Promise<void>;
}

/** What `inactiveFollowers.onRebuildFinished` hears. */
export interface RebuildFinished {
  userId: UserId;
  /** The feeds rebuilt (names in the manager's `feeds`). */
  feeds: string[];
  /** Activities copied into the rebuilt feeds (the merge of the followees' newest). */
  activities: number;
  /** The rebuild's `startedAt` (its token in the activity clock). */
  startedAt: number;
}

/** The inactive-followers options, checked, with defaults. */
export interface ResolvedInactiveFollowers {
  clock: ActivityClockStorage;
  /** Skip period by feed name; feeds absent are always written. */
  periods: ReadonlyMap<string, number>;
  /** The shortest period: a user away longer than it gets a rebuild on return. */
  shortest: number;
  getFollowingIds: (userId: UserId) => Promise<readonly UserId[]>;
  rebuildTimeoutMs: number;
  rebuildConcurrency: number;
  rebuildActivityLimit: number | undefined;
  now: () => number;
  onRebuildFinished: ((event: RebuildFinished) => void | Promise<void>) | undefined;
}

export function resolveInactiveFollowers(
  options: InactiveFollowersOptions | undefined,
  feeds: Readonly<FanoutFeedDefinitions>,
): ResolvedInactiveFollowers | undefined {
  if (options === undefined) return undefined;
  const path = 'inactiveFollowers';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(`${path} must be an object { clock, getFollowingIds }`, path, options);
  const clock = options.clock;
  if (
    typeof clock !== 'object' ||
    clock === null ||
    typeof clock.lastActive !== 'function' ||
    typeof clock.startRebuild !== 'function'
  ) {
    throw invalidOption(
      `${path}.clock must be an ActivityClockStorage (e.g. storage.activityClock({ name: 'users' }))`,
      `${path}.clock`,
      clock,
    );
  }
  if (typeof options.getFollowingIds !== 'function') {
    throw invalidOption(
      `${path}.getFollowingIds must be a function (userId) => Promise<followedIds>`,
      `${path}.getFollowingIds`,
      options.getFollowingIds,
    );
  }
  const after = positiveInteger(`${path}.after`, options.after, DEFAULT_INACTIVE_AFTER_MS);
  const periods = new Map<string, number>();
  for (const name of Object.keys(feeds)) periods.set(name, after);
  for (const [name, value] of Object.entries(options.feeds ?? {})) {
    if (!Object.hasOwn(feeds, name)) {
      throw invalidOption(
        `${path}.feeds: ${JSON.stringify(name)} is not a feed of this manager (feeds: ${Object.keys(feeds).join(', ')})`,
        `${path}.feeds`,
        name,
      );
    }
    if (value === false) periods.delete(name);
    else periods.set(name, positiveInteger(`${path}.feeds.${name}`, value, after));
  }
  const optional = (name: string, value: number | undefined) =>
    value === undefined ? undefined : positiveInteger(`${path}.${name}`, value, 1);
  if (options.now !== undefined && typeof options.now !== 'function')
    throw invalidOption(`${path}.now must be a function () => ms`, `${path}.now`, options.now);
  if (options.onRebuildFinished !== undefined && typeof options.onRebuildFinished !== 'function')
    throw invalidOption(
      `${path}.onRebuildFinished must be a function (event) => void`,
      `${path}.onRebuildFinished`,
      options.onRebuildFinished,
    );
  return {
    clock,
    periods,
    shortest: periods.size === 0 ? Infinity : Math.min(...periods.values()),
    getFollowingIds: options.getFollowingIds,
    rebuildTimeoutMs: positiveInteger(
      `${path}.rebuildTimeoutMs`,
      options.rebuildTimeoutMs,
      DEFAULT_REBUILD_TIMEOUT_MS,
    ),
    rebuildConcurrency: positiveInteger(
      `${path}.rebuildConcurrency`,
      options.rebuildConcurrency,
      DEFAULT_REBUILD_CONCURRENCY,
    ),
    rebuildActivityLimit: optional('rebuildActivityLimit', options.rebuildActivityLimit),
    now: options.now ?? Date.now,
    onRebuildFinished: options.onRebuildFinished,
  };
}

/** Followers a planning clock read asks for at once (bounds one call's size on every backend). */
export const CLOCK_LOOKUP_CHUNK = 10_000;

/** Feeds that write to the same followers, and those followers by priority. */
export interface FanoutAudience {
  feeds: string[];
  followers: FollowersByPriority;
}

/**
 * The audiences of an add fanout: every feed writes to all followers, unless it skips inactive
 * users; then to those touched within its period, or never touched. Feeds sharing a period
 * share an audience. The clock is read once per plan (in lookups of `CLOCK_LOOKUP_CHUNK`), not
 * once per fanout task: a task then writes its chunk in one round trip, as without skipping,
 * and fewer tasks are enqueued. This is as safe as a read at task time: the author's own feed
 * is written before the plan, so a user skipped here who comes back gets the activity from the
 * rebuild, which reads that feed after the touch; a user who came back before the plan is
 * written. The skipped counts go to `metrics.onFanoutSkipped`, per feed.
 */
export async function activeAudiences(
  inactive: ResolvedInactiveFollowers | undefined,
  metrics: Metrics,
  feeds: readonly string[],
  followers: FollowersByPriority,
): Promise<FanoutAudience[]> {
  const byPeriod = new Map<number | undefined, string[]>();
  for (const feed of feeds) {
    const period = inactive?.periods.get(feed);
    const group = byPeriod.get(period);
    if (group) group.push(feed);
    else byPeriod.set(period, [feed]);
  }
  if (inactive === undefined || (byPeriod.size === 1 && byPeriod.has(undefined)))
    return [{ feeds: [...feeds], followers }];
  const ids = [...new Set(followers.flatMap(([, userIds]) => userIds.map(String)))];
  const times = new Map<string, number>();
  for (let i = 0; i < ids.length; i += CLOCK_LOOKUP_CHUNK) {
    const found = await inactive.clock.lastActive(ids.slice(i, i + CLOCK_LOOKUP_CHUNK));
    for (const [id, time] of found) times.set(id, time);
  }
  const now = inactive.now();
  const audiences: FanoutAudience[] = [];
  for (const [period, group] of byPeriod) {
    if (period === undefined) {
      audiences.push({ feeds: group, followers });
      continue;
    }
    let skipped = 0;
    const active: FollowersByPriority = followers.map(([priority, userIds]) => {
      const kept = userIds.filter((userId) => {
        const time = times.get(String(userId));
        return time === undefined || now - time <= period;
      });
      skipped += userIds.length - kept.length;
      return [priority, kept];
    });
    if (skipped > 0) for (const feed of group) metrics.onFanoutSkipped?.(feed, skipped);
    audiences.push({ feeds: group, followers: active });
  }
  return audiences;
}

/** What `Manager.touchUser` and `Manager.feedStatus` answer. */
export interface FeedStatus {
  /** `rebuilding`: the user's feeds are being rebuilt (reads may be incomplete until `ready`). */
  status: 'ready' | 'rebuilding';
  /** The feeds being rebuilt when `rebuilding`, if this call started the rebuild. */
  feeds?: string[];
}

/** The feeds a user away since `previous` gets rebuilt (those skipping users inactive that long). */
export function staleFeeds(
  inactive: ResolvedInactiveFollowers,
  previous: number | undefined,
  now: number,
): string[] {
  if (previous === undefined) return [];
  const away = now - previous;
  if (away <= inactive.shortest) return [];
  return [...inactive.periods].filter(([, period]) => away > period).map(([name]) => name);
}
