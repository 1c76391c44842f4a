import { InvalidArgumentError } from '@sf/activity';
import type { Activity, AggregatedActivity } from '@sf/activity';
import { BaseAggregator, activityDay, rankByUpdatedAt } from './base-aggregator.js';
import type { AggregatorOptions } from './base-aggregator.js';

/** Groups by verb and day (`3-2013-07-08`): "Thierry and 3 others loved 4 pins today". */
export class RecentVerbAggregator<
  A extends AggregatedActivity = AggregatedActivity,
> extends BaseAggregator<A> {
  getGroup(activity: Activity): string {
    return `${activity.verb.id}-${activityDay(activity)}`;
  }

  rank(aggregated: readonly A[]): A[] {
    return rankByUpdatedAt(aggregated);
  }
}

/** Groups by verb, object and day (`3-42-2013-07-08`): "4 people loved your pin today". */
export class NotificationAggregator<
  A extends AggregatedActivity = AggregatedActivity,
> extends BaseAggregator<A> {
  getGroup(activity: Activity): string {
    return `${activity.verb.id}-${activity.objectId}-${activityDay(activity)}`;
  }

  rank(aggregated: readonly A[]): A[] {
    return rankByUpdatedAt(aggregated);
  }
}

export interface CustomAggregatorOptions<
  A extends AggregatedActivity,
> extends AggregatorOptions<A> {
  getGroup: (activity: Activity) => string;
  /** Defaults to the most recently updated first. */
  rank?: (aggregated: readonly A[]) => A[];
}

/** An aggregator from functions, for when a subclass is more than the job needs. */
export function createAggregator<A extends AggregatedActivity = AggregatedActivity>(
  options: CustomAggregatorOptions<A>,
): BaseAggregator<A> {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(
      `createAggregator takes options { getGroup }, got ${String(options)}`,
      { path: 'options', value: options },
    );
  }
  const { getGroup, rank = rankByUpdatedAt, ...rest } = options;
  for (const [name, value] of [
    ['getGroup', getGroup],
    ['rank', rank],
  ] as const) {
    if (typeof value !== 'function') {
      throw new InvalidArgumentError(
        `createAggregator needs a ${name} function, got ${String(value)}`,
        {
          path: `options.${name}`,
          value,
        },
      );
    }
  }
  return new (class extends BaseAggregator<A> {
    getGroup(activity: Activity): string {
      return getGroup(activity);
    }

    rank(aggregated: readonly A[]): A[] {
      return rank(aggregated);
    }
  })(rest);
}
