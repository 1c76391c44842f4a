import { describe, expect, it } from 'vitest';
import {
  Activity,
  InvalidActivityError,
  InvalidArgumentError,
  SfError,
  defineVerb,
} from '@sf/activity';
import { Feed } from '@sf/feeds';
import { memoryStorage } from '@sf/storage-memory';
import {
  FanoutFailedError,
  FanoutQueueClosedError,
  FanoutQueueUnboundError,
  InProcessFanoutQueue,
  Manager,
  UnknownFeedError,
  UnknownTaskError,
} from './index.js';
import { bullmqFanoutQueue, redisOptionsFromUrl, startWorkerFromEnv } from './bullmq.js';

const Pin = defineVerb({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
const pin = (actor: number, object: number) =>
  new Activity({ actor, verb: Pin, object, time: Date.UTC(2026, 0, 1) + object * 1000 });

function setup(getFollowerIds: () => Promise<never> | Promise<number[]> = async () => [21]) {
  const storage = memoryStorage();
  const normal = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
  const userFeed = Feed.defineUserFeed({ keyFormat: 'feed:user:{userId}', storage });
  return {
    normal,
    userFeed,
    manager: new Manager({ feeds: { normal }, userFeed, getFollowerIds }),
  };
}

/** The error a call throws (synchronously or as a rejection). */
async function caught(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe("the manager's errors", () => {
  it('reports bad options as InvalidArgumentError with the path, the value and SF_INVALID_OPTION', async () => {
    const { userFeed, normal } = setup();
    const cases: Array<[() => unknown, string, unknown]> = [
      [() => new Manager({ feeds: {}, userFeed } as never), 'getFollowerIds', undefined],
      [
        () => new Manager({ feeds: {}, userFeed: {} as never, getFollowerIds: async () => [] }),
        'userFeed',
        {},
      ],
      [
        () => new Manager({ feeds: { x: 1 as never }, userFeed, getFollowerIds: async () => [] }),
        'feeds.x',
        1,
      ],
      [
        () =>
          new Manager({ feeds: {}, userFeed, getFollowerIds: async () => [], fanoutChunkSize: -2 }),
        'fanoutChunkSize',
        -2,
      ],
      [
        () =>
          new Manager({
            feeds: { normal },
            userFeed,
            getFollowerIds: async () => [],
            maxFanoutFollowers: 5,
            getPulledAuthorIds: async () => [],
            pullFeeds: ['other'],
          }),
        'pullFeeds',
        'other',
      ],
      [() => new InProcessFanoutQueue({ attempts: 0 }), 'attempts', 0],
      [() => redisOptionsFromUrl('http://x'), 'connection', 'http://x'],
      [
        () => bullmqFanoutQueue({ connection: {}, queueNames: { HIGH: '' } }),
        'queueNames.HIGH',
        '',
      ],
      [
        () => startWorkerFromEnv({ SF_MANAGER_MODULE: 'm.js', SF_CONCURRENCY: 'x' }),
        'SF_CONCURRENCY',
        'x',
      ],
    ];
    for (const [run, path, value] of cases) {
      const error = await caught(run);
      expect(error, path).toBeInstanceOf(InvalidArgumentError);
      expect(error).toMatchObject({ code: 'SF_INVALID_OPTION', path, value });
    }
  });

  it('tells unknown feeds and tasks apart, and fails a task for a feed named like an Object member', async () => {
    const { manager } = setup();
    const task = {
      type: 'fanout' as const,
      operation: 'add' as const,
      userIds: [1],
      activities: [],
      trim: true,
      priority: 'HIGH' as const,
    };
    for (const feed of ['nope', 'toString', 'constructor']) {
      const error = await caught(() => manager.runTask({ ...task, feed }));
      expect(error).toBeInstanceOf(UnknownFeedError);
      expect(error).toMatchObject({
        code: 'SF_UNKNOWN_FEED',
        path: 'task.feed',
        feedName: feed,
        known: ['normal'],
      });
      expect((error as Error).message).toMatch(`no feed named "${feed}"`);
    }
    await expect(manager.readFeed(1, 'nope')).rejects.toMatchObject({ path: 'feedName' });
    const unknownTask = await caught(() => manager.runTask({ type: 'explode' } as never));
    expect(unknownTask).toBeInstanceOf(UnknownTaskError);
    expect(unknownTask).toBeInstanceOf(InvalidArgumentError);
    expect(unknownTask).toMatchObject({ code: 'SF_UNKNOWN_TASK', value: 'explode' });
  });

  it('reports bad arguments with their path', async () => {
    const { manager } = setup();
    await expect(manager.readFeed(1, 'normal', { limit: 1.5 })).rejects.toMatchObject({
      code: 'SF_INVALID_ARGUMENT',
      path: 'options.limit',
      value: 1.5,
    });
    const notArray = await caught(() => manager.batchImport(1, 'x' as never));
    expect(notArray).toBeInstanceOf(InvalidArgumentError);
    expect(notArray).toMatchObject({ code: 'SF_INVALID_ARGUMENT', path: 'activities' });
    const otherActor = await caught(() => manager.batchImport(1, [pin(2, 1)]));
    expect(otherActor).toBeInstanceOf(InvalidActivityError);
    expect(otherActor).toMatchObject({ code: 'SF_INVALID_ACTIVITY', path: 'actorId', value: 2 });
  });

  it('has queue errors of their own: closed, unbound, failed', async () => {
    const queue = new InProcessFanoutQueue({ attempts: 1, onError: () => undefined });
    const unbound = await caught(() =>
      queue.enqueue([{ type: 'follow', userId: 1, targetIds: [2], priority: 'HIGH' }]),
    );
    expect(unbound).toBeInstanceOf(FanoutFailedError);
    expect((unbound as FanoutFailedError).cause).toBeInstanceOf(FanoutQueueUnboundError);
    expect(unbound).toMatchObject({ code: 'SF_FANOUT_FAILED', failed: 1 });
    await queue.close();
    const closed = await caught(() => queue.enqueue([]));
    expect(closed).toBeInstanceOf(FanoutQueueClosedError);
    expect(SfError.isInstance(closed) && closed.code).toBe('SF_QUEUE_CLOSED');
    expect(() => bullmqFanoutQueue({ connection: {} }).createWorker()).toThrow(
      FanoutQueueUnboundError,
    );
  });
});
