/**
 * What follow and unfollow tasks do: copy the followed users' latest activities into every feed
 * of the follower, or take the unfollowed users' activities out of them.
 */
import { Activity } from '@sf/activity';
import type { ActivityOrId, AggregatedActivity, DehydratedActivity } from '@sf/activity';
import type { FeedDefinition, UserId } from '@sf/feeds';
import type { FanoutFeedDefinition } from './feed-registry.js';

/** Copies up to `limit` of each target's activities (from their user feed) into every feed. */
export async function copyFollowedActivities(
  userFeed: FeedDefinition,
  feeds: Iterable<FanoutFeedDefinition>,
  userId: UserId,
  targetIds: readonly UserId[],
  limit: number,
): Promise<void> {
  const activities: Activity[] = [];
  for (const targetId of targetIds)
    activities.push(...(await userFeed.for(targetId).get({ limit })));
  if (activities.length === 0) return;
  for (const definition of feeds) await definition.for(userId).addMany(activities);
}

/** Removes every activity of the targets from every feed of the user. */
export async function removeUnfollowedActivities(
  feeds: Iterable<FanoutFeedDefinition>,
  userId: UserId,
  targetIds: readonly UserId[],
): Promise<void> {
  const targets = new Set(targetIds.map(String));
  if (targets.size === 0) return;
  for (const definition of feeds) {
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
