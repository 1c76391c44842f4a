import { Activity, Follow, Love, defineVerb } from '@sf/activity';
import type { Verb } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';
import { FanoutPriority, Manager } from '@sf/manager';

export const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });

/** The feeds of a small Pinterest: a home feed, an aggregated home feed, notifications, user feeds. */
export function definePinterestFeeds(storage: StorageBackend) {
  return {
    normal: Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      maxLength: 100,
      storage,
    }),
    aggregated: AggregatedFeed.define({
      name: 'aggregated',
      keyFormat: 'feed:aggregated:{userId}',
      storage,
    }),
    notification: NotificationFeed.define({
      name: 'notification',
      keyFormat: 'notification_feed:{userId}',
      storage,
    }),
    user: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
  };
}

export type PinterestFeeds = ReturnType<typeof definePinterestFeeds>;

/**
 * A tiny social graph over the Manager: an author's pin goes to their user feed and, through
 * in-process fanout tasks, to the normal and aggregated feeds of every follower.
 */
export class Pinterest {
  readonly followers = new Map<number, Set<number>>();
  readonly names = new Map<number, string>();
  readonly feeds: PinterestFeeds;
  readonly manager: Manager;

  constructor(storage: StorageBackend) {
    this.feeds = definePinterestFeeds(storage);
    this.manager = new Manager({
      feeds: { normal: this.feeds.normal, aggregated: this.feeds.aggregated },
      userFeed: this.feeds.user,
      getFollowerIds: async (userId) => ({
        [FanoutPriority.HIGH]: [...(this.followers.get(Number(userId)) ?? [])],
      }),
    });
  }

  addUser(id: number, name: string): void {
    this.names.set(id, name);
  }

  async follow(userId: number, targetId: number, time: number): Promise<void> {
    const set = this.followers.get(targetId) ?? new Set<number>();
    set.add(userId);
    this.followers.set(targetId, set);
    await this.manager.followUser(userId, targetId);
    await this.feeds.notification
      .for(targetId)
      .add(new Activity({ actor: userId, verb: Follow, object: targetId, time }));
  }

  async pin(
    userId: number,
    pinId: number,
    boardId: number,
    time: number,
    title: string,
  ): Promise<Activity> {
    const activity = new Activity({
      actor: userId,
      verb: Pin,
      object: pinId,
      target: boardId,
      time,
      extraContext: { title },
    });
    await this.manager.addUserActivity(userId, activity);
    return activity;
  }

  async love(userId: number, pin: Activity, time: number): Promise<void> {
    const love = new Activity({ actor: userId, verb: Love, object: pin.objectId, time });
    await this.feeds.notification.for(pin.actorId).add(love);
  }

  describe(verb: Verb, actorIds: number[], count: number): string {
    const names = actorIds.map((id) => this.names.get(id) ?? `user ${id}`);
    const others = names.length - 1;
    const who = others > 0 ? `${names[0]} and ${others} other${others > 1 ? 's' : ''}` : names[0];
    if (verb.id === Follow.id) return `${who} followed you`;
    if (verb.id === Love.id) return `${who} loved your pin`;
    return `${who} ${verb.pastTense} ${count} item${count === 1 ? '' : 's'}`;
  }
}
