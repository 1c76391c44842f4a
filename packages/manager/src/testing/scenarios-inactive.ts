import { expect, it } from 'vitest';
import { Activity, Love } from '@sf/activity';
import type { AggregatedActivity } from '@sf/activity';
import type { StorageBackend, UserId } from '@sf/feeds';
import { NoopMetrics } from '@sf/feeds';
import { idSchemeFor } from '@sf/feeds/testing';
import { FanoutPriority } from '../fanout-queue.js';
import { InProcessFanoutQueue } from '../in-process-queue.js';
import { Manager } from '../manager.js';
import { defineScenarioFeeds } from './feeds.js';

const BASE = Date.UTC(2026, 0, 1, 12);
const DAY = 24 * 60 * 60 * 1000;
/** The fake "now" of the clock (activity times are separate: BASE + minutes). */
const NOW = Date.UTC(2026, 2, 1);

/** A promise to hold a task at, released by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

class SkipCounter extends NoopMetrics {
  readonly skipped = new Map<string, number>();
  readonly rebuilt = new Map<string, number>();
  override onFanoutSkipped(feed: string, count: number): void {
    this.skipped.set(feed, (this.skipped.get(feed) ?? 0) + count);
  }
  override onFeedRebuilt(feed: string, activities: number): void {
    this.rebuilt.set(feed, (this.rebuilt.get(feed) ?? 0) + activities);
  }
}

/**
 * `inactiveFollowers` end to end on one backend (its activity clock, its feeds): fanouts skip
 * inactive users' feeds and count them, a returning user's feeds are rebuilt in the background
 * (flat, aggregated and notification), and an activity published during a rebuild appears
 * exactly once. Skipped, visibly, on a backend without `activityClock`. Part of
 * `runManagerScenarioSuite`.
 */
