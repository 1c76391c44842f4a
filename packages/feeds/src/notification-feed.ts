import { EventEmitter } from 'node:events';
import { NotificationActivity, compareSerializationIds } from '@sf/activity';
import type { AggregatedActivity } from '@sf/activity';
import { NotificationAggregator } from '@sf/aggregators';
import { AggregatedFeed, AggregatedFeedDefinition } from './aggregated-feed.js';
import type { AggregatedFeedOptions } from './aggregated-feed.js';
import type { FeedView } from './base-feed.js';
import { InvalidFeedOptionError } from './errors.js';
import { formatFeedKey, userIdFromKey, validateKeyFormat } from './keys.js';
import type { UserId } from './keys.js';
import type {
  BatchedTimelineChange,
  MarkerCounts,
  MarkerStorage,
  MarkerUpdate,
  TimelineChange,
} from './backend/contracts.js';

export interface NotificationFeedOptions<
  A extends NotificationActivity = NotificationActivity,
> extends AggregatedFeedOptions<A> {
  /** Marker ids kept per list (default 100, as Stream Framework). */
  markersMaxLength?: number;
  /**
   * Base key of the unseen/unread marker lists. Default: in the Stream Framework format,
   * `notification_feed:%(user_id)s` whatever the feed's keyFormat (where Python keeps every
   * notification feed's markers); in any other format, the feed's keyFormat.
   */
  markersKeyFormat?: string;
  trackUnseen?: boolean;
  trackUnread?: boolean;
}

/**
 * Where Stream Framework keeps the markers of every notification feed
 * (`BaseNotificationFeed.markers_key_format`), whatever the feed's own `key_format`.
 */
export const STREAM_FRAMEWORK_MARKERS_KEY_FORMAT = 'notification_feed:%(user_id)s';

/** The counts of one user's notification feed after a change. */
export interface NotificationCountsEvent extends MarkerCounts {
  userId: string;
  key: string;
}

export interface MarkOptions {
  /** Mark as seen (default true). */
  seen?: boolean;
  /** Mark as read (default false). */
  read?: boolean;
}

/**
 * A notification feed definition: an aggregated feed (verb + object + day by default) that stores
 * whole activities and tracks which aggregated activities are unseen and unread.
 *
 * `events` emits `update` with `{ userId, key, unseen, unread }` after every change made in this
 * process; `subscribe` also hears changes made by other processes (through the backend).
 */
export class NotificationFeedDefinition<
  A extends NotificationActivity = NotificationActivity,
> extends AggregatedFeedDefinition<A> {
  readonly markers: MarkerStorage;
  readonly markersMaxLength: number;
  readonly markersKeyFormat: string;
  readonly trackUnseen: boolean;
  readonly trackUnread: boolean;
  readonly events = new EventEmitter<{ update: [NotificationCountsEvent] }>();

  constructor(options: NotificationFeedOptions<A>) {
    super(
      options,
      'notification',
      new NotificationAggregator<A>({
        aggregatedActivityClass: NotificationActivity as unknown as new (
          init: import('@sf/activity').AggregatedActivityInit,
        ) => A,
      }),
    );
    const markersMaxLength = options.markersMaxLength ?? 100;
    if (!Number.isSafeInteger(markersMaxLength) || markersMaxLength < 1) {
      throw new InvalidFeedOptionError(
        `markersMaxLength must be a positive integer, got ${String(options.markersMaxLength)}`,
        {
          path: 'options.markersMaxLength',
          value: options.markersMaxLength,
        },
      );
    }
    this.markersMaxLength = markersMaxLength;
    const defaultMarkersKeyFormat =
      this.format.name === 'stream-framework'
        ? STREAM_FRAMEWORK_MARKERS_KEY_FORMAT
        : this.keyFormat;
    this.markersKeyFormat = validateKeyFormat(
      options.markersKeyFormat ?? defaultMarkersKeyFormat,
      'options.markersKeyFormat',
    );
    this.trackUnseen = options.trackUnseen ?? true;
    this.trackUnread = options.trackUnread ?? true;
    this.markers = this.storage.markerStorage({ name: this.name });
  }

  override for(userId: UserId): NotificationFeed<A> {
    return new NotificationFeed(this, userId);
  }

  markersKeyFor(userId: UserId): string {
    return formatFeedKey(this.markersKeyFormat, userId);
  }

  /** Applies a marker change and announces the new counts. */
  async updateMarkers(userId: UserId, update: MarkerUpdate): Promise<MarkerCounts> {
    const key = this.markersKeyFor(userId);
    const counts = await this.markers.update(key, this.onlyTracked(update), this.markersMaxLength);
    this.events.emit('update', { userId: String(userId), key, ...counts });
    return counts;
  }

  /**
   * The marker change of a timeline change: changed aggregated activities are unseen and unread
   * again (as in Stream Framework); `null` when nothing changed.
   */
  markerUpdateOf(change: TimelineChange<A>): MarkerUpdate | null {
    if (change.add.length === 0 && change.remove.length === 0) return null;
    const removed = change.remove.map((item) => item.serializationId);
    // Oldest first, so the newest end of the capped marker lists holds the newest ids.
    const added = change.add.map((item) => item.serializationId).sort(compareSerializationIds);
    return {
      remove: { unseen: removed, unread: removed },
      add: { unseen: added, unread: added },
    };
  }

  protected override batchedMarkers(
    userId: UserId,
    change: TimelineChange<A>,
  ): BatchedTimelineChange<A>['markers'] {
    const update = this.markerUpdateOf(change);
    if (update === null) return undefined;
    return {
      key: this.markersKeyFor(userId),
      update: this.onlyTracked(update),
      maxLength: this.markersMaxLength,
    };
  }

  protected override markersWritten(userId: UserId, counts: MarkerCounts): void {
    const key = this.markersKeyFor(userId);
    this.events.emit('update', { userId: String(userId), key, ...counts });
  }

  private onlyTracked(update: MarkerUpdate): MarkerUpdate {
    const pick = (lists: MarkerUpdate['add']) =>
      lists && {
        unseen: this.trackUnseen ? lists.unseen : undefined,
        unread: this.trackUnread ? lists.unread : undefined,
      };
    return {
      add: pick(update.add),
      remove: pick(update.remove),
      clear: update.clear && {
        unseen: this.trackUnseen && update.clear.unseen,
        unread: this.trackUnread && update.clear.unread,
      },
    };
  }

  /**
   * Hears count changes of this definition's feeds from every process sharing the backend.
   * Returns a function that stops listening.
   */
  async subscribe(
    listener: (event: NotificationCountsEvent) => void,
  ): Promise<() => Promise<void>> {
    return this.markers.subscribe((event) => {
      const userId = userIdFromKey(this.markersKeyFormat, event.key);
      if (userId !== undefined) listener({ ...event, userId });
    });
  }
}

