import { describe, expect, it } from 'vitest';
import type { MarkerEvent } from '../backend/contracts.js';
import { eventually } from './conformance-context.js';
import type { ConformanceContext } from './conformance-context.js';

/** The marker storage on its own: update semantics, caps and events. */
export function markerTests(ctx: ConformanceContext): void {
  describe('marker storage', () => {
    it('removes, clears, then adds without duplicates, capped', async () => {
      const markers = ctx.storage.markerStorage({ name: 'notification' });
      const key = 'notification_feed:77';
      expect(
        await markers.update(key, { add: { unseen: ['1', '2', '3'], unread: ['1', '2'] } }, 4),
      ).toEqual({ unseen: 3, unread: 2 });
      expect(await markers.update(key, { add: { unseen: ['1', '4', '5'] } }, 4)).toEqual({
        unseen: 4,
        unread: 2,
      });
      expect(await markers.get(key)).toEqual({
        unseen: ['2', '3', '1', '4', '5'].slice(1),
        unread: ['1', '2'],
      });
      expect(
        await markers.update(key, { remove: { unseen: ['3', '9'] }, clear: { unread: true } }, 4),
      ).toEqual({ unseen: 3, unread: 0 });
      expect(await markers.counts(key)).toEqual({ unseen: 3, unread: 0 });
      const events: MarkerEvent[] = [];
      const unsubscribe = await markers.subscribe((event) => events.push(event));
      try {
        await markers.update(key, { add: { unread: ['8'] } }, 4);
        await eventually(
          () => events.some((e) => e.key === key && e.unread === 1),
          ctx.eventTimeout,
        );
      } finally {
        await unsubscribe();
      }
      await markers.delete(key);
      expect(await markers.get(key)).toEqual({ unseen: [], unread: [] });
    });
  });
}
