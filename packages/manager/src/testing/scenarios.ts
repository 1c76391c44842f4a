import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Activity, ActivityNotFoundError, Love } from '@sf/activity';
import type { StorageBackend, UserId } from '@sf/feeds';
import { idSchemeFor } from '@sf/feeds/testing';
import { FanoutPriority } from '../fanout-queue.js';
import { Manager } from '../manager.js';
import { defineScenarioFeeds } from './feeds.js';
import { inactiveFollowerScenarios } from './scenarios-inactive.js';

export interface ManagerScenarioBackend {
  backend: StorageBackend;
  /** Removes everything the test wrote (keys, tables, connections). */
  cleanup: () => Promise<void>;
}

export interface ManagerScenarioSuiteOptions {
  /** Shown in the test names, e.g. `redis (cluster)`. */
  name: string;
  /** A fresh, empty backend for each test. */
  createBackend: () => Promise<ManagerScenarioBackend>;
  /** Per-test timeout in ms (default 60000). */
  testTimeout?: number;
}

const BASE = Date.UTC(2026, 0, 1, 12);

/**
 * The Manager's scenarios end to end on one backend, with the in-process queue: fanout to flat
 * and aggregated feeds in chunks, follow (copying the followed user's activities) and unfollow,
 * batch import, removal, and fanout priorities. Backends run it unchanged, as they run
 * `runStorageConformanceSuite` of `@sf/feeds/testing`:
 *
 * ```ts
 * runManagerScenarioSuite({ name: 'memory', createBackend: async () => ({ backend: memoryStorage(), cleanup: async () => {} }) });
 * ```
 */
