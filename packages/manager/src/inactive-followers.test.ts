import { describe, expect, it } from 'vitest';
import { Activity, InvalidArgumentError, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import type { ActivityClockStorage, RebuildFinishedEvent } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { DEFAULT_INACTIVE_AFTER_MS, Manager, UnknownFeedError } from './index.js';
import type { InactiveFollowersOptions, RebuildFinished, RebuildTask } from './index.js';
import { jobName } from './bullmq/jobs.js';
import { mergeNewest } from './rebuild.js';

function managerWith(inactiveFollowers?: InactiveFollowersOptions) {
  const storage = memoryStorage();
  const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
  const userFeed = Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage });
  return {
    storage,
    manager: new Manager({
      feeds: { normal },
      userFeed,
      getFollowerIds: async () => [],
      ...(inactiveFollowers ? { inactiveFollowers } : {}),
    }),
  };
}

describe('inactiveFollowers options', () => {
  const clock = memoryStorage().activityClock({ name: 'users' });
  const getFollowingIds = async () => [];

  it('refuses a missing clock, a missing getFollowingIds, unknown feeds and bad periods', () => {
    expect(() => managerWith({ clock: {} as never, getFollowingIds })).toThrow(
      /inactiveFollowers.clock must be an ActivityClockStorage/,
    );
    expect(() => managerWith({ clock, getFollowingIds: undefined as never })).toThrow(
      /inactiveFollowers.getFollowingIds must be a function/,
    );
    expect(() => managerWith({ clock, getFollowingIds, feeds: { nope: 1000 } })).toThrow(
      /"nope" is not a feed of this manager \(feeds: normal\)/,
    );
    expect(() => managerWith({ clock, getFollowingIds, after: -5 })).toThrow(InvalidArgumentError);
    expect(() => managerWith({ clock, getFollowingIds, feeds: { normal: 0.5 } })).toThrow(
      /inactiveFollowers.feeds.normal must be a positive integer, got 0.5/,
    );
  });

  it('defaults to two weeks', async () => {
    expect(DEFAULT_INACTIVE_AFTER_MS).toBe(14 * 24 * 3600 * 1000);
    const now = Date.UTC(2026, 5, 1);
    const { manager } = managerWith({ clock, getFollowingIds, now: () => now });
    await manager.touchUser(1, now - DEFAULT_INACTIVE_AFTER_MS);
    await manager.touchUser(2, now - DEFAULT_INACTIVE_AFTER_MS - 1);
    expect((await manager.touchUser(1, now)).status).toBe('ready');
    // 2 was away a millisecond too long: rebuilt (at once, by the in-process queue).
    expect(await manager.touchUser(2, now)).toEqual({ status: 'ready' });
    expect(await clock.rebuildStatus(['2'], now)).toEqual(new Map());
  });
});

describe('without inactiveFollowers', () => {
  it('touchUser and feedStatus answer ready and store nothing; a rebuild task is refused', async () => {
    const { manager } = managerWith();
    expect(await manager.touchUser(5)).toEqual({ status: 'ready' });
    expect(await manager.feedStatus(5)).toEqual({ status: 'ready' });
    await expect(
      manager.runTask({
        type: 'rebuild',
        userId: 5,
        feeds: ['normal'],
        startedAt: 1,
        priority: 'HIGH',
      }),
    ).rejects.toThrow(/a rebuild task needs the Manager option inactiveFollowers/);
  });
});

describe('rebuild tasks', () => {
  it('name their jobs and refuse feeds the manager does not have', async () => {
    const clock = memoryStorage().activityClock({ name: 'users' });
    const { manager } = managerWith({ clock, getFollowingIds: async () => [] });
    const task: RebuildTask = {
      type: 'rebuild',
      userId: 5,
      feeds: ['gone'],
      startedAt: 1,
      priority: 'HIGH',
    };
    expect(jobName(task)).toBe('rebuild');
    await expect(manager.runTask(task)).rejects.toThrow(UnknownFeedError);
  });

  it('merge the newest entries of many feeds, de-duplicated', () => {
    const at = (object: number) =>
      new Activity({
        actor: object % 3,
        verb: Love,
        object,
        time: Date.UTC(2026, 0, 1) + object * 1000,
      });
    const [a1, a2, a3, a4, a5] = [1, 2, 3, 4, 5].map(at);
    const merged = mergeNewest([[a5!, a3!, a1!], [a4!, a3!], [], [a2!]], 4);
    expect(merged.map((item) => item.serializationId)).toEqual(
      [a5!, a4!, a3!, a2!].map((item) => item.serializationId),
    );
  });
});

