/** A running timer; `stop` records the elapsed time. */
export interface Timer {
  stop(): void;
}

/**
 * What the library reports about its work. Feed names are the feed definitions' names (e.g.
 * `normal`, `aggregated`). Implementations must not throw.
 */
export interface Metrics {
  onFeedRead(feed: string, count: number): void;
  onFeedWrite(feed: string, count: number): void;
  onFeedRemove(feed: string, count: number): void;
  /** `count` = activities × feeds of one fanout task. */
  onFanout(feed: string, operation: 'add' | 'remove' | 'update', count: number): void;
  onActivityPublished(): void;
  onActivityRemoved(): void;
  /** An activity was updated in place (`Manager.updateActivity`). Optional, as onActivityCache. */
  onActivityUpdated?(): void;
  /** Timeline entries whose activity was not in the activity storage (skipped on read). */
  onMissingActivities(feed: string, count: number): void;
  fanoutTimer(feed: string): Timer;
  feedReadTimer(feed: string): Timer;
  /**
   * An in-process activity cache of a backend (e.g. `@sf/storage-redis`' `activityCache`):
   * `hit` / `miss` = activities served from it / read from storage, `eviction` = activities
   * dropped for its size bound, `invalidation` = change notices received, `flush` = times it
   * was dropped whole. Optional: metrics written before it existed stay valid.
   */
  onActivityCache?(event: ActivityCacheEvent, count: number): void;
  /**
   * Feeds an add fanout left out because their owners were inactive (`inactiveFollowers` of
   * `@sf/manager`; counted where the fanout is planned, once per feed): the writes avoided are
   * `count` × the fanout's activities. Optional.
   */
  onFanoutSkipped?(feed: string, count: number): void;
  /** A feed rebuilt for a returning user, with the activities written into it. Optional. */
  onFeedRebuilt?(feed: string, activities: number): void;
}

/** What `Metrics.onActivityCache` counts. */
export type ActivityCacheEvent = 'hit' | 'miss' | 'eviction' | 'invalidation' | 'flush';

const stoppedTimer: Timer = { stop() {} };

/** The default: reports nothing. */
export class NoopMetrics implements Metrics {
  onFeedRead(): void {}
  onFeedWrite(): void {}
  onFeedRemove(): void {}
  onFanout(): void {}
  onActivityPublished(): void {}
  onActivityRemoved(): void {}
  onMissingActivities(): void {}
  fanoutTimer(): Timer {
    return stoppedTimer;
  }
  feedReadTimer(): Timer {
    return stoppedTimer;
  }
  onActivityCache(_event: ActivityCacheEvent, _count: number): void {}
  onFanoutSkipped(_feed: string, _count: number): void {}
  onFeedRebuilt(_feed: string, _activities: number): void {}
}

export const noopMetrics: Metrics = new NoopMetrics();
