import { Activity, type RefId } from './activity.js';
import {
  ActivityNotFoundError,
  DuplicateActivityError,
  EmptyAggregationError,
  InvalidActivityError,
  SfError,
} from './errors.js';
import { comparePreciseDates, copyPreciseDate } from './precise-date.js';
import { toSerializationId } from './serialization-id.js';
import type { Verb } from './verb.js';

/** How many activities an aggregated activity keeps; older ones are counted in `minimizedActivities`. */
export const MAX_AGGREGATED_ACTIVITIES_LENGTH = 15;

export interface AggregatedActivityInit {
  group: string;
  /** Hydrated activities, oldest first (as aggregators append them). */
  activities?: readonly Activity[] | undefined;
  /** Ids of the activities of a dehydrated aggregated activity (mutually exclusive with `activities`). */
  activityIds?: readonly string[] | undefined;
  createdAt?: Date | null | undefined;
  updatedAt?: Date | null | undefined;
  seenAt?: Date | null | undefined;
  readAt?: Date | null | undefined;
  minimizedActivities?: number | undefined;
  /** Defaults to MAX_AGGREGATED_ACTIVITIES_LENGTH (15). */
  maxActivities?: number | undefined;
}

function validDate(field: string, value: Date | null | undefined): Date | null {
  if (value === undefined || value === null) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new InvalidActivityError(
      `aggregated activity ${field} must be a valid Date or null, got ${String(value)}`,
      { field, value },
    );
  }
  return copyPreciseDate(value);
}

function uniqueBy<T, K>(items: readonly T[], key: (item: T) => K): K[] {
  const seen = new Set<K>();
  for (const item of items) seen.add(key(item));
  return [...seen];
}

/** An activity or its serialization id. */
export type ActivityOrId = Activity | string | bigint;

function idOf(activity: ActivityOrId): string {
  return activity instanceof Activity ? activity.serializationId : toSerializationId(activity);
}

/**
 * Several activities grouped under one key by an aggregator ("Thierry and 3 others loved 4 pins
 * today"). Activities are kept oldest first; beyond `maxActivities` the oldest are dropped and
 * counted in `minimizedActivities`.
 *
 * A dehydrated aggregated activity (read from a timeline that stores ids only) knows its
 * activity ids but not the activities; `hydrate` gives a copy with them.
 */
export class AggregatedActivity {
  readonly group: string;
  readonly maxActivities: number;
  createdAt: Date | null;
  updatedAt: Date | null;
  seenAt: Date | null;
  readAt: Date | null;
  minimizedActivities: number;
  #activities: Activity[];
  #activityIds: string[] | null;

  constructor(init: AggregatedActivityInit) {
    if (typeof init !== 'object' || init === null) {
      throw new InvalidActivityError(`AggregatedActivity needs { group }, got ${String(init)}`);
    }
    if (typeof init.group !== 'string' || init.group.length === 0) {
      throw new InvalidActivityError(
        `aggregated activity group must be a non-empty string, got ${JSON.stringify(init.group)}`,
        { field: 'group', value: init.group },
      );
    }
    const minimized = init.minimizedActivities ?? 0;
    if (!Number.isSafeInteger(minimized) || minimized < 0) {
      throw new InvalidActivityError(
        `minimizedActivities must be a non-negative integer, got ${String(init.minimizedActivities)}`,
        { field: 'minimizedActivities', value: init.minimizedActivities },
      );
    }
    const maxActivities = init.maxActivities ?? MAX_AGGREGATED_ACTIVITIES_LENGTH;
    if (!Number.isSafeInteger(maxActivities) || maxActivities < 1) {
      throw new InvalidActivityError(
        `maxActivities must be a positive integer, got ${String(init.maxActivities)}`,
        { field: 'maxActivities', value: init.maxActivities },
      );
    }
    if (init.activities !== undefined && init.activityIds !== undefined) {
      throw new InvalidActivityError(
        'pass either activities or activityIds to an AggregatedActivity, not both',
      );
    }
    this.group = init.group;
    this.maxActivities = maxActivities;
    this.createdAt = validDate('createdAt', init.createdAt);
    this.updatedAt = validDate('updatedAt', init.updatedAt);
    this.seenAt = validDate('seenAt', init.seenAt);
    this.readAt = validDate('readAt', init.readAt);
    this.minimizedActivities = minimized;
    this.#activities = [];
    this.#activityIds = init.activityIds
      ? init.activityIds.map((id) => toSerializationId(id))
      : null;
    for (const activity of init.activities ?? []) {
      if (!(activity instanceof Activity)) {
        throw new InvalidActivityError(
          `aggregated activity ${JSON.stringify(this.group)} can only hold Activity instances, got ${String(activity)}`,
        );
      }
      this.append(activity);
    }
    // Explicit dates win over the ones derived while appending.
    if (init.createdAt) this.createdAt = validDate('createdAt', init.createdAt);
    if (init.updatedAt) this.updatedAt = validDate('updatedAt', init.updatedAt);
  }

