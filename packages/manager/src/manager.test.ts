import { describe, expect, it } from 'vitest';
import {
  Activity,
  Follow,
  InvalidActivityError,
  InvalidArgumentError,
  Love,
  SfError,
  defineVerb,
} from '@sf/activity';
import { Feed, NotificationFeed } from '@sf/feeds';
import { defineCapabilities } from '@sf/feeds/backend';
import type { UserId } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import { FanoutPriority, InProcessFanoutQueue, Manager } from './index.js';
import type { FanoutTask, ManagerTask } from './index.js';
import { defineScenarioFeeds } from './testing/feeds.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const base = Date.UTC(2026, 0, 1, 12);
const pin = (actor: number, object: number, minutes = object) =>
  new Activity({
    actor,
    verb: Pin,
    object,
    target: 100 + actor,
    time: base + minutes * 60_000,
    extraContext: { title: `pin ${object}` },
  });

function setup(
  options: {
    followers?: Map<number, number[]>;
    low?: Map<number, number[]>;
    chunk?: number;
    limit?: number;
    queue?: InProcessFanoutQueue;
  } = {},
) {
  const storage = memoryStorage();
  const { normal, aggregated, user: userFeed } = defineScenarioFeeds(storage);
  const feeds = { normal, aggregated };
  const followers = options.followers ?? new Map<number, number[]>();
  const low = options.low ?? new Map<number, number[]>();
  const manager = new Manager({
    feeds,
    userFeed,
    getFollowerIds: async (userId: UserId) => ({
      [FanoutPriority.HIGH]: followers.get(Number(userId)) ?? [],
      [FanoutPriority.LOW]: low.get(Number(userId)) ?? [],
    }),
    fanoutChunkSize: options.chunk ?? 100,
    followActivityLimit: options.limit ?? 5000,
    queue: options.queue,
  });
  return { manager, feeds, userFeed, storage };
}

describe('fanoutChunkSize', () => {
  /** A memory backend that declares a preferred fanout chunk. */
  const preferring = (fanoutChunkSize: number) => {
    const storage = memoryStorage();
    const capabilities = defineCapabilities({ ...storage.capabilities, fanoutChunkSize });
    return new Proxy(storage, {
      get: (target, property) => {
        if (property === 'capabilities') return capabilities;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value.bind(target) as unknown) : value;
      },
    });
  };
  const managerOf = (storages: ReturnType<typeof memoryStorage>[], fanoutChunkSize?: number) =>
    new Manager({
      feeds: Object.fromEntries(
        storages.map((storage, i) => [
          `f${i}`,
          Feed.define({ name: `f${i}`, keyFormat: `feed:f${i}:{userId}`, storage }),
        ]),
      ),
      userFeed: Feed.defineUserFeed({
        name: 'user',
        keyFormat: 'feed:user:{userId}',
        storage: memoryStorage(),
      }),
      getFollowerIds: async () => [],
      fanoutChunkSize,
    });

  it("defaults to the smallest chunk the fanout feeds' backends prefer, else 100", () => {
    expect(managerOf([memoryStorage()]).fanoutChunkSize).toBe(100);
    expect(managerOf([]).fanoutChunkSize).toBe(100);
    expect(managerOf([preferring(500)]).fanoutChunkSize).toBe(500);
    expect(managerOf([preferring(500), preferring(300)]).fanoutChunkSize).toBe(300);
    // a backend that declares nothing wants Stream Framework's 100
    expect(managerOf([preferring(500), memoryStorage()]).fanoutChunkSize).toBe(100);
  });

  it('takes the option over any preference', () => {
    expect(managerOf([preferring(500)], 50).fanoutChunkSize).toBe(50);
  });
});

