import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { USER_COOKIE, buildApp } from '../../src/server.js';
import { cookieOf, form, startGatedMemoryApp } from '../app-harness.js';
import type { Cookies, GatedMemoryApp } from '../app-harness.js';
import { launchChromium, screenshotDir } from './browser.js';
import { SHARED_MODES, startWorker, stopWorker } from './modes.js';
import type { ModeSetup, WorkerProcess } from './modes.js';
import { expectLiveFill, openHomeWatched } from './rebuild-browser.js';

const INACTIVE_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The app's requests, for arranging a returning reader (the browser is for what they see). */
function client(app: FastifyInstance, runtime: Runtime) {
  const get = (url: string, cookies: Cookies) => app.inject({ method: 'GET', url, cookies });
  const post = (url: string, fields: Record<string, string>, cookies: Cookies = {}) =>
    app.inject({ method: 'POST', url, cookies, ...form(fields) });
  const join = async (name: string) => {
    const response = await post('/join', { name });
    expect(response.statusCode).toBe(303);
    const user = (await runtime.store.listUsers()).find((u) => u.name === name)!;
    return { id: user.id, cookies: cookieOf(response) };
  };
  /**
   * `away` follows the author and reads, goes away for longer than SF_INACTIVE_MS, and the
   * author pins meanwhile (`other`, who follows too, is active). Returns the pin's id once the
   * fanout reached `other` (and, the reader being inactive, not `away`).
   */
  const arrange = async (tag: string) => {
    const [away, other, author] = [
      await join(`${tag} Away`),
      await join(`${tag} Other`),
      await join(`${tag} Author`),
    ];
    for (const reader of [away, other])
      expect((await post(`/u/${author.id}/follow`, { next: '/' }, reader.cookies)).statusCode).toBe(
        303,
      );
    expect((await get('/', away.cookies)).statusCode).toBe(200);
    await sleep(INACTIVE_MS + 300);
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: `${tag}: pinned while you were away`, boardId: String(board.id) },
      author.cookies,
    );
    expect(created.statusCode).toBe(303);
    const pin = Number(created.headers.location!.split('/').pop());
    const normal = runtime.feeds.normal;
    for (let i = 0; i < 300 && (await normal.for(other.id).count()) === 0; i++) await sleep(50);
    expect((await normal.for(other.id).get()).map((a) => Number(a.objectId))).toEqual([pin]);
    expect(await normal.for(away.id).count()).toBe(0);
    return { pin, away };
  };
  return { arrange };
}

/** Memory mode: the rebuild runs in the web process's background queue; its end is pushed. */
describe("browser: a returning reader's feed fills in live (memory)", () => {
  let gated: GatedMemoryApp;
  let browser: Browser;

  beforeAll(async () => {
    gated = await startGatedMemoryApp({
      inactiveAfterMs: INACTIVE_MS,
      cookieSecret: 'browser rebuild secret',
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await gated?.close();
  });

  it('shows "being prepared", then the pin appears and the banner goes, pushed, no polling', async () => {
    const { pin, away } = await client(gated.app, gated.runtime).arrange('Mem');
    const release = gated.hold();
    const watched = await openHomeWatched(browser, gated.baseUrl, away.cookies[USER_COOKIE]!);
    await expectLiveFill(
      watched,
      pin,
      async () => {
        await sleep(500); // a stream that polled would have asked by now
        release();
      },
      screenshotDir('memory'),
      'rebuild',
    );
    await watched.close();
  });
});

/**
 * The shared modes: the rebuild runs in a worker process. The worker is stopped while the
 * reader comes back, so the page is up with its stream connected before the rebuild can run;
 * a new worker then rebuilds, and its end reaches the web process through the backend's events.
 */
describe.each(SHARED_MODES)("browser: a returning reader's feed fills in live ($label)", (mode) => {
  let setup: ModeSetup;
  let runtime: Runtime;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let worker: WorkerProcess | undefined;
  const codes: Array<number | null> = [];

  beforeAll(async () => {
    setup = await mode.setup('brebuild');
    runtime = await createRuntime({ ...setup.overrides, inactiveAfterMs: INACTIVE_MS });
    worker = startWorker({ ...setup.env, SF_INACTIVE_MS: String(INACTIVE_MS) });
    await worker.ready;
    app = await buildApp({ runtime, cookieSecret: `${mode.name} browser rebuild secret` });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    if (worker) codes.push(await stopWorker(worker));
    if (runtime) {
      await runtime.reset();
      await runtime.close();
    }
    await setup?.finish();
    expect(codes.every((code) => code === 0)).toBe(true);
  });

  it('a worker rebuilds; the page fills in when the event arrives, without polling', async () => {
    const { pin, away } = await client(app, runtime).arrange(mode.name);
    codes.push(await stopWorker(worker));
    worker = undefined;
    const watched = await openHomeWatched(browser, baseUrl, away.cookies[USER_COOKIE]!);
    await expectLiveFill(
      watched,
      pin,
      async () => {
        worker = startWorker({ ...setup.env, SF_INACTIVE_MS: String(INACTIVE_MS) });
        await worker.ready;
      },
      screenshotDir(mode.name),
      'rebuild',
    );
    await watched.close();
    expect(worker!.output.join('')).toContain('"name":"rebuild"');
  });
});
