import { describe, expect, it } from 'vitest';
import type { Activity } from '@sf/activity';
import { activityCollisionTests } from './conformance-collisions.js';
import type { ConformanceContext } from './conformance-context.js';

/** The activity storage, and activities that differ only by actor. */
export function activityTests(ctx: ConformanceContext): void {
  const { makeActivities } = ctx;
  describe('activity storage', () => {
    it('adds, overwrites, gets and removes many', async () => {
      const activities = ctx.storage.activityStorage({ name: 'normal' });
      const [a, b, c] = makeActivities(3) as [Activity, Activity, Activity];
      expect(await activities.addMany([a, b])).toBe(2);
      expect(await activities.addMany([b, c])).toBe(1);
      const found = await activities.getMany([a.serializationId, c.serializationId, '1']);
      expect([...found.keys()].sort()).toEqual([a.serializationId, c.serializationId].sort());
      expect(found.get(c.serializationId)?.objectId).toBe(3);
      expect(await activities.removeMany([a.serializationId, '1'])).toBe(1);
      expect((await activities.getMany([a.serializationId])).size).toBe(0);
      expect((await activities.getMany([])).size).toBe(0);
    });
  });

  describe('activities that differ only by actor', () => {
    activityCollisionTests(() => ctx.storage);
  });
}