export function inactiveFollowerScenarios(backend: () => StorageBackend): void {
  function setup(
    skip: (condition: boolean, note: string) => void,
    config: {
      followers: Map<number, number[]>;
      following: Map<number, number[]>;
      feeds?: Record<string, number | false>;
      beforeFollowing?: () => Promise<void>;
    },
  ) {
    const storage = backend();
    skip(storage.activityClock === undefined, 'this backend offers no activity clock');
    const { user: userFeed, ...feeds } = defineScenarioFeeds(storage);
    const metrics = new SkipCounter();
    const clock = { now: NOW };
    const queue = new InProcessFanoutQueue({ mode: 'background' });
    let followingCalls = 0;
    const manager = new Manager({
      feeds,
      userFeed,
      getFollowerIds: async (userId: UserId) => config.followers.get(Number(userId)) ?? [],
      metrics,
      queue,
      inactiveFollowers: {
        clock: storage.activityClock!({ name: 'users' }),
        getFollowingIds: async (userId: UserId) => {
          followingCalls++;
          await config.beforeFollowing?.();
          return config.following.get(Number(userId)) ?? [];
        },
        ...(config.feeds ? { feeds: config.feeds } : {}),
        now: () => clock.now,
      },
    });
    const pin = (actor: number, object: number) =>
      new Activity({
        actor,
        verb: Love,
        object,
        time: BASE + object * 60_000,
        idScheme: idSchemeFor(storage.format),
      });
    const publish = async (actor: number, object: number) => {
      const handle = await manager.addUserActivity(actor, pin(actor, object));
      await handle.wait();
    };
    return {
      manager,
      feeds,
      metrics,
      clock,
      queue,
      userFeed,
      pin,
      publish,
      followingCalls: () => followingCalls,
    };
  }

  const objects = (activities: readonly Activity[]) =>
    activities.map((activity) => activity.objectId);
  /** Every activity of a feed's groups, by object (an activity twice shows twice). */
  const grouped = (groups: readonly AggregatedActivity[]) =>
    groups.flatMap((group) => group.activities.map((activity) => activity.objectId)).sort();

  it('inactive followers: the fanout skips their feeds (per feed), counts them, removes from all', async ({
    skip,
  }) => {
    const { manager, feeds, metrics, publish, pin } = setup(skip, {
      followers: new Map([[13, [21, 22, 23]]]),
      following: new Map(),
      feeds: { notification: false },
    });
    await manager.touchUser(21, NOW - DAY); // active
    await manager.touchUser(22, NOW - 20 * DAY); // inactive; 23 never touched: active
    const old = pin(13, 1);
    await publish(13, 1);
    expect(objects(await feeds.normal.for(22).get())).toEqual([]);
    await feeds.normal.for(22).add(old); // as if 22 had it from before
    await publish(13, 2);
    for (const user of [21, 23]) {
      expect(objects(await feeds.normal.for(user).get())).toEqual([2, 1]);
      expect(grouped(await feeds.aggregated.for(user).get())).toEqual([1, 2]);
    }
    expect(objects(await feeds.normal.for(22).get())).toEqual([1]);
    expect(await feeds.aggregated.for(22).count()).toBe(0);
    // notification: false: always written
    expect(grouped(await feeds.notification.for(22).get())).toEqual([1, 2]);
    expect(metrics.skipped).toEqual(
      new Map([
        ['normal', 2],
        ['aggregated', 2],
      ]),
    );
    await (await manager.removeUserActivity(13, old)).wait();
    expect(objects(await feeds.normal.for(22).get())).toEqual([]);
    expect(objects(await feeds.normal.for(21).get())).toEqual([2]);
  });

  it('inactive followers: a returning user gets the skipped feeds rebuilt from everyone they follow', async ({
    skip,
  }) => {
    const held = gate();
    let hold = false;
    const following = [13, 14, 15];
    const { manager, feeds, metrics, publish, queue } = setup(skip, {
      followers: new Map(following.map((author) => [author, [21, 22]])),
      following: new Map([
        [21, following],
        [22, following],
      ]),
      beforeFollowing: async () => {
        if (hold) await held.opened;
      },
    });
    await manager.touchUser(21, NOW);
    await manager.touchUser(22, NOW - 30 * DAY);
    // 65 activities while 22 is away: 21 gets them by fanout, 22 gets none.
    for (let i = 1; i <= 65; i++) await publish(following[i % 3]!, i);
    expect(await feeds.normal.for(22).count()).toBe(0);
    expect(metrics.skipped.get('normal')).toBe(65);
    hold = true;
    const touched = await manager.touchUser(22, NOW);
    expect(touched).toEqual({
      status: 'rebuilding',
      feeds: ['normal', 'aggregated', 'notification'],
    });
    expect(await manager.feedStatus(22)).toEqual({ status: 'rebuilding' });
    // Touching again while it runs starts nothing more.
    expect(await manager.touchUser(22, NOW + 1)).toEqual({ status: 'rebuilding' });
    held.open();
    await queue.drain();
    expect(await manager.feedStatus(22)).toEqual({ status: 'ready' });
    // The newest 50 (the flat feed's maxLength) of the three user feeds, as 21 has them.
    const rebuilt = objects(await feeds.normal.for(22).get());
    expect(rebuilt).toEqual(Array.from({ length: 50 }, (_, i) => 65 - i));
    expect(rebuilt).toEqual(objects(await feeds.normal.for(21).get()));
    const aggregated = grouped(await feeds.aggregated.for(22).get());
    expect(aggregated).toContain(65);
    expect(new Set(aggregated).size).toBe(aggregated.length);
    expect(grouped(await feeds.notification.for(22).get())).toContain(65);
    expect(metrics.rebuilt.get('normal')).toBe(50);
    expect((await feeds.notification.for(22).counts()).unseen).toBeGreaterThan(0);
    // Active again: the next fanout writes 22's feeds directly.
    await publish(13, 66);
    expect(objects(await feeds.normal.for(22).get({ limit: 1 }))).toEqual([66]);
    expect(await manager.touchUser(22, NOW + 2)).toEqual({ status: 'ready' });
  });

  it('inactive followers: an activity published while a rebuild runs appears exactly once', async ({
    skip,
  }) => {
    const held = gate();
    const reached = gate();
    let hold = false;
    const { manager, feeds, publish, queue, followingCalls } = setup(skip, {
      followers: new Map([[13, [22]]]),
      following: new Map([[22, [13]]]),
      beforeFollowing: async () => {
        if (!hold) return;
        reached.open();
        await held.opened;
      },
    });
    await manager.touchUser(22, NOW - 30 * DAY);
    for (let i = 1; i <= 3; i++) await publish(13, i); // skipped
    hold = true;
    expect((await manager.touchUser(22, NOW)).status).toBe('rebuilding');
    await reached.opened; // the rebuild runs, before its reads
    // 22 is active now: this fanout writes 22's feeds, and the rebuild reads it too.
    await publish(13, 4);
    expect(objects(await feeds.normal.for(22).get())).toEqual([4]);
    held.open();
    await queue.drain();
    expect(followingCalls()).toBe(1);
    expect(objects(await feeds.normal.for(22).get())).toEqual([4, 3, 2, 1]);
    expect(grouped(await feeds.aggregated.for(22).get())).toEqual([1, 2, 3, 4]);
    expect(grouped(await feeds.notification.for(22).get())).toEqual([1, 2, 3, 4]);
  });

  it('inactive followers: an activity a rebuild read and a late fanout writes appears exactly once', async ({
    skip,
  }) => {
    const { manager, feeds, userFeed, queue, pin } = setup(skip, {
      followers: new Map([[13, [22]]]),
      following: new Map([[22, [13]]]),
    });
    await manager.touchUser(22, NOW - 30 * DAY);
    // What addUserActivity does before its fanout: store it, add it to the author's feed.
    const late = pin(13, 7);
    await userFeed.insertActivity(late);
    await userFeed.for(13).add(late);
    // The rebuild stops after reading the user feeds...
    const held = gate();
    const reached = gate();
    const getEntries = userFeed.getEntries.bind(userFeed);
    userFeed.getEntries = async (key, query) => {
      const entries = await getEntries(key, query);
      reached.open();
      await held.opened;
      return entries;
    };
    expect((await manager.touchUser(22, NOW)).status).toBe('rebuilding');
    await reached.opened;
    // ...while the fanout job of the activity runs late (a busy queue), 22 being active now.
    for (const task of manager.createFanoutTasks(
      [[FanoutPriority.HIGH, [22]]],
      'add',
      [late],
      true,
    ))
      await manager.runTask(task);
    expect(objects(await feeds.normal.for(22).get())).toEqual([7]);
    held.open();
    await queue.drain();
    expect(await manager.feedStatus(22)).toEqual({ status: 'ready' });
    expect(objects(await feeds.normal.for(22).get())).toEqual([7]);
    expect(grouped(await feeds.aggregated.for(22).get())).toEqual([7]);
    expect(grouped(await feeds.notification.for(22).get())).toEqual([7]);
    expect((await feeds.notification.for(22).counts()).unseen).toBe(1);
  });
}
