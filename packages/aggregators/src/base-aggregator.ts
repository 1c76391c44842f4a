import {
  AggregatedActivity,
  DuplicateActivityError,
  InvalidActivityError,
  InvalidArgumentError,
  sortActivities,
} from '@sf/activity';
import type { Activity, AggregatedActivityInit } from '@sf/activity';

/** A class of aggregated activities (AggregatedActivity, NotificationActivity or a subclass). */
export type AggregatedActivityClass<A extends AggregatedActivity = AggregatedActivity> = new (
  init: AggregatedActivityInit,
) => A;

export interface AggregatorOptions<A extends AggregatedActivity> {
  /** The class of the aggregated activities built (default AggregatedActivity). */
  aggregatedActivityClass?: AggregatedActivityClass<A>;
  /** How many activities an aggregated activity keeps (default 15). */
  maxAggregatedActivities?: number;
}

/** What merging new activities into existing aggregated activities changes. */
export interface MergeResult<A extends AggregatedActivity> {
  /** Aggregated activities for groups that did not exist yet. */
  new: A[];
  /** Pairs of (current version, updated version) for groups that received activities. */
  changed: Array<[from: A, to: A]>;
  /** Always empty on add; kept for parity with Stream Framework's merge signature. */
  deleted: A[];
}

/**
 * Groups activities into aggregated activities. Subclasses (or `createAggregator`) decide the
 * group of an activity and the order of the aggregated activities.
 */
export abstract class BaseAggregator<A extends AggregatedActivity = AggregatedActivity> {
  readonly aggregatedActivityClass: AggregatedActivityClass<A>;
  readonly maxAggregatedActivities: number | undefined;

  /** @throws InvalidArgumentError naming the option, when it is made (not at the first aggregation) */
  constructor(options: AggregatorOptions<A> = {}) {
    const { aggregatedActivityClass, maxAggregatedActivities } = options;
    if (aggregatedActivityClass !== undefined && typeof aggregatedActivityClass !== 'function') {
      throw new InvalidArgumentError(
        `aggregatedActivityClass must be a class of aggregated activities, got ${String(aggregatedActivityClass)}`,
        { path: 'options.aggregatedActivityClass', value: aggregatedActivityClass },
      );
    }
    if (
      maxAggregatedActivities !== undefined &&
      (!Number.isSafeInteger(maxAggregatedActivities) || maxAggregatedActivities < 1)
    ) {
      throw new InvalidArgumentError(
        `maxAggregatedActivities must be a positive integer, got ${String(maxAggregatedActivities)}`,
        {
          path: 'options.maxAggregatedActivities',
          value: maxAggregatedActivities,
        },
      );
    }
    this.aggregatedActivityClass =
      options.aggregatedActivityClass ??
      (AggregatedActivity as unknown as AggregatedActivityClass<A>);
    this.maxAggregatedActivities = options.maxAggregatedActivities;
  }

  /** The key activities are grouped by. Must not contain `;;` (reserved by the wire format). */
  abstract getGroup(activity: Activity): string;

  /** Orders aggregated activities as a feed shows them; returns a new array. */
  abstract rank(aggregated: readonly A[]): A[];

  protected createAggregated(group: string): A {
    return new this.aggregatedActivityClass({ group, maxActivities: this.maxAggregatedActivities });
  }

  /**
   * Builds one aggregated activity per group, appending activities oldest first.
   * @throws DuplicateActivityError when the same activity is given twice
   */
  groupActivities(activities: readonly Activity[]): Map<string, A> {
    const groups = new Map<string, A>();
    for (const activity of sortActivities(activities)) {
      const group = this.getGroup(activity);
      if (typeof group !== 'string' || group.length === 0) {
        throw new InvalidActivityError(
          `aggregator returned an invalid group ${JSON.stringify(group)} for ${activity.toString()}`,
          {
            field: 'group',
            value: group,
          },
        );
      }
      let aggregated = groups.get(group);
      if (!aggregated) {
        aggregated = this.createAggregated(group);
        groups.set(group, aggregated);
      }
      aggregated.append(activity);
    }
    return groups;
  }

  /**
   * A copy to append to, with this aggregator's activity limit (aggregated activities read back
   * from storage carry the default limit, not the aggregator's).
   */
  protected copyForMerge(existing: A): A {
    const limit = this.maxAggregatedActivities;
    if (limit === undefined || existing.maxActivities === limit || existing.isDehydrated)
      return existing.clone();
    return new this.aggregatedActivityClass({
      group: existing.group,
      activities: existing.activities,
      createdAt: existing.createdAt,
      updatedAt: existing.updatedAt,
      seenAt: existing.seenAt,
      readAt: existing.readAt,
      minimizedActivities: existing.minimizedActivities,
      maxActivities: limit,
    });
  }

  /** Groups then ranks. */
  aggregate(activities: readonly Activity[]): A[] {
    return this.rank([...this.groupActivities(activities).values()]);
  }

  /**
   * Merges new activities into the current aggregated activities, as Stream Framework does:
   * groups not present become `new`; present groups are copied, the activities appended
   * (duplicates ignored) and reported in `changed` when their activities differ. The inputs
   * are never modified.
   */
  merge(current: readonly A[], activities: readonly Activity[]): MergeResult<A> {
    const byGroup = new Map<string, A>();
    for (const aggregated of current) byGroup.set(aggregated.group, aggregated);
    const result: MergeResult<A> = { new: [], changed: [], deleted: [] };
    for (const incoming of this.aggregate(activities)) {
      const existing = byGroup.get(incoming.group);
      if (!existing) {
        result.new.push(incoming);
        continue;
      }
      const updated = this.copyForMerge(existing);
      for (const activity of incoming.activities) {
        try {
          updated.append(activity);
        } catch (error) {
          if (!(error instanceof DuplicateActivityError)) throw error;
        }
      }
      const before = existing.activityIds;
      const after = updated.activityIds;
      if (before.length !== after.length || before.some((id, i) => id !== after[i])) {
        result.changed.push([existing, updated]);
      }
    }
    return result;
  }
}

/** Ranks the most recently updated aggregated activities first. */
export function rankByUpdatedAt<A extends AggregatedActivity>(aggregated: readonly A[]): A[] {
  return [...aggregated].sort(
    (a, b) => (b.updatedAt?.getTime() ?? 0) - (a.updatedAt?.getTime() ?? 0),
  );
}

/** The UTC day of an activity, as Python's `time.date()` prints it (`2013-07-08`). */
export function activityDay(activity: Activity): string {
  return activity.time.toISOString().slice(0, 10);
}
