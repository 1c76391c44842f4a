import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { USER_COOKIE, buildApp } from '../../src/server.js';
import { cookieOf, form, pinIds } from '../app-harness.js';
import type { Cookies } from '../app-harness.js';
import { openEventStream } from '../event-stream.js';
import { SHARED_MODES, cassandraModes, finishModeRun, startWorker } from './modes.js';
import type { ModeSetup, WorkerProcess } from './modes.js';

const INACTIVE_MS = 1500;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Inactive followers in the shared modes: fanouts (BullMQ jobs run by a worker process) skip a
 * follower who has not opened their home feed for SF_INACTIVE_MS; opening it again shows "your
 * feed is being prepared" while a worker rebuilds it, and the pins are there once it is done.
 * The end of the worker's rebuild reaches the web process through the backend's events (Redis
 * pub/sub, PostgreSQL LISTEN/NOTIFY; in Cassandra mode the activity clock is in Redis) and is
 * pushed on the reader's `/events` stream.
 */
describe.each([...SHARED_MODES, ...cassandraModes()])('inactive followers: $label', (mode) => {
  let setup: ModeSetup;
  let runtime: Runtime;
  let app: FastifyInstance;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    setup = await mode.setup('inactive');
    runtime = await createRuntime({ ...setup.overrides, inactiveAfterMs: INACTIVE_MS });
    worker = startWorker({ ...setup.env, SF_INACTIVE_MS: String(INACTIVE_MS) });
    await worker.ready;
    app = await buildApp({ runtime, cookieSecret: `${mode.name} inactive test secret` });
    await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    expect(await finishModeRun({ setup, runtime, app, worker })).toBe(0);
  });

  const get = (url: string, cookies: Cookies) => app.inject({ method: 'GET', url, cookies });
  const post = (url: string, fields: Record<string, string>, cookies: Cookies = {}) => {
    const body = form(fields);
    return app.inject({
      method: 'POST',
      url,
      cookies,
      headers: body.headers,
      payload: body.payload,
    });
  };
  const join = async (name: string) => {
    const response = await post('/join', { name });
    expect(response.statusCode).toBe(303);
    const user = (await runtime.store.listUsers()).find((u) => u.name === name)!;
    return { id: user.id, cookies: cookieOf(response) };
  };

  it('skips the away reader, shows "being prepared" while a worker rebuilds, then the pins', async () => {
    const [away, other, author] = [
      await join('Away Reader'),
      await join('Other Reader'),
      await join('The Author'),
    ];
    for (const reader of [away, other])
      expect((await post(`/u/${author.id}/follow`, { next: '/' }, reader.cookies)).statusCode).toBe(
        303,
      );
    expect((await get('/', away.cookies)).statusCode).toBe(200); // active now
    await sleep(INACTIVE_MS + 300); // and away; `other` never opened home: counts as active
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'While you were away', boardId: String(board.id) },
      author.cookies,
    );
    expect(created.statusCode).toBe(303);
    const pin = Number(created.headers.location!.split('/').pop());
    // The worker fans it out: to `other`, not to `away` (read the feeds without touching).
    const normal = runtime.feeds.normal;
    for (let i = 0; i < 300 && (await normal.for(other.id).count()) === 0; i++) await sleep(50);
    expect((await normal.for(other.id).get()).map((a) => a.objectId)).toEqual([pin]);
    expect(await normal.for(away.id).count()).toBe(0);

    // The reader's page is open (its event stream connected) when they come back.
    const { port } = app.server.address() as AddressInfo;
    const stream = await openEventStream(`http://127.0.0.1:${port}`, away.cookies[USER_COOKIE]!);
    try {
      await stream.next('counts');
      const back = await get('/', away.cookies);
      expect(back.statusCode).toBe(200);
      expect(back.body).toContain('data-testid="feed-preparing"');
      expect(back.body).toContain('Your feed is being prepared');
      // Pushed by the web process when the worker's rebuild ended: no /feed-status polling.
      expect(JSON.parse(await stream.next('feed-ready', 30_000))).toEqual({ status: 'ready' });
    } finally {
      stream.close();
    }
    expect((await get('/feed-status', away.cookies)).json()).toEqual({ status: 'ready' });
    const home = await get('/', away.cookies);
    expect(home.body).not.toContain('feed-preparing');
    expect(pinIds(home.body)).toEqual([pin]);
    expect((await normal.for(away.id).get()).map((a) => a.objectId)).toEqual([pin]);
    expect(worker!.output.join('')).toContain('"event":"job"');
  });
});
