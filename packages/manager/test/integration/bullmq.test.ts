import { afterEach, describe, expect, it } from 'vitest';
import { SfError } from '@sf/activity';
import { NotificationFeed } from '@sf/feeds';
import { FanoutPriority, Manager } from '../../src/index.js';
import type { FanoutTask, ManagerTask } from '../../src/index.js';
import { BullmqFanoutQueue, bullmqFanoutQueue } from '../../src/bullmq.js';
import {
  AUTHOR,
  HIGH_BASE,
  LOW_BASE,
  buildApp,
  followerIds,
  pin,
  queueLocation,
} from '../fixtures/app.js';
import type { App } from '../fixtures/app.js';
import {
  POSTGRES_URL,
  REDIS_URL,
  deleteKeys,
  deleteQueue,
  fixture,
  prefixes,
  queueBackends,
  queueEnv,
  spawnNode,
  startWorker,
  stop,
  verifyFanout,
  workerCli,
} from './helpers.js';
import type { Child, QueueBackendKind } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything a test started, stopped and deleted after it. */
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function track(child: Child): Child {
  cleanups.push(() => stop(child));
  return child;
}

function app(options: {
  followers?: number;
  lowFollowers?: number;
  name: string;
  queueBackend: QueueBackendKind;
}): App & { keyPrefix: string; queuePrefix: string; queueBackend: QueueBackendKind } {
  const { queueBackend } = options;
  const { keyPrefix, queuePrefix } = prefixes(options.name, queueBackend);
  const built = buildApp({
    redisUrl: REDIS_URL,
    keyPrefix,
    queueBackend,
    queuePrefix,
    postgresUrl: POSTGRES_URL,
    followers: options.followers ?? 0,
    lowFollowers: options.lowFollowers ?? 0,
    chunkSize: 100,
  });
  cleanups.push(async () => {
    await built.queue.obliterate().catch(() => undefined);
    await built.close();
    await deleteKeys(keyPrefix);
    await deleteQueue(queueBackend, queuePrefix);
  });
  return { ...built, keyPrefix, queuePrefix, queueBackend };
}

async function countsOf(queue: BullmqFanoutQueue, priority: FanoutPriority) {
  return queue
    .queue(priority)
    .getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
}