  get isDehydrated(): boolean {
    return this.#activityIds !== null;
  }

  /** The activities, oldest first. Empty for a dehydrated aggregated activity. */
  get activities(): readonly Activity[] {
    return this.#activities;
  }

  /** Serialization ids of the activities, oldest first (works dehydrated or not). */
  get activityIds(): string[] {
    return this.#activityIds
      ? [...this.#activityIds]
      : this.#activities.map((a) => a.serializationId);
  }

  /**
   * Id of the aggregated activity: `updatedAt` in whole epoch seconds times 1000, as Stream
   * Framework computes it (so two aggregations updated in the same second share it).
   */
  get serializationId(): string {
    if (!this.updatedAt) {
      throw new InvalidActivityError(
        `aggregated activity ${JSON.stringify(this.group)} has no updatedAt and so no serialization id`,
      );
    }
    return String(Math.floor(this.updatedAt.getTime() / 1000) * 1000);
  }

  #requireHydrated(operation: string): void {
    if (this.#activityIds) {
      throw new SfError(
        'SF_DEHYDRATED',
        `cannot ${operation} a dehydrated aggregated activity (${JSON.stringify(this.group)}); hydrate it first`,
      );
    }
  }

  /**
   * Adds an activity at the end (newest last), updating createdAt/updatedAt.
   * @throws DuplicateActivityError when the activity is already in the aggregation
   */
  append(activity: Activity): void {
    this.#requireHydrated('append to');
    if (!(activity instanceof Activity)) {
      throw new InvalidActivityError(
        `can only append an Activity to aggregated activity ${JSON.stringify(this.group)}, got ${String(activity)}`,
      );
    }
    if (this.contains(activity))
      throw new DuplicateActivityError(activity.serializationId, this.group);
    this.#activities.push(activity);
    const time = activity.time;
    if (this.createdAt === null) this.createdAt = time;
    if (this.updatedAt === null || comparePreciseDates(time, this.updatedAt) > 0)
      this.updatedAt = time;
    if (this.#activities.length > this.maxActivities) {
      this.#activities.shift();
      this.minimizedActivities += 1;
    }
  }

