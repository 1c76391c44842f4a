import { expect, it } from 'vitest';
import { ActivityConflictError } from '@sf/activity';
import type { Activity } from '@sf/activity';
import { Feed } from '../feed.js';
import type { StorageBackend } from '../backend/contracts.js';
import { ids, makeActivity, verbs } from './fixtures.js';

/**
 * Issue 12 item 3: two activities that differ only by actor must never overwrite each other.
 * Users 1 and 2 love object 5 in the same millisecond. Called inside the conformance suite's
 * `describe`, with the current backend.
 */
export function activityCollisionTests(backend: () => StorageBackend): void {
  const love = (
    actor: number,
    idScheme: 'actor' | 'stream-framework',
    extraContext: Record<string, unknown> = {},
  ) => makeActivity(1, { actor, object: 5, verb: verbs.Love, offset: 0, idScheme, extraContext });
  const define = () =>
    Feed.define({ name: 'actor_ids', keyFormat: 'feed:actor_ids:{userId}', storage: backend() });
  const actorOf = async (activities: Activity[]) => {
    const found = await backend().activityStorage({ name: 'actor_ids' }).getMany(ids(activities));
    return ids(activities).map((id) => found.get(id)?.actorId);
  };

  it("keeps both actors' activities with 'actor'-scheme ids (JSON format)", async ({ skip }) => {
    skip(
      backend().format.name === 'stream-framework',
      "the Stream Framework format stores Python's ids only (no actor)",
    );
    const definition = define();
    const [one, two] = [love(1, 'actor'), love(2, 'actor')];
    expect(one.serializationId).not.toBe(two.serializationId);
    await definition.insertActivity(one);
    await definition.insertActivity(two);
    await definition.for(1).add(one);
    await definition.for(2).add(two);
    await definition.for(9).addMany([one, two]);
    expect((await definition.for(1).get()).map((a) => a.actorId)).toEqual([1]);
    expect((await definition.for(2).get()).map((a) => a.actorId)).toEqual([2]);
    expect((await definition.for(9).get()).map((a) => a.actorId)).toEqual([2, 1]);
  });

  it("refuses another actor's activity under a 'stream-framework' id with ActivityConflictError and keeps the first", async () => {
    const definition = define();
    const storage = backend().activityStorage({ name: 'actor_ids' });
    const [one, two] = [love(1, 'stream-framework'), love(2, 'stream-framework')];
    expect(one.serializationId).toBe(two.serializationId);
    await storage.addMany([one]);
    const refusal = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (caught: unknown) => caught,
      );
    const error = await refusal(storage.addMany([two]));
    expect(error).toBeInstanceOf(ActivityConflictError);
    expect(error).toMatchObject({
      activityId: one.serializationId,
      storedActorId: 1,
      newActorId: 2,
    });
    // Feeds that keep activities in the activity storage refuse it through insertActivities too
    // (backends whose timelines hold whole activities need none).
    if (definition.activityStorage) {
      expect(await refusal(definition.insertActivity(two))).toBeInstanceOf(ActivityConflictError);
    }
    expect(await actorOf([one])).toEqual([1]);
    await definition.for(1).add(one);
    expect((await definition.for(1).get()).map((a) => a.actorId)).toEqual([1]);
  });

  it('stores nothing of a batch that holds a conflicting activity', async () => {
    const storage = backend().activityStorage({ name: 'actor_ids' });
    const one = love(1, 'stream-framework');
    const fresh = makeActivity(2, { idScheme: 'stream-framework' });
    await storage.addMany([one]);
    await expect(storage.addMany([fresh, love(2, 'stream-framework')])).rejects.toBeInstanceOf(
      ActivityConflictError,
    );
    expect((await storage.getMany([fresh.serializationId])).size).toBe(0);
    // two actors under one id within the same batch
    await expect(
      storage.addMany([fresh, love(3, 'stream-framework', { n: 1 }), love(4, 'stream-framework')]),
    ).rejects.toBeInstanceOf(ActivityConflictError);
    expect((await storage.getMany([fresh.serializationId])).size).toBe(0);
    expect(await actorOf([one])).toEqual([1]);
  });

  it('re-inserting the identical activity is a no-op; the same actor may overwrite its activity', async () => {
    const storage = backend().activityStorage({ name: 'actor_ids' });
    for (const idScheme of ['actor', 'stream-framework'] as const) {
      if (idScheme === 'actor' && backend().format.name === 'stream-framework') continue;
      const one = love(1, idScheme);
      expect(await storage.addMany([one])).toBe(1);
      expect(await storage.addMany([one])).toBe(0);
      expect(await storage.addMany([one, one])).toBe(0);
      expect(await storage.addMany([love(1, idScheme, { edited: true })])).toBe(0);
      const found = await storage.getMany([one.serializationId]);
      expect(found.get(one.serializationId)?.extraContext).toEqual({ edited: true });
    }
  });
}