// The same tests with the queue on Redis and on PostgreSQL (BullMQ's PostgreSQL backend, a schema
// per test); the feeds are on Redis in both.
describe.each(queueBackends)('BullMQ fanout queue on %s', (queueBackend) => {
  it('puts HIGH and LOW tasks on their own (configurable) queues, as plain data with ids', async () => {
    const { queuePrefix } = prefixes('names', queueBackend);
    const queue = bullmqFanoutQueue({
      ...queueLocation({
        redisUrl: REDIS_URL,
        keyPrefix: '',
        queueBackend,
        queuePrefix,
        postgresUrl: POSTGRES_URL,
        followers: 0,
        lowFollowers: 0,
        chunkSize: 100,
      }),
      queueNames: { HIGH: 'hi', LOW: 'lo' },
    });
    cleanups.push(async () => {
      await queue.obliterate();
      await queue.close();
      await deleteQueue(queueBackend, queuePrefix);
    });
    const task = (priority: FanoutPriority, userIds: number[]): FanoutTask => ({
      type: 'fanout',
      operation: 'add',
      feed: 'normal',
      userIds,
      activities: ['{"serialized":true}'],
      trim: true,
      priority,
    });
    const tasks: ManagerTask[] = [
      task('HIGH', [1, 2]),
      task('LOW', [3]),
      task('HIGH', [4]),
      { type: 'follow', userId: 9, targetIds: [1], priority: 'HIGH' },
    ];
    const result = await queue.enqueue(tasks);
    expect(result.tasks).toBe(4);
    const high = await queue.queue('HIGH').getJobs(['waiting']);
    const low = await queue.queue('LOW').getJobs(['waiting']);
    expect(queue.queue('HIGH').name).toBe('hi');
    expect(
      high
        .map((job) => job.data)
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      [tasks[0], tasks[2], tasks[3]].sort((a, b) =>
        JSON.stringify(a).localeCompare(JSON.stringify(b)),
      ),
    );
    expect(low.map((job) => job.data)).toEqual([tasks[1]]);
    expect(high.map((job) => job.name).sort()).toEqual([
      'fanout.add.normal',
      'fanout.add.normal',
      'follow',
    ]);
    expect(high.every((job) => /^[0-9a-f-]{36}\.\d+$/.test(job.id!))).toBe(true);
    expect(low[0]!.opts.attempts).toBe(5);
    expect(() =>
      bullmqFanoutQueue({ connection: REDIS_URL, queueNames: { HIGH: 'same', LOW: 'same' } }),
    ).toThrow(/own queues/);
    expect(() => bullmqFanoutQueue({ connection: 'http://nope' })).toThrow(/redis:\/\//);
  });

  it('retries failed jobs, fails bad ones at once, and wait() reports both', async () => {
    const fixtureApp = app({ name: 'retry', followers: 150, queueBackend });
    let failures = 0;
    const flaky = {
      runTask: async (task: ManagerTask) => {
        if (task.type === 'fanout' && task.feed === 'normal' && failures < 2) {
          failures++;
          throw new Error('redis hiccup');
        }
        return fixtureApp.manager.runTask(task);
      },
    };
    const failed: string[] = [];
    const worker = fixtureApp.queue.createWorker({
      manager: flaky,
      concurrency: 2,
      onFailed: (error) => failed.push(error.message),
    });
    cleanups.push(() => worker.close());
    await worker.waitUntilReady();

    const activity = pin(1);
    const progress: number[] = [];
    const handle = await fixtureApp.manager.addUserActivity(AUTHOR, activity);
    expect(handle.tasks).toBe(4);
    await handle.wait({ onProgress: ({ completed }) => progress.push(completed) });
    expect(progress.at(-1)).toBe(4);
    expect(failed).toEqual(['redis hiccup', 'redis hiccup']);
    expect(await verifyFanout(fixtureApp, followerIds(150, HIGH_BASE), activity)).toEqual([]);

    // A task naming a feed the worker does not know fails for good at once (no retries).
    const bad = await fixtureApp.queue.enqueue([
      {
        type: 'fanout',
        operation: 'add',
        feed: 'nope',
        userIds: [1],
        activities: [],
        trim: true,
        priority: 'HIGH',
      },
    ]);
    const error = await bad.wait().catch((e: unknown) => e);
    expect(SfError.isInstance(error) && error.code).toBe('SF_FANOUT_FAILED');
    expect(String((error as Error).message)).toMatch(
      /fanout\.add\.nope.*after 1 attempts.*no feed named "nope"/,
    );

    // follow as a queued task, run by the worker
    const handleFollow = await fixtureApp.manager.followUser(42, AUTHOR, { queued: true });
    await handleFollow.wait();
    expect(await fixtureApp.feeds.normal.for(42).count()).toBe(1);
  });

  it('is idempotent: the same tasks delivered twice leave every feed as once', async () => {
    const fixtureApp = app({ name: 'twice', queueBackend });
    const worker = fixtureApp.queue.createWorker({ concurrency: 4 });
    cleanups.push(() => worker.close());
    const activity = pin(5);
    await fixtureApp.userFeed.insertActivity(activity);
    const ids = followerIds(250, HIGH_BASE);
    const tasks = fixtureApp.manager.createFanoutTasks(
      [[FanoutPriority.HIGH, ids]],
      'add',
      [activity],
      true,
    );
    const [first, second] = await Promise.all([
      fixtureApp.queue.enqueue(tasks),
      fixtureApp.queue.enqueue(tasks),
    ]);
    await Promise.all([first.wait(), second.wait()]);
    await (await fixtureApp.queue.enqueue(tasks)).wait();
    expect(await verifyFanout(fixtureApp, ids, activity)).toEqual([]);
  });

  it('runs an update in place as fanout.update jobs, only for the feeds holding copies', async () => {
    const fixtureApp = app({ name: 'update', queueBackend });
    const { queuePrefix } = prefixes('update-queue', queueBackend);
    const queue = bullmqFanoutQueue({
      ...queueLocation({
        redisUrl: REDIS_URL,
        keyPrefix: fixtureApp.keyPrefix,
        queueBackend,
        queuePrefix,
        postgresUrl: POSTGRES_URL,
        followers: 0,
        lowFollowers: 0,
        chunkSize: 100,
      }),
      waitPollInterval: 100,
    });
    const notification = NotificationFeed.define({
      name: 'notification',
      keyFormat: 'feed:notification:{userId}',
      storage: fixtureApp.storage,
    });
    const followers = followerIds(150, HIGH_BASE);
    const manager = new Manager({
      feeds: { normal: fixtureApp.feeds.normal, notification },
      userFeed: fixtureApp.userFeed,
      queue,
      fanoutChunkSize: 100,
      getFollowerIds: async () => followers,
    });
    const worker = queue.createWorker({ manager });
    cleanups.push(async () => {
      await worker.close();
      await queue.obliterate().catch(() => undefined);
      await queue.close();
      await deleteQueue(queueBackend, queuePrefix);
    });
    await worker.waitUntilReady();
    const activity = pin(3);
    await (await manager.addUserActivity(AUTHOR, activity)).wait();
    const handle = await manager.updateActivity(activity.withExtraContext({ title: 'renamed' }));
    expect(handle.tasks).toBe(2); // 2 chunks of followers x the notification feed (ids elsewhere)
    await handle.wait();
    const names = (await queue.queue('HIGH').getJobs(['completed'])).map((job) => job.name);
    expect(names.filter((name) => name.startsWith('fanout.update'))).toEqual([
      'fanout.update.notification',
      'fanout.update.notification',
    ]);
    for (const follower of [followers[0]!, followers.at(-1)!]) {
      const [item] = await notification.for(follower).get();
      expect(item!.activities[0]!.extraContext).toEqual({ title: 'renamed' });
      expect(item!.activities[0]!.serializationId).toBe(activity.serializationId);
      const [read] = await fixtureApp.feeds.normal.for(follower).get();
      expect(read!.extraContext).toEqual({ title: 'renamed' });
    }
  });

  it('a worker for HIGH only never takes LOW work', async () => {
    const fixtureApp = app({ name: 'priorities', followers: 300, lowFollowers: 200, queueBackend });
    const high = track(await startWorker({ ...fixtureApp, priorities: 'HIGH' }));
    const activity = pin(2);
    const handle = await fixtureApp.manager.addUserActivity(AUTHOR, activity);
    expect(handle.tasks).toBe(10); // HIGH: 3 chunks x 2 feeds, LOW: 2 chunks x 2 feeds
    for (let i = 0; i < 600; i++) {
      if ((await countsOf(fixtureApp.queue, 'HIGH')).completed === 6) break;
      await sleep(50);
    }
    await sleep(1500);
    expect(await countsOf(fixtureApp.queue, 'HIGH')).toMatchObject({
      completed: 6,
      waiting: 0,
      active: 0,
    });
    expect(await countsOf(fixtureApp.queue, 'LOW')).toMatchObject({
      waiting: 4,
      active: 0,
      completed: 0,
    });
    expect(await verifyFanout(fixtureApp, followerIds(300, HIGH_BASE), activity)).toEqual([]);
    expect(await fixtureApp.feeds.normal.for(LOW_BASE).count()).toBe(0);
    expect(await fixtureApp.feeds.aggregated.for(LOW_BASE + 199).count()).toBe(0);

    const low = track(await startWorker({ ...fixtureApp, priorities: 'LOW' }));
    await handle.wait();
    expect(await verifyFanout(fixtureApp, followerIds(200, LOW_BASE), activity)).toEqual([]);

    // SIGTERM: the worker finishes its jobs and exits cleanly.
    await stop(high);
    await stop(low);
    expect(await high.exited).toEqual({ code: 0, signal: null });
    expect(high.lines.some((line) => line.includes('"event":"stopped"'))).toBe(true);
    expect(await low.exited).toEqual({ code: 0, signal: null });
  });

  it('a producer process and two worker processes fan one activity out to 5,000 followers', async () => {
    const fixtureApp = app({ name: 'two-workers', followers: 5000, queueBackend });
    const workers = await Promise.all([startWorker(fixtureApp), startWorker(fixtureApp)]);
    workers.forEach(track);
    const producer = spawnNode(fixture('producer.ts'), {
      REDIS_URL,
      SF_KEY_PREFIX: fixtureApp.keyPrefix,
      ...queueEnv(queueBackend, fixtureApp.queuePrefix),
      SF_FOLLOWERS: '5000',
      SF_OBJECT: '3',
      SF_WAIT: '1',
    });
    const line = await producer.waitForLine((l) => l.startsWith('{'), 150_000);
    expect(await producer.exited).toEqual({ code: 0, signal: null });
    const report = JSON.parse(line) as { tasks: number; doneMs: number };
    expect(report.tasks).toBe(100); // 50 chunks x 2 feeds
    expect(await verifyFanout(fixtureApp, followerIds(5000, HIGH_BASE), pin(3))).toEqual([]);

    // Both worker processes took part.
    const jobs = await fixtureApp.queue.queue('HIGH').getJobs(['completed'], 0, -1);
    expect(jobs).toHaveLength(100);
    const names = new Set(jobs.map((job) => job.processedBy));
    expect(names.size).toBe(2);
    for (const worker of workers)
      expect([...names].some((name) => name?.endsWith(`-${worker.process.pid}`))).toBe(true);
  });

  it('recovers the jobs of a worker killed with SIGKILL during a 20,000-follower fanout', async () => {
    const fixtureApp = app({ name: 'sigkill', followers: 20_000, queueBackend });
    const [victim, survivor] = await Promise.all([
      startWorker(fixtureApp),
      startWorker(fixtureApp),
    ]);
    track(victim);
    track(survivor);
    const activity = pin(4);
    const handle = await fixtureApp.manager.addUserActivity(AUTHOR, activity);
    expect(handle.tasks).toBe(400);
    // Kill one worker once a quarter of the jobs are done, with jobs running in both.
    for (let i = 0; i < 3000; i++) {
      const counts = await countsOf(fixtureApp.queue, 'HIGH');
      if ((counts.completed ?? 0) >= 100) break;
      await sleep(20);
    }
    victim.process.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');
    await handle.wait();

    expect(await verifyFanout(fixtureApp, followerIds(20_000, HIGH_BASE), activity)).toEqual([]);
    const jobs = await fixtureApp.queue.queue('HIGH').getJobs(['completed'], 0, -1);
    expect(jobs).toHaveLength(400);
    const recovered = jobs.filter((job) => job.stalledCounter > 0);
    expect(recovered.length).toBeGreaterThan(0);
    expect(recovered.some((job) => job.processedBy?.endsWith(`-${survivor.process.pid}`))).toBe(
      true,
    );
    expect(await countsOf(fixtureApp.queue, 'HIGH')).toMatchObject({
      failed: 0,
      waiting: 0,
      active: 0,
    });
  });
});

describe.each(queueBackends)(
  'sf-fanout-worker, queue on %s from the environment',
  (queueBackend) => {
    it('builds its queue from SF_QUEUE_* when the manager has none of its own', async () => {
      const fixtureApp = app({ name: 'env-queue', followers: 300, queueBackend });
      track(await startWorker({ ...fixtureApp, managerModule: fixture('env-queue-app.ts') }));
      const activity = pin(6);
      const handle = await fixtureApp.manager.addUserActivity(AUTHOR, activity);
      await handle.wait();
      expect(await verifyFanout(fixtureApp, followerIds(300, HIGH_BASE), activity)).toEqual([]);
    });

    it('exits 1 naming the variable when the queue settings are bad', async () => {
      const bad: Record<string, string> =
        queueBackend === 'postgres'
          ? { SF_QUEUE_BACKEND: 'postgres', SF_QUEUE_POSTGRES_URL: 'mysql://db/app' }
          : { SF_QUEUE_BACKEND: 'kafka' };
      const child = spawnNode(workerCli, {
        SF_MANAGER_MODULE: fixture('env-queue-app.ts'),
        REDIS_URL,
        ...bad,
      });
      expect((await child.exited).code).toBe(1);
      expect(child.stderr.join('')).toMatch(
        queueBackend === 'postgres'
          ? /SF_QUEUE_POSTGRES_URL must be a postgres:\/\/ or postgresql:\/\/ URL/
          : /SF_QUEUE_BACKEND is redis or postgres, got "kafka"/,
      );
    });
  },
);

describe('sf-fanout-worker', () => {
  it('the worker CLI refuses to start without a manager module', async () => {
    const child = spawnNode(workerCli, { SF_MANAGER_MODULE: '' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr.join('')).toMatch(/SF_MANAGER_MODULE/);
    const wrong = spawnNode(workerCli, {
      SF_MANAGER_MODULE: fixture('app.ts'),
      SF_PRIORITIES: 'HIGH,MEDIUM',
    });
    expect((await wrong.exited).code).toBe(1);
    expect(wrong.stderr.join('')).toMatch(/SF_PRIORITIES takes HIGH and\/or LOW/);
  });
});
