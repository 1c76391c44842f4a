import { InvalidArgumentError } from '@sf/activity';
import type { MarkerEvent, RebuildFinishedEvent } from './contracts.js';

/**
 * The notification event contract, for backend authors.
 *
 * - `MarkerStorage.update` and `delete` emit one `MarkerEvent` (`{ key, unseen, unread }`: the
 *   markers key and the counts after the change) per change that altered a list, to every
 *   `subscribe` listener the backend's `capabilities.notificationEvents` reaches: `cross-process`
 *   (every process sharing the backend), `in-process` (the process that made the change), or
 *   `none` (`subscribe` throws).
 * - Events of one key arrive in the order of its changes; nothing is replayed to a listener that
 *   subscribes later, and a listener that throws does not stop the others.
 * - A cross-process backend carries each event as the JSON text of {@link MarkerEventMessage}
 *   (Redis: a `PUBLISH` on its counts channel, written by the markers script) and reads it back
 *   with {@link decodeMarkerEvent}, so every shared backend speaks the same message.
 */
export interface MarkerEventMessage {
  key: string;
  unseen: number;
  unread: number;
}

/** The JSON text of a marker event, as published between processes. */
export function encodeMarkerEvent(event: MarkerEvent): string {
  const message: MarkerEventMessage = {
    key: event.key,
    unseen: event.unseen,
    unread: event.unread,
  };
  return JSON.stringify(message);
}

/** A marker event from its JSON text, or null when the text is not one (a foreign publisher). */
export function decodeMarkerEvent(message: string): MarkerEvent | null {
  try {
    const event = JSON.parse(message) as Partial<MarkerEventMessage> | null;
    if (
      event !== null &&
      typeof event === 'object' &&
      typeof event.key === 'string' &&
      typeof event.unseen === 'number' &&
      typeof event.unread === 'number'
    ) {
      return { key: event.key, unseen: event.unseen, unread: event.unread };
    }
  } catch {
    // not one of ours
  }
  return null;
}

/**
 * A rebuild-finished event as published between processes: on the same channel as the marker
 * count events (one subscription per process carries both), told apart by `type` (a marker
 * event decoder ignores it: it has no counts).
 */
export interface RebuildEventMessage {
  type: 'rebuild-finished';
  clock: string;
  userId: string;
  startedAt: number;
}

/** The JSON text of a rebuild-finished event. */
export function encodeRebuildEvent(event: RebuildFinishedEvent): string {
  const message: RebuildEventMessage = {
    type: 'rebuild-finished',
    clock: event.clock,
    userId: event.userId,
    startedAt: event.startedAt,
  };
  return JSON.stringify(message);
}

/** A rebuild-finished event from its JSON text, or null when the text is not one. */
export function decodeRebuildEvent(message: string): RebuildFinishedEvent | null {
  try {
    const event = JSON.parse(message) as Partial<RebuildEventMessage> | null;
    if (
      event !== null &&
      typeof event === 'object' &&
      event.type === 'rebuild-finished' &&
      typeof event.clock === 'string' &&
      typeof event.userId === 'string' &&
      typeof event.startedAt === 'number'
    ) {
      return { clock: event.clock, userId: event.userId, startedAt: event.startedAt };
    }
  } catch {
    // not one of ours
  }
  return null;
}

/** A shared backend's channel of events (its counts subscriber), as a rebuild subscription needs it. */
export interface EventChannel {
  /** Hears every message of the channel; resolves to the unsubscribe. */
  listen(operation: string, onMessage: (message: string) => void): Promise<() => Promise<void>>;
}

/**
 * `ActivityClockStorage.subscribe` of a shared backend: checks the listener, refuses when the
 * backend publishes no events (`channel` null: `disabledBy` names the storage and the option),
 * and hands the listener the rebuild-finished events of clock `clock` heard on `channel`.
 */
export async function subscribeRebuildEvents(
  clock: string,
  channel: EventChannel | null,
  disabledBy: { storage: string; option: string },
  listener: (event: RebuildFinishedEvent) => void,
): Promise<() => Promise<void>> {
  if (typeof listener !== 'function') {
    throw new InvalidArgumentError('subscribe takes a listener function', {
      path: 'listener',
      value: listener,
    });
  }
  if (channel === null) {
    throw new InvalidArgumentError(
      `this ${disabledBy.storage} storage was created with countsChannel: null, so rebuild events are not published`,
      { path: disabledBy.option, value: null },
    );
  }
  return channel.listen('activityClock.subscribe', (message) => {
    const event = decodeRebuildEvent(message);
    if (event?.clock === clock) listener(event);
  });
}

/**
 * In-process listeners of rebuild-finished events (memory, Cassandra, and the local side of
 * shared backends): a listener that throws does not stop the others.
 */
export class RebuildListeners {
  readonly #listeners = new Set<(event: RebuildFinishedEvent) => void>();

  add(listener: (event: RebuildFinishedEvent) => void): () => Promise<void> {
    if (typeof listener !== 'function')
      throw new InvalidArgumentError(
        `subscribe takes a listener function, got ${typeof listener}`,
        {
          path: 'listener',
          value: listener,
        },
      );
    const wrapped = (event: RebuildFinishedEvent) => listener(event);
    this.#listeners.add(wrapped);
    return async () => {
      this.#listeners.delete(wrapped);
    };
  }

  emit(event: RebuildFinishedEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        process.emitWarning(
          `a rebuild listener threw: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }
}
