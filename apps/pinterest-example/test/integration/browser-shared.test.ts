import { execFile } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { seed } from '../../src/seed.js';
import { buildApp } from '../../src/server.js';
import {
  APP_DIR,
  followPinNotifyFlow,
  launchChromium,
  screenshotDir,
  switchTo,
} from './browser.js';
import { actAs } from '../corrupt-records.js';
import { SHARED_MODES, finishModeRun, startWorker } from './modes.js';
import type { ModeSetup, WorkerProcess } from './modes.js';

/**
 * The browser flow in each mode whose processes share their storage (Redis; PostgreSQL alone):
 * fanout on BullMQ, run by a worker in a child process (`src/worker.ts`); a follow made by
 * another process raises the badge live. Each run has its own namespace, deleted afterwards.
 */
const run = promisify(execFile);

describe.each(SHARED_MODES)('browser: $label', (mode) => {
  const shots = screenshotDir(mode.name);
  let setup: ModeSetup;
  let runtime: Runtime;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    setup = await mode.setup('browser');
    // The web runtime first: it creates the schemas the worker then finds.
    runtime = await createRuntime(setup.overrides);
    worker = startWorker({ ...setup.env, SF_CONCURRENCY: '4' });
    await worker.ready;
    // The seed's fanout jobs are run by the worker process.
    const summary = await seed(runtime, { users: 12, pins: 60, seed: 5 });
    expect(summary.fanoutTasks).toBeGreaterThan(0);
    app = await buildApp({ runtime, cookieSecret: `${mode.name} browser test secret` });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    expect(await finishModeRun({ setup, runtime, app, worker })).toBe(0);
  });

  it('A follows B, B pins (fanned out by the worker process), A sees it; B gets a live badge', async () => {
    const { a, b } = await followPinNotifyFlow({
      browser,
      baseUrl,
      shots,
      tag: mode.name,
      fanoutTimeoutMs: 30_000,
    });
    await a.context.close();
    await b.context.close();
    // The jobs were BullMQ jobs run by the worker process, and the web process never ran one.
    const stats = await runtime.queueStats();
    expect(stats.kind).toBe('bullmq');
    expect(stats.service).toBe(mode.queueService);
    expect(stats.counts.HIGH.completed + stats.counts.LOW.completed).toBeGreaterThan(0);
    expect(stats.counts.HIGH.failed + stats.counts.LOW.failed).toBe(0);
    expect(worker!.output.join('')).toContain('"event":"job"');
    const counters = await runtime.store.readStats();
    expect(counters['fanout_tasks.normal']).toBeGreaterThan(0);
  });

  it('raises the badge live when another process adds the notification', async () => {
    const [someone, target] = await runtime.store.listUsers();
    const context = await browser.newContext({ baseURL: baseUrl });
    try {
      const page = await context.newPage();
      await page.goto('/');
      await switchTo(page, target!.id);
      // Nothing unseen to start with.
      await runtime.feeds.notification.for(target!.id).markAll({ seen: true });
      await page.reload();
      const badge = page.getByTestId('unseen-badge');
      await expect.poll(() => badge.isHidden()).toBe(true);
      await runtime.store.unfollow(someone!.id, target!.id);
      const { stdout } = await run(
        process.execPath,
        [
          '--conditions=@sf/source',
          '--import',
          'tsx',
          'test/integration/follow-in-child.ts',
          String(someone!.id),
          String(target!.id),
        ],
        { cwd: APP_DIR, env: { ...process.env, ...setup.env }, timeout: 60_000 },
      );
      expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ followed: true });
      // No reload: the count arrives over the page's event stream.
      await expect.poll(() => badge.innerText(), { timeout: 15_000 }).toBe('1');
    } finally {
      await context.close();
    }
  });

  it('renders every page', async () => {
    const [first, second] = await runtime.store.listUsers();
    const cookies = await actAs(app, first!.id);
    const pin = (await runtime.store.getPins([1])).get(1)!;
    for (const url of [
      '/',
      '/grouped',
      '/notifications',
      '/people',
      '/stats',
      `/u/${first!.id}`,
      `/u/${second!.id}/followers`,
      `/boards/${pin.boardId}`,
      '/pins/new',
      `/pins/${pin.id}`,
      '/more/home',
      '/more/grouped',
    ]) {
      const response = await app.inject({ method: 'GET', url, cookies });
      expect(response.statusCode, url).toBe(200);
    }
    const stats = await app.inject({ method: 'GET', url: '/stats', cookies });
    expect(stats.body).toContain(`BullMQ jobs in ${mode.queueService}`);
  });

  it('keeps its data in its storage, shared with other processes', async () => {
    await setup.expectDataStored(runtime);
    // A second runtime (another process would do the same) sees the same people and feeds.
    const other = await createRuntime(setup.overrides);
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