describe('Manager on memory storage with the in-process queue', () => {
  it('runs the Pinterest flow: pin, fan out, follow, unfollow, remove', async () => {
    const followers = new Map([
      [13, [21, 22]],
      [14, [21]],
    ]);
    const { manager, feeds } = setup({ followers });
    const surf = pin(13, 1);
    const stairs = pin(14, 2);
    await manager.addUserActivity(13, surf);
    await manager.addUserActivity(14, stairs);

    expect((await manager.getUserFeed(13).get()).map((a) => a.objectId)).toEqual([1]);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([2, 1]);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([1]);
    const [group] = await feeds.aggregated.for(21).get();
    expect(group!.group).toBe('5-2026-01-01');
    expect(group!.actorIds).toEqual([13, 14]);

    // 22 follows 14: 14's pin is copied into 22's feeds
    followers.get(14)!.push(22);
    await manager.followUser(22, 14);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([2, 1]);
    expect((await feeds.aggregated.for(22).get())[0]!.activityCount).toBe(2);

    // 21 unfollows 13: 13's pin leaves 21's feeds
    followers.set(13, [22]);
    await manager.unfollowUser(21, 13);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([2]);
    expect((await feeds.aggregated.for(21).get())[0]!.actorIds).toEqual([14]);

    // 14 deletes the pin: it leaves 14's feed and current followers' feeds
    await manager.removeUserActivity(14, stairs);
    expect(await manager.getUserFeed(14).count()).toBe(0);
    expect(await feeds.normal.for(21).count()).toBe(0);
    expect(await feeds.aggregated.for(21).count()).toBe(0);
    expect((await feeds.normal.for(22).get()).map((a) => a.objectId)).toEqual([1]);
    expect(Object.keys(manager.getFeeds(22))).toEqual(['normal', 'aggregated']);
  });

  it('creates one task per chunk of followers, per feed, per priority', async () => {
    const tasks: ManagerTask[] = [];
    const queue = new InProcessFanoutQueue();
    const followers = new Map([[1, Array.from({ length: 250 }, (_, i) => i + 100)]]);
    const low = new Map([[1, [7, 8]]]);
    const { manager, feeds } = setup({ followers, low, queue });
    const original = manager.runTask.bind(manager);
    manager.runTask = async (task) => {
      tasks.push(task);
      return original(task);
    };
    const handle = await manager.addUserActivity(1, pin(1, 5));
    expect(handle.tasks).toBe(8); // HIGH: 3 chunks x 2 feeds; LOW: 1 chunk x 2 feeds
    const fanouts = tasks.filter((task): task is FanoutTask => task.type === 'fanout');
    expect(fanouts.map((t) => [t.priority, t.feed, t.userIds.length])).toEqual([
      ['HIGH', 'normal', 100],
      ['HIGH', 'aggregated', 100],
      ['HIGH', 'normal', 100],
      ['HIGH', 'aggregated', 100],
      ['HIGH', 'normal', 50],
      ['HIGH', 'aggregated', 50],
      ['LOW', 'normal', 2],
      ['LOW', 'aggregated', 2],
    ]);
    expect(fanouts.every((t) => t.trim && t.operation === 'add' && t.activities.length === 1)).toBe(
      true,
    );
    expect(JSON.parse(JSON.stringify(fanouts[0]))).toEqual(fanouts[0]); // plain data only
    expect(await feeds.normal.for(349).count()).toBe(1);
    expect(await feeds.aggregated.for(8).count()).toBe(1);
  });

  it('is idempotent: a task run twice leaves feeds as running it once', async () => {
    const { manager, feeds } = setup();
    const activity = pin(1, 9);
    await manager.userFeed.insertActivity(activity);
    const [task] = manager.createFanoutTasks(
      [[FanoutPriority.HIGH, [5, 6]]],
      'add',
      [activity],
      true,
    );
    await manager.runTask(task!);
    await manager.runTask(task!);
    expect(await feeds.normal.for(5).count()).toBe(1);
    const [aggregatedTask] = manager
      .createFanoutTasks([[FanoutPriority.HIGH, [5]]], 'add', [activity], true)
      .filter((t) => t.feed === 'aggregated');
    await manager.runTask(aggregatedTask!);
    await manager.runTask(aggregatedTask!);
    expect((await feeds.aggregated.for(5).get())[0]!.activityCount).toBe(1);
  });

  it('limits the activities copied on follow, per followed user', async () => {
    const { manager, feeds } = setup({ limit: 3 });
    for (let i = 1; i <= 5; i++) await manager.addUserActivity(13, pin(13, i));
    for (let i = 6; i <= 7; i++) await manager.addUserActivity(14, pin(14, i));
    await manager.followManyUsers(21, [13, 14]);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([7, 6, 5, 4, 3]);
    await manager.unfollowManyUsers(21, [13, 14]);
    expect(await feeds.normal.for(21).count()).toBe(0);
  });

  it('follows as a queued task when asked', async () => {
    const queue = new InProcessFanoutQueue({ mode: 'background' });
    const { manager, feeds } = setup({ queue });
    await manager.addUserActivity(13, pin(13, 1));
    const handle = await manager.followUser(21, 13, { queued: true });
    expect(handle.tasks).toBe(1);
    await handle.wait();
    expect(await feeds.normal.for(21).count()).toBe(1);
    await queue.close();
  });

  it('imports in chunks, checks the actor, fans out without trimming, reports progress', async () => {
    const followers = new Map([[13, [21]]]);
    const { manager, feeds } = setup({ followers });
    const activities = Array.from({ length: 120 }, (_, i) => pin(13, i + 1));
    const progress: number[] = [];
    const handle = await manager.batchImport(13, activities, {
      chunkSize: 50,
      onProgress: (p) => progress.push(p.imported),
    });
    expect(progress).toEqual([50, 100, 120]);
    expect(handle.tasks).toBe(6);
    expect(await manager.getUserFeed(13).count()).toBe(120);
    expect(await feeds.normal.for(21).count()).toBe(120); // maxLength 50, but imports do not trim
    await expect(manager.batchImport(13, [pin(13, 500), pin(14, 501)])).rejects.toThrow(
      /got an activity of actor 14/,
    );
    expect(await manager.getUserFeed(13).count()).toBe(120);
    const quiet = await manager.batchImport(13, [pin(13, 600)], { fanout: false });
    expect(quiet.tasks).toBe(0);
  });

  it('fans out in the background and waits on request', async () => {
    const queue = new InProcessFanoutQueue({ mode: 'background', concurrency: 2 });
    const followers = new Map([[1, Array.from({ length: 500 }, (_, i) => i + 10)]]);
    const { manager, feeds } = setup({ followers, queue, chunk: 50 });
    const handle = await manager.addUserActivity(1, pin(1, 1));
    await handle.wait();
    expect(await feeds.normal.for(509).count()).toBe(1);
    await manager.addUserActivity(1, pin(1, 2));
    await queue.drain();
    expect(await feeds.aggregated.for(10).count()).toBe(1);
    expect((await feeds.aggregated.for(10).get())[0]!.activityCount).toBe(2);
  });

  it('reports bad input and unknown feeds clearly', async () => {
    const { manager } = setup();
    await expect(manager.addUserActivity(1, { objectId: 1 } as never)).rejects.toThrow(
      InvalidActivityError,
    );
    // A user id is not an activity's field: InvalidArgumentError naming `userId`.
    await expect(manager.addUserActivity(-1, pin(1, 1))).rejects.toThrow(InvalidArgumentError);
    await expect(manager.addUserActivity(-1, pin(1, 1))).rejects.toThrow(
      'a feed owner id must be a non-negative integer or a token of letters, digits and _.:- (max 128), got number -1',
    );
    await expect(manager.addUserActivity(-1, pin(1, 1))).rejects.toMatchObject({
      path: 'userId',
      value: -1,
    });
    await expect(
      manager.runTask({
        type: 'fanout',
        operation: 'add',
        feed: 'nope',
        userIds: [1],
        activities: [],
        trim: true,
        priority: 'HIGH',
      }),
    ).rejects.toThrow(/no feed named "nope"/);
    await expect(manager.runTask({ type: 'explode' } as never)).rejects.toThrow(SfError);
    expect(
      () =>
        new Manager({
          feeds: {},
          userFeed: manager.userFeed,
          getFollowerIds: async () => [],
          fanoutChunkSize: 0,
        }),
    ).toThrow(/fanoutChunkSize must be a positive integer/);
    const odd = new Manager({
      feeds: {},
      userFeed: manager.userFeed,
      getFollowerIds: async () => ({ MEDIUM: [1] }) as never,
    });
    await expect(odd.addUserActivity(1, pin(1, 3))).rejects.toThrow(/unknown priority "MEDIUM"/);
  });

  it('delivers notifications through a notification feed as one of the feeds', async () => {
    const storage = memoryStorage();
    const notifications = NotificationFeed.define({
      name: 'notification',
      keyFormat: 'notification_feed:{userId}',
      storage,
    });
    const manager = new Manager({
      feeds: { notification: notifications },
      userFeed: Feed.defineUserFeed({ keyFormat: 'feed:user:{userId}', storage }),
      getFollowerIds: async () => [13],
    });
    await manager.addUserActivity(
      21,
      new Activity({ actor: 21, verb: Follow, object: 13, time: base }),
    );
    await manager.addUserActivity(
      22,
      new Activity({ actor: 22, verb: Follow, object: 13, time: base + 1000 }),
    );
    await manager.addUserActivity(
      23,
      new Activity({ actor: 23, verb: Love, object: 7, time: base + 2000 }),
    );
    const feed = notifications.for(13);
    expect(await feed.counts()).toEqual({ unseen: 2, unread: 2 });
    expect((await feed.get()).map((a) => [a.group, a.actorIds])).toEqual([
      ['3-7-2026-01-01', [23]],
      ['1-13-2026-01-01', [21, 22]],
    ]);
  });
});

