import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { seed } from '../../src/seed.js';
import { buildApp } from '../../src/server.js';
import {
  APP_DIR,
  REPO_DIR,
  followPinNotifyFlow,
  launchChromium,
  screenshotDir,
} from './browser.js';

/**
 * The same browser flow in Redis mode: Redis storage and domain store, fanout on BullMQ, run by
 * a worker in a child process (`src/worker.ts`). Keys and queues get a prefix unique to the run
 * and are deleted afterwards.
 */

function ensureRedis(): string {
  if (process.env.REDIS_URL) return process.env.REDIS_URL;
  execFileSync('bash', [join(REPO_DIR, 'scripts', 'redis-single.sh'), 'ensure'], {
    stdio: 'inherit',
    timeout: 60_000,
  });
  return 'redis://127.0.0.1:6379';
}

interface Worker {
  child: ChildProcessByStdio<null, Readable, Readable>;
  output: string[];
  ready: Promise<void>;
}

function startWorker(env: Record<string, string>): Worker {
  const child = spawn(
    process.execPath,
    ['--conditions=@sf/source', '--import', 'tsx', 'src/worker.ts'],
    {
      cwd: APP_DIR,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker did not start within 60 s:\n${output.join('')}`)),
      60_000,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      if (output.join('').includes('"event":"ready"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited with ${code}:\n${output.join('')}`));
    });
  });
  ready.catch(() => undefined);
  return { child, output, ready };
}

async function stopWorker(worker: Worker | undefined): Promise<number | null> {
  if (!worker || worker.child.exitCode !== null) return worker?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) =>
    worker.child.once('exit', (code) => resolve(code)),
  );
  worker.child.kill('SIGTERM');
  const timer = setTimeout(() => worker.child.kill('SIGKILL'), 15_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

describe('browser: Redis storage + BullMQ workers', () => {
  const run = `${process.pid}-${Date.now().toString(36)}`;
  const keyPrefix = `pinterest-test-${run}:`;
  const queuePrefix = `pinterest-test-bull-${run}`;
  const shots = screenshotDir('redis');
  let redisUrl: string;
  let runtime: Runtime;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let worker: Worker | undefined;

  beforeAll(async () => {
    redisUrl = ensureRedis();
    worker = startWorker({
      SF_STORAGE: 'redis',
      REDIS_URL: redisUrl,
      SF_KEY_PREFIX: keyPrefix,
      SF_QUEUE_PREFIX: queuePrefix,
      SF_CONCURRENCY: '4',
    });
    runtime = await createRuntime({ storage: 'redis', redisUrl, keyPrefix, queuePrefix });
    await worker.ready;
    // The seed's fanout jobs are run by the worker process.
    const summary = await seed(runtime, { users: 12, pins: 60, seed: 5 });
    expect(summary.fanoutTasks).toBeGreaterThan(0);
    app = await buildApp({ runtime, cookieSecret: 'redis browser test secret' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    const code = await stopWorker(worker);
    if (runtime) {
      await runtime.reset();
      await runtime.close();
    }
    expect(code).toBe(0);
  });

  it('A follows B, B pins (fanned out by the worker process), A sees it; B gets a live badge', async () => {
    const { a, b } = await followPinNotifyFlow({
      browser,
      baseUrl,
      shots,
      tag: 'Redis',
      fanoutTimeoutMs: 30_000,
    });
    await a.context.close();
    await b.context.close();
    // The jobs were BullMQ jobs run by the worker process, and the web process never ran one.
    const stats = await runtime.queueStats();
    expect(stats.kind).toBe('bullmq');
    expect(stats.counts.HIGH.completed + stats.counts.LOW.completed).toBeGreaterThan(0);
    expect(stats.counts.HIGH.failed + stats.counts.LOW.failed).toBe(0);
    expect(worker!.output.join('')).toContain('"event":"job"');
    const counters = await runtime.store.readStats();
    expect(counters['fanout_tasks.normal']).toBeGreaterThan(0);
  });

  it('keeps its data in Redis under the run prefix, shared with other processes', async () => {
    const redis = runtime.redis!;
    const [, keys] = await redis.scan('0', 'MATCH', `${keyPrefix}*`, 'COUNT', 10_000);
    expect(keys.length).toBeGreaterThan(0);
    // A second runtime (another process would do the same) sees the same people and feeds.
    const other = await createRuntime({ storage: 'redis', redisUrl, keyPrefix, queuePrefix });
    try {
      const [mine, theirs] = await Promise.all([runtime.store.totals(), other.store.totals()]);
      expect(theirs).toEqual(mine);
      const someone = (await other.store.listUsers())[0]!;
      expect(await other.feeds.normal.for(someone.id).count()).toBe(
        await runtime.feeds.normal.for(someone.id).count(),
      );
    } finally {
      await other.close();
    }
  });
});
