import type { MarkerEvent } from './contracts.js';

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