describe('Manager: updates, progress, unfollow of imported history', () => {
  it('re-fans out updated activities: the new version is what every feed reads', async () => {
    const followers = new Map([[13, [21, 22]]]);
    const { manager, feeds } = setup({ followers });
    const original = pin(13, 1);
    await manager.addUserActivity(13, original);
    const edited = new Activity({
      actor: 13,
      verb: Pin,
      object: 1,
      target: 113,
      time: original.time,
      extraContext: { title: 'edited' },
    });
    expect(edited.serializationId).toBe(original.serializationId);
    const handle = await manager.updateUserActivities([edited]);
    expect(handle.tasks).toBe(2);
    const [read] = await feeds.normal.for(22).get();
    expect(read!.extraContext).toEqual({ title: 'edited' });
    expect(await feeds.normal.for(22).count()).toBe(1);
    expect(
      (await feeds.aggregated.for(21).get())[0]!.activities.map((a) => a.extraContext),
    ).toEqual([{ title: 'edited' }]);
    expect(await manager.getUserFeed(13).count()).toBe(1);
  });

  it('updateActivity: feeds holding ids need no fanout; the update creates nothing and refuses another actor', async () => {
    const followers = new Map([[13, [21, 22]]]);
    const { manager, feeds, storage } = setup({ followers });
    const original = pin(13, 1);
    await manager.addUserActivity(13, original);
    const tasks: ManagerTask[] = [];
    const run = manager.runTask.bind(manager);
    manager.runTask = async (task) => {
      tasks.push(task);
      return run(task);
    };
    const handle = await manager.updateActivity(original.withExtraContext({ title: 'edited' }));
    expect(handle.tasks).toBe(0);
    expect(tasks).toEqual([]);
    expect((await feeds.normal.for(22).get())[0]!.extraContext).toEqual({ title: 'edited' });
    expect(
      (await feeds.aggregated.for(21).get())[0]!.activities.map((a) => a.extraContext),
    ).toEqual([{ title: 'edited' }]);
    expect((await manager.getUserFeed(13).get())[0]!.extraContext).toEqual({ title: 'edited' });
    // Never published: refused, nothing stored.
    const unpublished = pin(13, 2);
    await expect(manager.updateActivity(unpublished)).rejects.toMatchObject({
      code: 'SF_ACTIVITY_NOT_FOUND',
      activityId: unpublished.serializationId,
    });
    expect((await storage.activityStorage().getMany([unpublished.serializationId])).size).toBe(0);
    await expect(manager.updateActivity('x' as unknown as Activity)).rejects.toBeInstanceOf(
      InvalidActivityError,
    );
  });

  it('updateActivity re-fans out to notification feeds only, as update tasks in chunks', async () => {
    const storage = memoryStorage();
    const feeds = {
      normal: Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage }),
      notification: NotificationFeed.define({
        name: 'notification',
        keyFormat: 'feed:notification:{userId}',
        storage,
      }),
    };
    const tasks: FanoutTask[] = [];
    const manager = new Manager({
      feeds,
      userFeed: Feed.defineUserFeed({ name: 'user', keyFormat: 'feed:user:{userId}', storage }),
      getFollowerIds: async () => [21, 22, 23],
      fanoutChunkSize: 2,
    });
    const original = pin(13, 1);
    await manager.addUserActivity(13, original);
    const run = manager.runTask.bind(manager);
    manager.runTask = async (task) => {
      if (task.type === 'fanout') tasks.push(task);
      return run(task);
    };
    const handle = await manager.updateActivity(original.withExtraContext({ title: 'new' }));
    expect(handle.tasks).toBe(2);
    expect(tasks.map((task) => [task.operation, task.feed, task.userIds])).toEqual([
      ['update', 'notification', [21, 22]],
      ['update', 'notification', [23]],
    ]);
    for (const follower of [21, 22, 23]) {
      const [item] = await feeds.notification.for(follower).get();
      expect(item!.activities.map((a) => a.extraContext)).toEqual([{ title: 'new' }]);
      expect(await feeds.notification.for(follower).countUnseen()).toBe(1);
    }
  });

  it('reports the progress of a background fanout and of a batch import', async () => {
    const queue = new InProcessFanoutQueue({ mode: 'background', concurrency: 1 });
    const followers = new Map([[13, Array.from({ length: 30 }, (_, i) => 100 + i)]]);
    const { manager } = setup({ followers, queue, chunk: 10 });
    const imported: number[] = [];
    const handle = await manager.batchImport(
      13,
      Array.from({ length: 6 }, (_, i) => pin(13, i + 1)),
      { chunkSize: 3, onProgress: (p) => imported.push(p.imported) },
    );
    expect(imported).toEqual([3, 6]);
    expect(handle.tasks).toBe(12); // 2 chunks of activities x 3 chunks of followers x 2 feeds
    const progress: string[] = [];
    await handle.wait({
      onProgress: ({ completed, total }) => progress.push(`${completed}/${total}`),
    });
    expect(progress.at(-1)).toBe('12/12');
    expect(new Set(progress).size).toBe(progress.length);
    await queue.close();
  });

  it('unfollows from the whole feed, also what an import left beyond maxLength', async () => {
    const { manager, feeds } = setup({
      followers: new Map([
        [13, [21]],
        [14, [21]],
      ]),
    });
    await manager.batchImport(
      13,
      Array.from({ length: 80 }, (_, i) => pin(13, i + 1)),
    );
    await manager.batchImport(14, [pin(14, 500)]);
    expect(await feeds.normal.for(21).count()).toBe(81);
    await manager.unfollowUser(21, 13);
    expect((await feeds.normal.for(21).get()).map((a) => a.objectId)).toEqual([500]);
    expect((await feeds.aggregated.for(21).get()).flatMap((g) => g.actorIds)).toEqual([14]);
    await expect(manager.batchImport(13, 'nope' as never)).rejects.toThrow(/array of activities/);
    expect((await manager.batchImport(13, [])).tasks).toBe(0);
  });
});
