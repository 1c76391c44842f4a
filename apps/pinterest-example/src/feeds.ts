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
  /**
   * Love counts of pins, from the app's store (one query for many pins): the "popular" ranking
   * of the home feed scores with it. Without it, pins score by recency alone.
   */
  loveCounts?: (pinIds: readonly number[]) => Promise<Map<number, number>>;
}

/** The recency half-life of the "popular" tab: a pin's score halves every 24 hours. */
export const POPULAR_HALF_LIFE_HOURS = 24;

/**
 * The score of the "popular" tab: recency decay times (1 + loves), as its base-2 logarithm
 * (`log2(1 + loves) - ageHours / 24`, which ranks the same and does not underflow).
 */
export function popularScore(loves: number, pinTime: number, now: number): number {
  const ageHours = Math.max(0, now - pinTime) / 3_600_000;
  return Math.log2(1 + Math.max(0, loves)) - ageHours / POPULAR_HALF_LIFE_HOURS;
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
export function definePinterestFeeds({ feeds, notifications, metrics, loveCounts }: FeedStorages) {
  return {
    normal: Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      maxLength: HOME_MAX_LENGTH,
      storage: feeds,
      metrics,
      // "Only pins to this board" on the home page, and the per-board counts beside it: kept as
      // indexes at write time (memory, Redis, PostgreSQL); Cassandra scans the feed.
      index: { verb: true, field: 'board' },
      rankings: {
        // The "popular" tab: every pin of the home feed is a candidate; the love counts come
        // from the app's store in one batch per page (they change after the pin is fanned out).
        popular: {
          candidates: HOME_MAX_LENGTH,
          scoreMany: async (activities, { now }) => {
            const counts = loveCounts
              ? await loveCounts([...new Set(activities.map((a) => Number(a.objectId)))])
              : new Map<number, number>();
            return activities.map((a) =>
              popularScore(counts.get(Number(a.objectId)) ?? 0, a.time.getTime(), now),
            );
          },
        },
      },
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
 * `extraContext.board` (the board id again) is what the home feed indexes for its filter.
 */
export function pinActivity(pin: PinRecord): Activity {
  return new Activity({
    actor: pin.userId,
    verb: Pin,
    object: pin.id,
    target: pin.boardId,
    time: pin.createdAt,
    extraContext: { title: pin.title, board: pin.boardId },
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
    extraContext: { title: pin.title, board: pin.boardId },
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
