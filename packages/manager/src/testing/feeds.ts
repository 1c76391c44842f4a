import { AggregatedFeed, Feed, NotificationFeed } from '@sf/feeds';
import type { StorageBackend } from '@sf/feeds';

export interface ScenarioFeedsOptions {
  /** The aggregated feed's maxLength (default: AggregatedFeed's own). */
  aggregatedMaxLength?: number;
}

/**
 * The feeds the Manager's scenarios, unit tests and test apps run on, defined once: a flat
 * `normal` feed (maxLength 50), an `aggregated` and a `notification` feed, and the `user` feed,
 * under `feed:<name>:{userId}` keys. Take the ones a test needs
 * (`const { user: userFeed, ...feeds } = defineScenarioFeeds(storage)`): a feed left out of the
 * Manager's `feeds` gets no fanout. No vitest here: the test apps also run in plain node.
 */
export function defineScenarioFeeds(storage: StorageBackend, options: ScenarioFeedsOptions = {}) {
  return {
    normal: Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      storage,
      maxLength: 50,
    }),
    aggregated: AggregatedFeed.define({
      name: 'aggregated',
      keyFormat: 'feed:aggregated:{userId}',
      storage,
      ...(options.aggregatedMaxLength === undefined
        ? {}
        : { maxLength: options.aggregatedMaxLength }),
    }),
    notification: NotificationFeed.define({
      name: 'notification',
      keyFormat: 'feed:notification:{userId}',
      storage,
    }),
    user: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
  };
}