describe('rebuild events', () => {
  it('a rebuild that ends calls onRebuildFinished here and subscribeRebuilds listeners', async () => {
    const storage = memoryStorage();
    const clock = storage.activityClock({ name: 'users' });
    const finished: RebuildFinished[] = [];
    const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const userFeed = Feed.defineUserFeed({
      name: 'user',
      keyFormat: 'feed:user:{userId}',
      storage,
    });
    let now = Date.UTC(2026, 5, 1);
    const manager = new Manager({
      feeds: { normal },
      userFeed,
      getFollowerIds: async () => [],
      inactiveFollowers: {
        clock,
        after: 1000,
        getFollowingIds: async () => [9],
        now: () => now,
        onRebuildFinished: (event) => {
          finished.push(event);
        },
      },
    });
    // Another process's view of the same backend: a second clock object of the same name.
    const heard: RebuildFinishedEvent[] = [];
    const unsubscribe = await manager.subscribeRebuilds((event) => heard.push(event));
    const pin = new Activity({ actor: 9, verb: Love, object: 1, time: now });
    await userFeed.insertActivity(pin);
    await userFeed.for(9).add(pin);
    await manager.touchUser(3, now);
    now += 5000;
    expect(await manager.touchUser(3, now)).toEqual({ status: 'ready' }); // in-process: done
    expect(finished).toEqual([{ userId: 3, feeds: ['normal'], activities: 1, startedAt: now }]);
    expect(heard).toEqual([{ clock: 'users', userId: '3', startedAt: now }]);
    await unsubscribe();
    now += 5000;
    await manager.touchUser(3, now);
    expect(finished).toHaveLength(2);
    expect(heard).toHaveLength(1); // no longer listening
  });

  it('a throwing onRebuildFinished is a warning, not a failed rebuild', async () => {
    const storage = memoryStorage();
    const clock = storage.activityClock({ name: 'users' });
    const { manager } = managerWith({
      clock,
      getFollowingIds: async () => [],
      onRebuildFinished: () => {
        throw new Error('listener broke');
      },
    });
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    try {
      expect(await clock.startRebuild('4', 100, 60_000)).toBe(true);
      await manager.runTask({
        type: 'rebuild',
        userId: 4,
        feeds: ['normal'],
        startedAt: 100,
        priority: 'HIGH',
      });
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(await clock.rebuildStatus(['4'], 101)).toEqual(new Map());
    expect(warnings.join()).toMatch(/onRebuildFinished threw for user 4: listener broke/);
  });

  it('subscribeRebuilds needs inactiveFollowers and a clock that publishes', async () => {
    await expect(managerWith().manager.subscribeRebuilds(() => {})).rejects.toThrow(
      /subscribeRebuilds needs the Manager option inactiveFollowers/,
    );
    const full = memoryStorage().activityClock({ name: 'users' });
    const silent: ActivityClockStorage = {
      touch: (...args) => full.touch(...args),
      lastActive: (...args) => full.lastActive(...args),
      startRebuild: (...args) => full.startRebuild(...args),
      finishRebuild: (...args) => full.finishRebuild(...args),
      rebuildStatus: (...args) => full.rebuildStatus(...args),
      delete: (...args) => full.delete(...args),
    };
    const { manager } = managerWith({ clock: silent, getFollowingIds: async () => [] });
    await expect(manager.subscribeRebuilds(() => {})).rejects.toThrow(
      /needs an activity clock with subscribe/,
    );
    await expect(
      managerWith({ clock: full, getFollowingIds: async () => [] }).manager.subscribeRebuilds(
        'nope' as never,
      ),
    ).rejects.toThrow(InvalidArgumentError);
    expect(() =>
      managerWith({ clock: full, getFollowingIds: async () => [], onRebuildFinished: 5 as never }),
    ).toThrow(/inactiveFollowers.onRebuildFinished must be a function/);
  });
});

describe('fanout planning', () => {
  it('reads the clock once per fanout, not once per chunk, and enqueues tasks for active followers only', async () => {
    const storage = memoryStorage();
    const clock = storage.activityClock({ name: 'users' });
    let lookups = 0;
    const lastActive = clock.lastActive.bind(clock);
    clock.lastActive = (userIds) => {
      lookups++;
      return lastActive(userIds);
    };
    const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const other = Feed.define({ name: 'other', keyFormat: 'feed:other:{userId}', storage });
    const userFeed = Feed.defineUserFeed({
      name: 'user',
      keyFormat: 'feed:user:{userId}',
      storage,
    });
    const followers = Array.from({ length: 250 }, (_, i) => 100 + i);
    const enqueued: number[][] = [];
    const now = Date.UTC(2026, 5, 1);
    const manager = new Manager({
      feeds: { normal, other },
      userFeed,
      fanoutChunkSize: 100,
      getFollowerIds: async () => followers,
      inactiveFollowers: { clock, getFollowingIds: async () => [], now: () => now },
    });
    const enqueue = manager.queue.enqueue.bind(manager.queue);
    manager.queue.enqueue = (tasks) => {
      for (const task of tasks) if (task.type === 'fanout') enqueued.push(task.userIds.map(Number));
      return enqueue(tasks);
    };
    // 200 of the 250 inactive: 50 active ones, in one chunk per feed.
    await clock.touch(followers.slice(0, 200).map(String), now - 30 * 24 * 3600 * 1000);
    lookups = 0;
    const activity = new Activity({ actor: 1, verb: Love, object: 9, time: now - 1000 });
    await (await manager.addUserActivity(1, activity)).wait();
    expect(lookups).toBe(1);
    expect(enqueued).toEqual([followers.slice(200), followers.slice(200)]);
    expect(await normal.for(300).count()).toBe(1);
    expect(await other.for(100).count()).toBe(0);
  });
});
