import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DehydratedActivity, StorageUnavailableError } from '@sf/activity';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisUnavailableError, redisStorage } from '../../src/index.js';
import { eventually } from './helpers.js';
import { Group, flatSerializer, groupSerializer, testFormat } from './test-format.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server of this test's own, on a spare port: the shared 6379 server is never touched. */
class OwnRedis {
  process: ChildProcess | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), 'sf-redis-failure-'));
  constructor(readonly port: number) {}

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
      ],
      {
        stdio: 'ignore',
      },
    );
    this.process = child;
    const probe = new Redis({
      port: this.port,
      lazyConnect: true,
      retryStrategy: () => null,
      maxRetriesPerRequest: 0,
    });
    probe.on('error', () => {});
    await eventually(async () => {
      try {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        probe.disconnect();
        return false;
      }
    }, 10_000);
    probe.disconnect();
  }

  async stop(signal: NodeJS.Signals): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.process = null;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

describe('when Redis goes away mid-test', () => {
  let server: OwnRedis;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = new OwnRedis(await freePort());
    await server.start();
  });
  afterEach(async () => {
    if (!server.process) await server.start();
  });
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await server.dispose();
    expect(unhandled).toEqual([]);
  });

  const id = (n: number) => `${1_373_266_755_000 + n}0000000042003`;

  for (const [label, options] of [
    ['offline queue off (fail fast)', { enableOfflineQueue: false }],
    ['offline queue on, maxRetriesPerRequest 1', { enableOfflineQueue: true }],
  ] as const) {
    it(`raises StorageUnavailableError, then works once Redis is back (${label})`, async () => {
      const redis = new Redis({
        port: server.port,
        maxRetriesPerRequest: 1,
        retryStrategy: (times) => Math.min(times * 50, 200),
        ...options,
      });
      const errors: unknown[] = [];
      redis.on('error', (error) => errors.push(error)); // ioredis reports reconnection failures here
      try {
        const storage = redisStorage({ redis, format: testFormat, keyPrefix: 'failure:' });
        const flat = storage.timelineStorage({
          name: 'normal',
          kind: 'flat',
          serializer: flatSerializer,
        });
        const aggregated = storage.timelineStorage({
          name: 'agg',
          kind: 'aggregated',
          serializer: groupSerializer,
        });
        const markers = storage.markerStorage({ name: 'n' });
        await eventually(() => redis.status === 'ready', 5000);
        expect(await flat.add('feed:1', [new DehydratedActivity(id(1))])).toBe(1);

        await server.stop('SIGKILL');
        const attempts = [
          flat.get('feed:1', { offset: 0, limit: 10 }),
          flat.add('feed:1', [new DehydratedActivity(id(2))], { maxLength: 10 }),
          flat.addToMany(['feed:1', 'feed:2'], [new DehydratedActivity(id(3))], { maxLength: 10 }),
          flat.get('feed:1', { offset: 0, limit: 10, filter: { lt: id(9) } }),
          aggregated.modify('agg:1', {}, async () => ({
            remove: [],
            add: [new Group('g', '1000', ['1'])],
          })),
          markers.update('n:1', { add: { unseen: ['1'] } }, 100),
          markers.counts('n:1'),
          storage.activityStorage({ name: 'x' }).getMany([id(1)]),
        ];
        for (const attempt of attempts) {
          const error = await attempt.then(
            () => null,
            (caught: unknown) => caught,
          );
          expect(error).toBeInstanceOf(StorageUnavailableError);
          expect(error).toBeInstanceOf(RedisUnavailableError);
          expect((error as Error).message).toMatch(/^Redis is unavailable \(/);
        }

        await server.start();
        // the next call works (with the offline queue off, once ioredis has reconnected)
        if (!options.enableOfflineQueue) await eventually(() => redis.status === 'ready', 10_000);
        expect(await flat.add('feed:1', [new DehydratedActivity(id(4))], { maxLength: 10 })).toBe(
          1,
        );
        expect(
          (await flat.get('feed:1', { offset: 0, limit: 10 })).map((item) => item.serializationId),
        ).toEqual([id(4)]);
        await aggregated.modify('agg:1', {}, async () => ({
          remove: [],
          add: [new Group('g', '1000', ['1'])],
        }));
        expect(await aggregated.count('agg:1')).toBe(1);
      } finally {
        redis.disconnect();
      }
    });
  }

  it('fails a subscription with the typed error and survives a restart of Redis while subscribed', async () => {
    const redis = new Redis({
      port: server.port,
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(times * 50, 200),
    });
    redis.on('error', () => {});
    try {
      const markers = redisStorage({ redis, format: testFormat }).markerStorage({ name: 'n' });
      const events: unknown[] = [];
      const unsubscribe = await markers.subscribe((event) => events.push(event));
      await server.stop('SIGTERM');
      await expect(markers.update('n:2', { add: { unseen: ['1'] } }, 100)).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
      await server.start();
      // ioredis reconnects the subscriber and subscribes again
      await eventually(async () => {
        try {
          await markers.update('n:2', { add: { unseen: [String(Date.now())] } }, 100);
        } catch {
          return false;
        }
        return events.length > 0;
      }, 10_000);
      await unsubscribe();
    } finally {
      redis.disconnect();
    }
  });
});
