// A returning inactive user in memory mode: the rebuild runs in the background of the web
// process, and its end is pushed on the user's event stream (`event: feed-ready`).
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, form, pinIds, startGatedMemoryApp } from '../test/app-harness.js';
import type { Cookies, GatedMemoryApp } from '../test/app-harness.js';
import { openEventStream } from '../test/event-stream.js';
import type { Runtime } from './runtime.js';
import { USER_COOKIE } from './server.js';

const INACTIVE_MS = 1000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('feed rebuilds pushed live (memory mode, SF_INACTIVE_MS)', () => {
  let gated: GatedMemoryApp;
  let runtime: Runtime;
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    gated = await startGatedMemoryApp({
      inactiveAfterMs: INACTIVE_MS,
      cookieSecret: 'rebuild push secret for tests',
    });
    ({ runtime, app, baseUrl: base } = gated);
  });

  afterAll(async () => {
    await gated?.close();
  });

  const get = (url: string, cookies: Cookies) => app.inject({ method: 'GET', url, cookies });
  const post = async (url: string, fields: Record<string, string>, cookies: Cookies = {}) =>
    app.inject({ method: 'POST', url, cookies, ...form(fields) });
  const join = async (name: string) => {
    const response = await post('/join', { name });
    expect(response.statusCode).toBe(303);
    const user = (await runtime.store.listUsers()).find((u) => u.name === name)!;
    return { id: user.id, cookies: cookieOf(response) };
  };

  it('shows "being prepared", then pushes feed-ready to the returning user only', async () => {
    const away = await join('Pushed Away');
    const author = await join('Pushed Author');
    expect((await post(`/u/${author.id}/follow`, { next: '/' }, away.cookies)).statusCode).toBe(
      303,
    );
    expect((await get('/', away.cookies)).statusCode).toBe(200);
    await sleep(INACTIVE_MS + 100);
    expect((await get('/', author.cookies)).statusCode).toBe(200); // the author stays active
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Pushed while away', boardId: String(board.id) },
      author.cookies,
    );
    expect(created.statusCode).toBe(303);
    const pin = Number(created.headers.location!.split('/').pop());
    expect(await runtime.feeds.normal.for(away.id).count()).toBe(0); // skipped

    const awayStream = await openEventStream(base, away.cookies[USER_COOKIE]!);
    const authorStream = await openEventStream(base, author.cookies[USER_COOKIE]!);
    try {
      await awayStream.next('counts');
      await authorStream.next('counts');
      const release = gated.hold();
      const back = await get('/', away.cookies);
      expect(back.body).toContain('data-testid="feed-preparing"');
      expect((await get('/feed-status', away.cookies)).json()).toEqual({ status: 'rebuilding' });
      await sleep(100);
      expect(awayStream.seen).not.toContain('feed-ready'); // not before it ended
      release();
      expect(JSON.parse(await awayStream.next('feed-ready'))).toEqual({ status: 'ready' });
      expect((await get('/feed-status', away.cookies)).json()).toEqual({ status: 'ready' });
      const more = (await get('/more/home', away.cookies)).json<{ html: string }>();
      expect(pinIds(more.html)).toEqual([pin]);
      await sleep(100);
      expect(authorStream.seen).not.toContain('feed-ready');
    } finally {
      awayStream.close();
      authorStream.close();
    }
    const home = await get('/', away.cookies);
    expect(home.body).not.toContain('feed-preparing');
    expect(pinIds(home.body)).toEqual([pin]);
  });
});
