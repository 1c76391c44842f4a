import { Activity, Follow, Love, defineVerb } from '@sf/activity';
import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import type { Metrics, StorageBackend } from '@sf/feeds';
import type { Pin as PinRecord } from './store.js';

/** The app's own verb (Follow and Love are built into @sf/activity). */
export const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
export { Follow, Love };

export interface FeedStorages {
  /** Flat, aggregated and user feeds (Cassandra in Cassandra mode). */
  feeds: StorageBackend;
  /**
   * Notification feeds: a backend with markers and count events (memory, Redis over pub/sub,
   * PostgreSQL over LISTEN/NOTIFY).
   */
  notifications: StorageBackend;
  metrics?: Metrics;
}

/** Pins kept in a home feed. */
export const HOME_MAX_LENGTH = 200;

/**
 * The feeds of the app, as Stream Framework's Pinterest example defines them:
 * - `normal`: the home feed, pins by people you follow, newest first;
 * - `aggregated`: the same pins grouped by verb and day (RecentVerbAggregator, the default);
 * - `notification`: follows and loves, grouped by verb, object and day, with unseen/unread;
 * - `user`: a person's own pins (what followers get copied on follow).
 */
export function definePinterestFeeds({ feeds, notifications, metrics }: FeedStorages) {
  return {
    normal: Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      maxLength: HOME_MAX_LENGTH,
      storage: feeds,
      metrics,
    }),
    aggregated: AggregatedFeed.define({
      name: 'aggregated',
      keyFormat: 'feed:aggregated:{userId}',
      maxLength: 100,
      storage: feeds,
      metrics,
    }),
    notification: NotificationFeed.define({
      name: 'notification',
      keyFormat: 'notification_feed:{userId}',
      maxLength: 100,
      storage: notifications,
      metrics,
    }),
    user: Feed.defineUserFeed({
      name: 'user',
      keyFormat: 'feed:user:{userId}',
      storage: feeds,
      metrics,
    }),
  };
}

export type PinterestFeeds = ReturnType<typeof definePinterestFeeds>;

/** The foreign id of a pin's activity: `pin:<id>`. */
export function pinForeignId(pinId: number): string {
  return `pin:${pinId}`;
}

/**
 * The activity of a pin: `<user> pinned <pin> to <board>`, with the foreign id `pin:<id>`; its
 * id derives from the pin's time and foreign id, and deleting the pin removes it by foreign id.
 */
export function pinActivity(pin: PinRecord): Activity {
  return new Activity({
    actor: pin.userId,
    verb: Pin,
    object: pin.id,
    target: pin.boardId,
    time: pin.createdAt,
    extraContext: { title: pin.title },
    foreignId: pinForeignId(pin.id),
  });
}

/** A pin's activity as written before pins had foreign ids (data from earlier versions). */
export function legacyPinActivity(pin: PinRecord): Activity {
  return new Activity({
    actor: pin.userId,
    verb: Pin,
    object: pin.id,
    target: pin.boardId,
    time: pin.createdAt,
    extraContext: { title: pin.title },
  });
}

/** `<follower> started following <target>`: goes to the target's notifications. */
export function followActivity(followerId: number, targetId: number, time: number): Activity {
  return new Activity({ actor: followerId, verb: Follow, object: targetId, time });
}

/** `<user> loved <pin>`: goes to the pin owner's notifications. */
export function loveActivity(userId: number, pin: PinRecord, time: number): Activity {
  return new Activity({ actor: userId, verb: Love, object: pin.id, target: pin.boardId, time });
}
