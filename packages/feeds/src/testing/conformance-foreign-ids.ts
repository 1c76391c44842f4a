import { describe, expect, it } from 'vitest';
import { Activity, ActivityConflictError, Add, Love, SerializationError } from '@sf/activity';
import type { ActivityInit } from '@sf/activity';
import { AggregatedFeed } from '../aggregated-feed.js';
import { Feed } from '../feed.js';
import type { ConformanceContext } from './conformance-context.js';
import { BASE_TIME, idSchemeFor } from './fixtures.js';

const UUID = '3f2b8c1e-9a4d-4c6b-8f0e-1d2c3b4a5e6f';
/** A 64-bit "snowflake" id beyond 2^53. */
const SNOWFLAKE = 1_790_000_000_000_000_001n;

/**
 * Issue 16 part 2: string ids (UUIDs, slugs), 64-bit ids beyond 2^53 and foreign ids, through
 * feeds on every backend: they round-trip exactly; (foreignId, time) is unique; activities are
 * found and removed by foreign id; the Stream Framework format refuses what Python cannot read.
 * Tests of foreign ids need `capabilities.foreignIds`.
 */
export function foreignIdTests(ctx: ConformanceContext): void {
  const isStreamFramework = () => ctx.storage.format.name === 'stream-framework';
  const activity = (init: Partial<ActivityInit> & { offset?: number }) => {
    const { offset = 1000, ...rest } = init;
    return new Activity({
      actor: 1,
      verb: Love,
      object: 1,
      time: BASE_TIME + offset,
      idScheme: idSchemeFor(ctx.storage.format),
      ...rest,
    });
  };
  const define = (name = 'fids') =>
    Feed.define({ name, keyFormat: `feed:${name}:{userId}`, storage: ctx.storage });
  const skipWithoutIndex = (skip: (condition: boolean, note: string) => void) =>
    skip(
      ctx.storage.capabilities.foreignIds !== true,
      'needs capabilities.foreignIds (a foreign-id index in the activity storage)',
    );
  /** Stores and adds to user 1's feed; reads the feed back. */
  const roundTrip = async (activities: Activity[]) => {
    const definition = define();
    await definition.insertActivities(activities);
    await definition.for(1).addMany(activities);
    return definition.for(1).get({ limit: 10 });
  };

  describe('string ids, 64-bit ids and foreign ids (issue 16)', () => {
    it('round-trips string actors, objects and targets exactly', async ({ skip }) => {
      skip(isStreamFramework(), 'the Stream Framework format stores integer ids only (Python)');
      const stored = activity({
        actor: 'user-alice',
        object: UUID,
        target: { id: 'board:cats' },
        extraContext: { note: 'x' },
      });
      const decimalLooking = activity({ actor: 'bob', object: '42', offset: 2000 });
      const [newest, oldest] = await roundTrip([stored, decimalLooking]);
      expect(oldest?.serializationId).toBe(stored.serializationId);
      expect([oldest?.actorId, oldest?.objectId, oldest?.targetId]).toEqual([
        'user-alice',
        UUID,
        'board:cats',
      ]);
      expect(oldest?.extraContext).toEqual({ note: 'x' });
      // '42' stays a string, never the number 42
      expect(newest?.objectId).toBe('42');
      expect(newest?.actorId).toBe('bob');
    });

    it('round-trips snowflake ids beyond 2^53 exactly', async ({ skip }) => {
      const objectId = isStreamFramework() ? 42 : SNOWFLAKE + 5n;
      const stored = activity({ actor: SNOWFLAKE, object: objectId, target: SNOWFLAKE + 1n });
      const result = await roundTrip([stored]).catch((error: unknown) => error);
      if (isStreamFramework() && result instanceof SerializationError) {
        // Stream Framework's own tables (Cassandra) have 32-bit int id columns.
        expect(result.message).toMatch(/1790000000000000001/);
        skip(
          'refused with a clear error: this backend stores the Stream Framework format in 32-bit id columns',
        );
      }
      if (!Array.isArray(result)) throw result;
      const [read] = result as Activity[];
      expect(read?.serializationId).toBe(stored.serializationId);
      expect([read?.actorId, read?.objectId, read?.targetId]).toEqual([
        SNOWFLAKE,
        objectId,
        SNOWFLAKE + 1n,
      ]);
    });

    it('refuses in the Stream Framework format what Python cannot read, naming the field', async ({
      skip,
    }) => {
      skip(!isStreamFramework(), 'only the Stream Framework format has ids Python must read');
      skip(
        !ctx.storage.capabilities.shared,
        'this backend keeps activities as objects in the process: nothing is written in the format',
      );
      const refused = async (init: Partial<ActivityInit>) =>
        roundTrip([activity(init)]).then(
          () => undefined,
          (error: unknown) => error,
        );
      const stringActor = await refused({ actor: 'alice' });
      expect(stringActor).toBeInstanceOf(SerializationError);
      expect((stringActor as Error).message).toMatch(/actor.*"alice"/);
      const bigObject = await refused({ object: SNOWFLAKE });
      expect(bigObject).toBeInstanceOf(SerializationError);
      expect((bigObject as Error).message).toMatch(/object.*1790000000000000001/);
    });

    it('adds a (foreignId, time) once: adding it again is a no-op', async ({ skip }) => {
      skip(isStreamFramework(), "Stream Framework ids are Python's (time, object, verb)");
      const definition = define();
      const pin = activity({ object: 123, verb: Add, foreignId: 'pin:123' });
      const again = activity({ object: 123, verb: Add, foreignId: 'pin:123' });
      expect(again.serializationId).toBe(pin.serializationId);
      await definition.insertActivity(pin);
      await definition.insertActivity(again);
      expect(await definition.for(1).add(pin)).toBe(1);
      expect(await definition.for(1).add(again)).toBe(0);
      expect(await definition.for(1).count()).toBe(1);
      const [read] = await definition.for(1).get();
      expect(read?.foreignId).toBe('pin:123');
      if (ctx.storage.capabilities.foreignIds === true) {
        expect((await definition.getByForeignId('pin:123')).map((a) => a.serializationId)).toEqual([
          pin.serializationId,
        ]);
      }
    });

    it('finds activities by foreign id, oldest first, without their ids', async ({ skip }) => {
      skipWithoutIndex(skip);
      const definition = define();
      const first = activity({ object: 7, foreignId: 'pin:7', offset: 1000 });
      const second = activity({ object: 7, foreignId: 'pin:7', offset: 5000 });
      const other = activity({ object: 8, foreignId: 'pin:8', offset: 3000 });
      const plain = activity({ object: 9, offset: 4000 });
      await definition.insertActivities([second, other, first, plain]);
      const found = await definition.getByForeignId('pin:7');
      expect(found.map((a) => a.serializationId)).toEqual([
        first.serializationId,
        second.serializationId,
      ]);
      expect(found.every((a) => a.foreignId === 'pin:7' && a.objectId === 7)).toBe(true);
      expect(await definition.getActivityIdsByForeignId('pin:8')).toEqual([other.serializationId]);
      expect(await definition.getByForeignId('pin:none')).toEqual([]);
    });

    it('removes by foreign id from flat and aggregated feeds and from the activity storage', async ({
      skip,
    }) => {
      skipWithoutIndex(skip);
      const definition = define();
      const aggregated = AggregatedFeed.define({
        name: 'fids_aggregated',
        keyFormat: 'feed:fids_aggregated:{userId}',
        storage: ctx.storage,
      });
      const pin = activity({ object: 5, foreignId: 'pin:5' });
      const keep = activity({ object: 6, foreignId: 'pin:6', offset: 2000 });
      await definition.insertActivities([pin, keep]);
      await aggregated.insertActivities([pin, keep]);
      await definition.addToMany([1, 2], [pin, keep]);
      await aggregated.for(1).addMany([pin, keep]);
      expect(await definition.for(1).removeByForeignId('pin:5')).toBe(1);
      expect(await definition.for(1).removeByForeignId('pin:5')).toBe(0);
      expect((await definition.for(1).get()).map((a) => a.foreignId)).toEqual(['pin:6']);
      // user 2 still has it until removed there too
      expect(await definition.for(2).count()).toBe(2);
      await aggregated.for(1).removeByForeignId('pin:5');
      const groups = await aggregated.for(1).get();
      expect(groups.flatMap((group) => group.activities.map((a) => a.foreignId))).toEqual([
        'pin:6',
      ]);
      const removed = await definition.removeActivitiesByForeignId('pin:5');
      expect(removed.map((a) => a.serializationId)).toEqual([pin.serializationId]);
      expect(await definition.getByForeignId('pin:5')).toEqual([]);
      expect(await definition.getActivityIdsByForeignId('pin:5')).toEqual([]);
      expect((await definition.getByForeignId('pin:6')).length).toBe(1);
    });

    it('refuses a different activity under the same id (a stand-in collision), keeping the first', async () => {
      const storage = ctx.storage.activityStorage({ name: 'fids' });
      /** Forces one id, as two colliding hashed stand-ins would. */
      class Colliding extends Activity {
        protected override computeSerializationId(): string {
          return `${BASE_TIME}0000000000003`;
        }
      }
      const idScheme = idSchemeFor(ctx.storage.format);
      const first = new Colliding({ actor: 1, verb: Love, object: 10, time: BASE_TIME, idScheme });
      const second = new Colliding({ actor: 1, verb: Love, object: 11, time: BASE_TIME, idScheme });
      await storage.addMany([first]);
      const error = await storage.addMany([second]).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ActivityConflictError);
      expect(error).toMatchObject({ field: 'object', storedValue: 10, newValue: 11 });
      const kept = await storage.getMany([first.serializationId]);
      expect(kept.get(first.serializationId)?.objectId).toBe(10);
    });
  });
}