/** One user's notifications: aggregated activities with seen/read state and unseen/unread counts. */
export class NotificationFeed<
  A extends NotificationActivity = NotificationActivity,
> extends AggregatedFeed<A> {
  declare readonly definition: NotificationFeedDefinition<A>;

  /** Defines a notification feed type (Stream Framework's `class MyNotificationFeed(RedisNotificationFeed)`). */
  static override define: ((options: NotificationFeedOptions) => NotificationFeedDefinition) &
    typeof AggregatedFeed.define = ((options: NotificationFeedOptions) =>
    new NotificationFeedDefinition(options)) as never;

  protected override withView(view: FeedView): this {
    return new NotificationFeed(this.definition, view.userId, view) as this;
  }

  protected override async materialize(items: A[]): Promise<A[]> {
    const hydrated = await super.materialize(items);
    if (hydrated.length === 0) return hydrated;
    const definition = this.definition;
    const lists = await definition.markers.get(definition.markersKeyFor(this.userId));
    const unseen = new Set(lists.unseen);
    const unread = new Set(lists.unread);
    for (const item of hydrated) {
      if (definition.trackUnseen) item.seen = !unseen.has(item.serializationId);
      if (definition.trackUnread) item.read = !unread.has(item.serializationId);
    }
    return hydrated;
  }

  protected override async beforeCommit(change: TimelineChange<A>): Promise<void> {
    const update = this.definition.markerUpdateOf(change);
    if (update !== null) await this.definition.updateMarkers(this.userId, update);
  }

  /** Unseen and unread counts in one round trip. */
  async counts(): Promise<MarkerCounts> {
    return this.definition.markers.counts(this.definition.markersKeyFor(this.userId));
  }

  async countUnseen(): Promise<number> {
    return (await this.counts()).unseen;
  }

  async countUnread(): Promise<number> {
    return (await this.counts()).unread;
  }

  /** Marks everything seen (and read when asked); returns the new counts. */
  async markAll(options: MarkOptions = {}): Promise<MarkerCounts> {
    const { seen = true, read = false } = options;
    return this.definition.updateMarkers(this.userId, { clear: { unseen: seen, unread: read } });
  }

  /** Marks aggregated activities (or their serialization ids) seen and/or read. */
  async markActivities(
    items: ReadonlyArray<AggregatedActivity | string>,
    options: MarkOptions = {},
  ): Promise<MarkerCounts> {
    const { seen = true, read = false } = options;
    const ids = items.map((item) => (typeof item === 'string' ? item : item.serializationId));
    return this.definition.updateMarkers(this.userId, {
      remove: { unseen: seen ? ids : undefined, unread: read ? ids : undefined },
    });
  }

  async markActivity(
    item: AggregatedActivity | string,
    options?: MarkOptions,
  ): Promise<MarkerCounts> {
    return this.markActivities([item], options);
  }

  /** Deletes the feed and its markers. */
  override async delete(): Promise<void> {
    await super.delete();
    const definition = this.definition;
    const key = definition.markersKeyFor(this.userId);
    await definition.markers.delete(key);
    definition.events.emit('update', { userId: String(this.userId), key, unseen: 0, unread: 0 });
  }
}
