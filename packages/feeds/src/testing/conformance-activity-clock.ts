import { describe, expect, it } from 'vitest';
import type { ActivityClockStorage, RebuildFinishedEvent } from '../backend/contracts.js';
import { eventually } from './conformance-context.js';
import type { ConformanceContext } from './conformance-context.js';

/**
 * The activity clock (`StorageBackend.activityClock`): last activity times looked up in batches,
 * and rebuild states started atomically. Skipped, visibly, for a backend without one.
 */
export function activityClockTests(ctx: ConformanceContext): void {
  describe('activity clock (needs StorageBackend.activityClock)', () => {
    const clockOf = (
      skip: (condition: boolean, note: string) => void,
      name = 'clock',
    ): ActivityClockStorage => {
      const storage = ctx.storage;
      skip(storage.activityClock === undefined, 'this backend offers no activity clock');
      return storage.activityClock!({ name });
    };

    it('touch returns the replaced times; lastActive reads many users at once', async ({
      skip,
    }) => {
      const clock = clockOf(skip);
      const t0 = 1_700_000_000_000;
      expect(await clock.touch(['1', '2'], t0)).toEqual(new Map());
      expect(await clock.touch(['2', 'user:three'], t0 + 5)).toEqual(new Map([['2', t0]]));
      const users = Array.from({ length: 300 }, (_, i) => String(1000 + i));
      await clock.touch(users, t0 + 7);
      const found = await clock.lastActive(['1', '2', 'user:three', 'never', ...users]);
      expect(found.get('1')).toBe(t0);
      expect(found.get('2')).toBe(t0 + 5);
      expect(found.get('user:three')).toBe(t0 + 5);
      expect(found.has('never')).toBe(false);
      expect(found.size).toBe(3 + users.length);
      for (const user of users) expect(found.get(user)).toBe(t0 + 7);
      expect(await clock.lastActive([])).toEqual(new Map());
      await clock.delete(['1', ...users]);
      expect(await clock.lastActive(['1', '2', users[0]!])).toEqual(new Map([['2', t0 + 5]]));
    });

    it('clocks of different names are separate', async ({ skip }) => {
      const one = clockOf(skip, 'clock_one');
      const two = clockOf(skip, 'clock_two');
      await one.touch(['7'], 1000);
      expect(await two.lastActive(['7'])).toEqual(new Map());
      expect(await one.lastActive(['7'])).toEqual(new Map([['7', 1000]]));
    });

    it('starts one rebuild at a time, until it finishes or times out', async ({ skip }) => {
      const clock = clockOf(skip);
      const now = Date.now();
      const started = await Promise.all(
        Array.from({ length: 5 }, () => clock.startRebuild('42', now, 60_000)),
      );
      expect(started.filter(Boolean)).toHaveLength(1);
      expect(await clock.rebuildStatus(['42', '43'], now + 1)).toEqual(
        new Map([['42', { startedAt: now, expiresAt: now + 60_000 }]]),
      );
      // Finishing another (older) rebuild leaves this one running.
      await clock.finishRebuild('42', now - 1);
      expect((await clock.rebuildStatus(['42'], now + 1)).has('42')).toBe(true);
      await clock.finishRebuild('42', now);
      expect(await clock.rebuildStatus(['42'], now + 1)).toEqual(new Map());
      expect(await clock.startRebuild('42', now + 2, 60_000)).toBe(true);
      await clock.delete(['42']);
      expect(await clock.rebuildStatus(['42'], now + 3)).toEqual(new Map());
    });

    it('a timed-out rebuild no longer counts and another may start', async ({ skip }) => {
      const clock = clockOf(skip);
      const now = Date.now();
      expect(await clock.startRebuild('9', now, 1000)).toBe(true);
      expect(await clock.startRebuild('9', now + 10, 1000)).toBe(false);
      // Backends may expire states with the wall clock (TTLs): wait it out for real.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const later = Date.now();
      expect(await clock.rebuildStatus(['9'], later)).toEqual(new Map());
      expect(await clock.startRebuild('9', later, 60_000)).toBe(true);
      await clock.finishRebuild('9', now);
      expect((await clock.rebuildStatus(['9'], later + 1)).get('9')?.startedAt).toBe(later);
    });

    it('announces a rebuild that ends to subscribers, once, and not a stale finish', async ({
      skip,
    }) => {
      const clock = clockOf(skip, 'clock_events');
      skip(clock.subscribe === undefined, 'this activity clock publishes no rebuild events');
      skip(
        ctx.storage.capabilities.notificationEvents === 'none',
        'this backend publishes no events',
      );
      const other = clockOf(skip, 'clock_events_other');
      const events: RebuildFinishedEvent[] = [];
      const unsubscribe = await clock.subscribe!((event) => events.push(event));
      try {
        const now = Date.now();
        expect(await clock.startRebuild('77', now, 60_000)).toBe(true);
        expect(await other.startRebuild('77', now, 60_000)).toBe(true);
        await clock.finishRebuild('77', now - 1); // not the running one: no event
        await other.finishRebuild('77', now); // another clock's: not heard here
        await clock.finishRebuild('77', now);
        await clock.finishRebuild('77', now); // already finished: no second event
        await eventually(() => events.length > 0, ctx.eventTimeout);
        // Anything published later than the one event would have arrived by now (same channel).
        await new Promise((resolve) => setTimeout(resolve, 100));
        expect(events).toEqual([{ clock: 'clock_events', userId: '77', startedAt: now }]);
      } finally {
        await unsubscribe();
      }
      await clock.delete(['77']);
      await other.delete(['77']);
    });
  });
}