export function runManagerScenarioSuite(options: ManagerScenarioSuiteOptions): void {
  describe(`manager scenarios: ${options.name}`, { timeout: options.testTimeout ?? 60_000 }, () => {
    let current: ManagerScenarioBackend | undefined;

    beforeEach(async () => {
      current = await options.createBackend();
    });

    afterEach(async () => {
      await current?.cleanup();
      current = undefined;
    });

    function setup(
      config: {
        followers?: Map<number, number[]>;
        low?: Map<number, number[]>;
        chunk?: number;
        limit?: number;
      } = {},
    ) {
      const storage = current!.backend;
      const { user: userFeed, ...feeds } = defineScenarioFeeds(storage);
      const followers = config.followers ?? new Map<number, number[]>();
      const low = config.low ?? new Map<number, number[]>();
      const manager = new Manager({
        feeds,
        userFeed,
        getFollowerIds: async (userId: UserId) => ({
          [FanoutPriority.HIGH]: followers.get(Number(userId)) ?? [],
          [FanoutPriority.LOW]: low.get(Number(userId)) ?? [],
        }),
        fanoutChunkSize: config.chunk ?? 100,
        followActivityLimit: config.limit ?? 5000,
      });
      // Object `object` pinned by `actor`, `object` minutes after BASE (ids the backend's format stores).
      const pin = (actor: number, object: number, extraContext: Record<string, unknown> = {}) =>
        new Activity({
          actor,
          verb: Love,
          object,
          time: BASE + object * 60_000,
          extraContext,
          idScheme: idSchemeFor(storage.format),
        });
      return { manager, feeds, followers, pin };
    }

    const objects = (activities: readonly Activity[]) =>
      activities.map((activity) => activity.objectId);

    inactiveFollowerScenarios(() => current!.backend);

    it('fans out to every follower feed, in chunks, flat and aggregated', async () => {
      const followerIds = Array.from({ length: 7 }, (_, i) => 100 + i);
      const { manager, feeds, pin } = setup({ followers: new Map([[13, followerIds]]), chunk: 3 });
      const handle = await manager.addUserActivity(13, pin(13, 1));
      expect(handle.tasks).toBe(9); // 3 chunks x 3 feeds
      await manager.addUserActivity(13, pin(13, 2));
      for (const follower of followerIds) {
        expect(objects(await feeds.normal.for(follower).get())).toEqual([2, 1]);
        const [group] = await feeds.aggregated.for(follower).get();
        expect(group!.activityCount).toBe(2);
      }
      expect(objects(await manager.getUserFeed(13).get())).toEqual([2, 1]);
      expect(await feeds.normal.for(99).count()).toBe(0);
    });

    it("copies the followed user's activities on follow and takes them out on unfollow", async () => {
      const { manager, feeds, followers, pin } = setup({ limit: 3 });
      for (let i = 1; i <= 4; i++) await manager.addUserActivity(13, pin(13, i));
      await manager.addUserActivity(14, pin(14, 5));
      await manager.addUserActivity(21, pin(21, 6)); // the reader's own activity stays
      followers.set(13, [21]);
      await manager.followManyUsers(21, [13, 14]);
      // at most `followActivityLimit` (3) per followed user: 13's newest three and 14's one
      expect(objects(await feeds.normal.for(21).get())).toEqual([5, 4, 3, 2]);
      expect(
        (await feeds.aggregated.for(21).get()).reduce((sum, group) => sum + group.activityCount, 0),
      ).toBe(4);
      await manager.unfollowUser(21, 13);
      expect(objects(await feeds.normal.for(21).get())).toEqual([5]);
      expect((await feeds.aggregated.for(21).get()).map((group) => group.actorIds)).toEqual([[14]]);
      await manager.unfollowUser(21, 14);
      expect(await feeds.normal.for(21).count()).toBe(0);
      expect(await feeds.aggregated.for(21).count()).toBe(0);
    });

    it('imports in chunks without trimming, and refuses another actor', async () => {
      const { manager, feeds, pin } = setup({ followers: new Map([[13, [21, 22]]]) });
      const activities = Array.from({ length: 60 }, (_, i) => pin(13, i + 1));
      const progress: number[] = [];
      const handle = await manager.batchImport(13, activities, {
        chunkSize: 25,
        onProgress: (p) => progress.push(p.imported),
      });
      expect(progress).toEqual([25, 50, 60]);
      expect(handle.tasks).toBe(9); // 3 chunks x 3 feeds
      expect(await manager.getUserFeed(13).count()).toBe(60);
      expect(await feeds.normal.for(22).count()).toBe(60); // maxLength 50, but imports do not trim
      expect((await feeds.normal.for(21).get({ limit: 1 }))[0]!.objectId).toBe(60);
      await expect(manager.batchImport(13, [pin(13, 500), pin(14, 501)])).rejects.toThrow(
        /got an activity of actor 14/,
      );
      expect(await manager.getUserFeed(13).count()).toBe(60);
    });

    it("removes an activity from the author's and the followers' feeds", async () => {
      const { manager, feeds, pin } = setup({ followers: new Map([[13, [21, 22]]]) });
      const [kept, removed] = [pin(13, 1), pin(13, 2)];
      await manager.addUserActivity(13, kept);
      await manager.addUserActivity(13, removed);
      await manager.removeUserActivity(13, removed);
      expect(objects(await manager.getUserFeed(13).get())).toEqual([1]);
      for (const follower of [21, 22]) {
        expect(objects(await feeds.normal.for(follower).get())).toEqual([1]);
        const groups = await feeds.aggregated.for(follower).get();
        expect(groups.map((group) => objects(group.activities))).toEqual([[1]]);
      }
    });

    it('updates an activity in place: every feed shows the new version, re-fanned out only to feeds holding copies', async () => {
      const followerIds = [21, 22, 23];
      const { manager, feeds, pin } = setup({ followers: new Map([[13, followerIds]]), chunk: 2 });
      const [first, edited] = [pin(13, 1, { title: 'one' }), pin(13, 2, { title: 'draft' })];
      await manager.addUserActivity(13, first);
      await manager.addUserActivity(13, edited);
      const before = await feeds.normal.for(21).get();
      const counts = await feeds.notification.for(21).counts();
      const update = edited.withExtraContext({ title: 'final', likes: 5 });
      const handle = await manager.updateActivity(update);
      await handle.wait();
      // One task per chunk of followers (2) per feed holding whole activities; none elsewhere.
      const copies = Object.values(feeds).filter((definition) => definition.holdsActivityCopies);
      expect(handle.tasks).toBe(2 * copies.length);
      const titles = (activities: readonly Activity[]) =>
        activities.map((activity) => activity.extraContext.title);
      expect(titles(await manager.getUserFeed(13).get())).toEqual(['final', 'one']);
      for (const follower of followerIds) {
        const read = await feeds.normal.for(follower).get();
        expect(read.map((a) => a.serializationId)).toEqual(before.map((a) => a.serializationId));
        expect(titles(read)).toEqual(['final', 'one']);
        expect(read[0]!.extraContext).toEqual({ title: 'final', likes: 5 });
        const [group] = await feeds.aggregated.for(follower).get();
        expect(titles(group!.activities)).toEqual(['one', 'final']);
        const notifications = await feeds.notification.for(follower).get();
        expect(titles(notifications.flatMap((item) => item.activities))).toEqual(['final', 'one']);
        expect(await feeds.notification.for(follower).counts()).toEqual(counts);
      }
      expect(await feeds.normal.for(99).count()).toBe(0);
      // Nothing is created by an update: an activity never published is refused.
      await expect(manager.updateActivity(pin(13, 3, { title: 'new' }))).rejects.toBeInstanceOf(
        ActivityNotFoundError,
      );
      expect(await manager.getUserFeed(13).count()).toBe(2);
      expect(await feeds.normal.for(21).count()).toBe(2);
    });

    it('removes an activity by foreign id from every feed it was fanned out to (issue 16)', async ({
      skip,
    }) => {
      skip(current!.backend.capabilities.foreignIds !== true, 'needs capabilities.foreignIds');
      const { manager, feeds, pin } = setup({ followers: new Map([[13, [21, 22]]]) });
      const tagged = (object: number, foreignId: string) => {
        const plain = pin(13, object);
        return new Activity({
          actor: plain.actor,
          verb: plain.verb,
          object: plain.object,
          time: plain.time,
          foreignId,
          idScheme: plain.idScheme,
        });
      };
      await manager.addUserActivity(13, tagged(1, 'pin:1'));
      await manager.addUserActivity(13, tagged(2, 'pin:2'));
      // adding the same (foreignId, time) again changes nothing
      await manager.addUserActivity(13, tagged(2, 'pin:2'));
      expect(objects(await feeds.normal.for(21).get())).toEqual([2, 1]);
      const handle = await manager.removeActivityByForeignId(13, 'pin:2');
      await handle.wait();
      expect(objects(handle.activities)).toEqual([2]);
      expect(objects(await manager.getUserFeed(13).get())).toEqual([1]);
      for (const follower of [21, 22]) {
        expect(objects(await feeds.normal.for(follower).get())).toEqual([1]);
        const groups = await feeds.aggregated.for(follower).get();
        expect(groups.map((group) => objects(group.activities))).toEqual([[1]]);
      }
      expect(await manager.userFeed.getByForeignId('pin:2')).toEqual([]);
      expect((await manager.removeActivityByForeignId(13, 'pin:none')).activities).toEqual([]);
    });

    it('fans out to high and low priority followers, one task set per priority', async () => {
      const { manager, feeds, pin } = setup({
        followers: new Map([[13, [21, 22]]]),
        low: new Map([[13, [31]]]),
      });
      const handle = await manager.addUserActivity(13, pin(13, 1));
      expect(handle.tasks).toBe(6); // (HIGH, LOW) x (normal, aggregated, notification)
      for (const follower of [21, 22, 31]) {
        expect(objects(await feeds.normal.for(follower).get())).toEqual([1]);
        expect(await feeds.aggregated.for(follower).count()).toBe(1);
      }
    });
  });
}
