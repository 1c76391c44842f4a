import { Activity, Follow, Love, defineVerb } from '@sf/activity';
import type { Verb } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';

export const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });

/** The feeds of a small Pinterest: a home feed, an aggregated home feed, notifications, user feeds. */
export function definePinterestFeeds(storage: StorageBackend) {
  return {
    normal: Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', maxLength: 100, storage }),
    aggregated: AggregatedFeed.define({ name: 'aggregated', keyFormat: 'feed:aggregated:{userId}', storage }),
    notification: NotificationFeed.define({ name: 'notification', keyFormat: 'notification_feed:{userId}', storage }),
    user: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
  };
}

export type PinterestFeeds = ReturnType<typeof definePinterestFeeds>;

/**
 * A tiny in-process social graph with fan-out on write: an author's activity goes to their user
 * feed and to the normal and aggregated feeds of every follower.
 */
export class Pinterest {
  readonly followers = new Map<number, Set<number>>();
  readonly names = new Map<number, string>();
  readonly feeds: PinterestFeeds;

  constructor(storage: StorageBackend) {
    this.feeds = definePinterestFeeds(storage);
  }

  addUser(id: number, name: string): void {
    this.names.set(id, name);
  }

  async publish(activity: Activity): Promise<void> {
    const { normal, aggregated, user } = this.feeds;
    await user.insertActivity(activity);
    await user.for(activity.actorId).add(activity);
    const followers = [...(this.followers.get(activity.actorId) ?? [])];
    await normal.addToMany(followers, [activity]);
    await aggregated.addToMany(followers, [activity]);
  }

  async follow(userId: number, targetId: number, time: number): Promise<void> {
    const set = this.followers.get(targetId) ?? new Set<number>();
    set.add(userId);
    this.followers.set(targetId, set);
    // Copy the target's recent activities into the follower's feeds, as Stream Framework's follow_user does.
    const recent = await this.feeds.user.for(targetId).get({ limit: 5000 });
    if (recent.length > 0) {
      await this.feeds.normal.for(userId).addMany(recent);
      await this.feeds.aggregated.for(userId).addMany(recent);
    }
    await this.feeds.notification.for(targetId).add(new Activity({ actor: userId, verb: Follow, object: targetId, time }));
  }

  async pin(userId: number, pinId: number, boardId: number, time: number, title: string): Promise<Activity> {
    const activity = new Activity({ actor: userId, verb: Pin, object: pinId, target: boardId, time, extraContext: { title } });
    await this.publish(activity);
    return activity;
  }

  async love(userId: number, pin: Activity, time: number): Promise<void> {
    const love = new Activity({ actor: userId, verb: Love, object: pin.objectId, time });
    await this.feeds.notification.for(pin.actorId).add(love);
  }

  describe(verb: Verb, actorIds: number[], count: number): string {
    const names = actorIds.map((id) => this.names.get(id) ?? `user ${id}`);
    const who = names.length > 1 ? `${names[0]} and ${names.length - 1} other${names.length > 2 ? 's' : ''}` : names[0];
    return `${who} ${verb.pastTense} ${count} item${count === 1 ? '' : 's'}`;
  }
}