  /**
   * Removes one activity; updatedAt becomes the time of the last remaining activity.
   * @throws ActivityNotFoundError when it is not in the aggregation
   * @throws EmptyAggregationError when it is the only activity left
   */
  remove(activity: ActivityOrId): Activity {
    this.#requireHydrated('remove from');
    const id = idOf(activity);
    const index = this.#activities.findIndex((a) => a.serializationId === id);
    if (index === -1)
      throw new ActivityNotFoundError(id, `aggregated activity ${JSON.stringify(this.group)}`);
    if (this.#activities.length === 1) throw new EmptyAggregationError(this.group);
    const [removed] = this.#activities.splice(index, 1);
    this.updatedAt = this.lastActivity.time;
    if (this.minimizedActivities > 0) this.minimizedActivities -= 1;
    return removed!;
  }

  /** Removes each activity that is present (missing ones are skipped); returns those removed. */
  removeMany(activities: readonly ActivityOrId[]): Activity[] {
    const removed: Activity[] = [];
    for (const activity of activities) {
      if (this.contains(activity)) removed.push(this.remove(activity));
    }
    return removed;
  }

  contains(activity: ActivityOrId): boolean {
    const id = idOf(activity);
    if (this.#activityIds) return this.#activityIds.includes(id);
    return this.#activities.some((a) => a.serializationId === id);
  }

  /** Activities in the aggregation, including the minimized ones. */
  get activityCount(): number {
    return (
      this.minimizedActivities +
      (this.#activityIds ? this.#activityIds.length : this.#activities.length)
    );
  }

  get actorIds(): RefId[] {
    return uniqueBy(this.#activities, (a) => a.actorId);
  }

  /** Distinct actors, counting each minimized activity as another actor (as Stream Framework does). */
  get actorCount(): number {
    return this.minimizedActivities + this.actorIds.length;
  }

  get otherActorCount(): number {
    return this.actorCount - 1;
  }

  get objectIds(): RefId[] {
    return uniqueBy(this.#activities, (a) => a.objectId);
  }

  get verbs(): Verb[] {
    // Unique by id: the same verb may arrive as different objects (the caller's definition and
    // the registry's frozen copy returned by getVerbById).
    const byId = new Map<number, Verb>();
    for (const activity of this.#activities) {
      if (!byId.has(activity.verb.id)) byId.set(activity.verb.id, activity.verb);
    }
    return [...byId.values()];
  }

  /** The verb of the first activity. */
  get verb(): Verb {
    this.#requireHydrated('read the verb of');
    const first = this.#activities[0];
    if (!first)
      throw new InvalidActivityError(
        `aggregated activity ${JSON.stringify(this.group)} has no activities`,
      );
    return first.verb;
  }

  get lastActivity(): Activity {
    this.#requireHydrated('read the last activity of');
    const last = this.#activities.at(-1);
    if (!last)
      throw new InvalidActivityError(
        `aggregated activity ${JSON.stringify(this.group)} has no activities`,
      );
    return last;
  }

  /** The activities newest first. */
  get lastActivities(): Activity[] {
    return [...this.#activities].reverse();
  }

  isSeen(): boolean {
    return (
      this.seenAt !== null &&
      this.updatedAt !== null &&
      comparePreciseDates(this.seenAt, this.updatedAt) >= 0
    );
  }

  isRead(): boolean {
    return (
      this.readAt !== null &&
      this.updatedAt !== null &&
      comparePreciseDates(this.readAt, this.updatedAt) >= 0
    );
  }

  /** Fields for building a copy (subclasses override `copyWith` to keep their own fields). */
  protected init(): AggregatedActivityInit {
    return {
      group: this.group,
      createdAt: this.createdAt,
      updatedAt: this.updatedAt,
      seenAt: this.seenAt,
      readAt: this.readAt,
      minimizedActivities: this.minimizedActivities,
      maxActivities: this.maxActivities,
    };
  }

  /** Builds an instance of the same class from `init`, bypassing append's date derivation. */
  protected copyWith(init: AggregatedActivityInit): this {
    const Ctor = this.constructor as new (init: AggregatedActivityInit) => this;
    const copy = new Ctor({ ...init, activities: undefined, activityIds: init.activityIds });
    if (init.activities) copy.#activities = [...init.activities];
    // Own Date objects (with their microseconds), so the copy and the original never share a
    // mutable Date.
    copy.createdAt = init.createdAt ? copyPreciseDate(init.createdAt) : null;
    copy.updatedAt = init.updatedAt ? copyPreciseDate(init.updatedAt) : null;
    copy.minimizedActivities = init.minimizedActivities ?? 0;
    return copy;
  }

  /** An independent copy (activities are immutable and shared). */
  clone(): this {
    return this.#activityIds
      ? this.copyWith({ ...this.init(), activityIds: this.#activityIds })
      : this.copyWith({ ...this.init(), activities: this.#activities });
  }

  /** A copy holding only activity ids. */
  dehydrate(): this {
    return this.copyWith({ ...this.init(), activityIds: this.activityIds });
  }

  /**
   * A hydrated copy, looking activity ids up in `activities`. Ids that are missing are dropped
   * and passed to `onMissing` (default: throw `ActivityNotFoundError`).
   */
  hydrate(activities: ReadonlyMap<string, Activity>, onMissing?: (ids: string[]) => void): this {
    if (!this.#activityIds) return this.clone();
    const found: Activity[] = [];
    const missing: string[] = [];
    for (const id of this.#activityIds) {
      const activity = activities.get(id);
      if (activity) found.push(activity);
      else missing.push(id);
    }
    if (missing.length > 0) {
      if (!onMissing) throw new ActivityNotFoundError(missing[0]!, 'the activity storage');
      onMissing(missing);
    }
    return this.copyWith({ ...this.init(), activities: found });
  }

  /**
   * Stream Framework's equality: same activities in the same order, and dates within 10 seconds
   * of each other (the group is not compared).
   */
  equals(other: AggregatedActivity): boolean {
    if (!(other instanceof AggregatedActivity)) return false;
    const close = (a: Date | null, b: Date | null) =>
      a && b ? Math.abs(a.getTime() - b.getTime()) <= 10_000 : a === b;
    if (!close(this.createdAt, other.createdAt) || !close(this.updatedAt, other.updatedAt))
      return false;
    if (!close(this.seenAt, other.seenAt) || !close(this.readAt, other.readAt)) return false;
    const mine = this.activityIds;
    const theirs = other.activityIds;
    return mine.length === theirs.length && mine.every((id, i) => id === theirs[i]);
  }

  toString(): string {
    if (this.#activityIds) return `Dehydrated AggregatedActivity (${this.#activityIds.join(', ')})`;
    return `AggregatedActivity(${this.group}-${this.verbs.map((v) => v.pastTense).join(',')}) Actors ${this.actorIds.join(',')}: Objects [${this.objectIds.join(', ')}]`;
  }
}

/**
 * An aggregated activity in a notification feed. `seen` and `read` come from the feed's
 * markers when it is read; until then they fall back to `seenAt` / `readAt`.
 */
export class NotificationActivity extends AggregatedActivity {
  seen: boolean | undefined;
  read: boolean | undefined;

  override isSeen(): boolean {
    return this.seen ?? super.isSeen();
  }

  override isRead(): boolean {
    return this.read ?? super.isRead();
  }

  /** Keeps `seen` / `read` in every copy: clone, dehydrate and hydrate. */
  protected override copyWith(init: AggregatedActivityInit): this {
    const copy = super.copyWith(init);
    copy.seen = this.seen;
    copy.read = this.read;
    return copy;
  }
}
