/**
 * Rebuilding the feeds of a returning inactive user: the follow copy for all followees at once.
 * The newest entries of every followee's user feed are read as ids (bounded concurrency, one
 * range read per followee), merged newest first and cut to the limit, hydrated once, and added
 * to each stale feed through its ordinary add path (flat: one write with the trim; aggregated
 * and notification: one atomic merge each). A rebuild only adds: an activity a fanout writes
 * while it runs is de-duplicated by id (flat) or within its group (aggregated, notification),
 * so it appears once; nothing a fanout wrote is ever deleted by it.
 */
import { compareSerializationIds } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { FeedDefinition, validateUserId } from '@sf/feeds';
import type { FlatTimelineItem, Metrics } from '@sf/feeds';
import { forEachLimited } from '@sf/feeds/backend';
import type { FanoutFeedDefinition } from './feed-registry.js';
import type { RebuildTask } from './fanout-queue.js';
import type { ResolvedInactiveFollowers } from './inactive-followers.js';

export interface RebuildContext {
  inactive: ResolvedInactiveFollowers;
  userFeed: FeedDefinition;
  feed(name: string): FanoutFeedDefinition;
  followActivityLimit: number;
  metrics: Metrics;
}

/** The newest `limit` entries of many timelines together, newest first, de-duplicated by id. */
export function mergeNewest(
  lists: ReadonlyArray<readonly FlatTimelineItem[]>,
  limit: number,
): FlatTimelineItem[] {
  const byId = new Map<string, FlatTimelineItem>();
  for (const items of lists)
    for (const item of items)
      if (!byId.has(item.serializationId)) byId.set(item.serializationId, item);
  return [...byId.values()]
    .sort((a, b) => compareSerializationIds(b.serializationId, a.serializationId))
    .slice(0, limit);
}

/** Runs a rebuild task (see the module comment); finishes the rebuild state when done. */
export async function rebuildFeeds(context: RebuildContext, task: RebuildTask): Promise<void> {
  const { inactive, userFeed, metrics } = context;
  const userId = validateUserId(task.userId);
  const definitions = task.feeds.map((name) => context.feed(name));
  let copied = 0;
  if (definitions.length > 0) {
    const limit =
      inactive.rebuildActivityLimit ??
      Math.min(
        context.followActivityLimit,
        Math.max(...definitions.map((definition) => definition.maxLength)),
      );
    const followees = [
      ...new Set((await inactive.getFollowingIds(userId)).map((id) => validateUserId(id))),
    ];
    const lists: FlatTimelineItem[][] = new Array<FlatTimelineItem[]>(followees.length);
    await forEachLimited(followees, inactive.rebuildConcurrency, async (followee, index) => {
      lists[index] = await userFeed.getEntries(userFeed.keyFor(followee), {
        offset: 0,
        limit,
      });
    });
    const newest = mergeNewest(lists, limit);
    const activities: Activity[] =
      newest.length === 0 ? [] : await userFeed.hydrate(`rebuild of ${String(userId)}`, newest);
    copied = activities.length;
    if (activities.length > 0) {
      for (const definition of definitions) {
        if (definition instanceof FeedDefinition) {
          const own = activities.slice(0, definition.maxLength);
          await definition.for(userId).addMany(own);
          metrics.onFeedRebuilt?.(definition.name, own.length);
        } else {
          await definition.for(userId).addMany(activities);
          metrics.onFeedRebuilt?.(definition.name, activities.length);
        }
      }
    }
  }
  // Finishing publishes the end to every process the backend reaches (clock.subscribe).
  await inactive.clock.finishRebuild(String(userId), task.startedAt);
  if (inactive.onRebuildFinished) {
    try {
      await inactive.onRebuildFinished({
        userId,
        feeds: [...task.feeds],
        activities: copied,
        startedAt: task.startedAt,
      });
    } catch (error) {
      process.emitWarning(
        `inactiveFollowers.onRebuildFinished threw for user ${String(userId)}: ${
          error instanceof Error ? error.message : String(error)
        }`,
      );
    }
  }
}
