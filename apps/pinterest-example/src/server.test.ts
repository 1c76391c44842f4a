import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';
import { seed } from './seed.js';
import { USER_COOKIE, buildApp } from './server.js';

let runtime: Runtime;
let app: FastifyInstance;

type Cookies = Record<string, string>;

/** The origin of the app under inject (Host: localhost:80). */
const ORIGIN = 'http://localhost:80';

function form(fields: Record<string, string | string[]>): {
  headers: Record<string, string>;
  payload: string;
} {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
  }
  return {
    // Same-origin posts say where they come from, as browsers do (inject's Host is localhost:80).
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    payload: params.toString(),
  };
}

function cookieOf(response: LightMyRequestResponse): Cookies {
  const cookie = response.cookies.find((c) => c.name === USER_COOKIE);
  if (!cookie) throw new Error(`no ${USER_COOKIE} cookie in the response (${response.statusCode})`);
  return { [USER_COOKIE]: cookie.value };
}

async function actAs(userId: number): Promise<Cookies> {
  const response = await app.inject({
    method: 'POST',
    url: '/switch',
    ...form({ userId: String(userId), next: '/' }),
  });
  expect(response.statusCode).toBe(303);
  return cookieOf(response);
}

async function join(name: string): Promise<{ cookies: Cookies; id: number }> {
  const response = await app.inject({ method: 'POST', url: '/join', ...form({ name }) });
  expect(response.statusCode).toBe(303);
  const cookies = cookieOf(response);
  const user = (await runtime.store.listUsers()).find((u) => u.name === name)!;
  return { cookies, id: user.id };
}

async function get(url: string, cookies: Cookies = {}, headers: Record<string, string> = {}) {
  return app.inject({ method: 'GET', url, cookies, headers });
}

async function post(
  url: string,
  fields: Record<string, string | string[]>,
  cookies: Cookies = {},
  headers: Record<string, string> = {},
) {
  const body = form(fields);
  return app.inject({
    method: 'POST',
    url,
    cookies,
    headers: { ...body.headers, ...headers },
    payload: body.payload,
  });
}

/** The text of a page: tags removed, whitespace collapsed, a few entities decoded. */
function textOf(body: string): string {
  return body
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** Pin ids on a page, in order. */
function pinIds(body: string): number[] {
  return [...body.matchAll(/data-pin="(\d+)"/g)].map((m) => Number(m[1]));
}

beforeAll(async () => {
  runtime = await createRuntime({ storage: 'memory' });
  await seed(runtime, { users: 12, pins: 80, seed: 7 });
  app = await buildApp({
    runtime,
    cookieSecret: 'a test secret that is long enough',
    pageSize: 6,
    groupPageSize: 3,
  });
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
});

describe('pages', () => {
  it('asks who you are when no one is acting', async () => {
    const response = await get('/');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('Who are you?');
    expect(response.body).toContain('data-testid="switcher"');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('renders every page for an acting user', async () => {
    const cookies = await actAs(1);
    const board = (await runtime.store.listBoards(1))[0]!;
    const pin = (await runtime.feeds.user.for(1).get({ limit: 1 }))[0];
    const pages = [
      '/',
      '/grouped',
      '/notifications',
      '/people',
      '/stats',
      '/stats/fragment',
      '/u/1',
      '/u/2',
      '/u/1/followers',
      '/u/1/following',
      `/boards/${board.id}`,
      '/pins/new',
      `/pins/${pin ? pin.objectId : 1}`,
    ];
    for (const url of pages) {
      const response = await get(url, cookies);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      if (url !== '/stats/fragment') expect(response.body, url).toContain('</html>');
    }
    for (const url of ['/stats.json', '/healthz', '/more/home', '/more/grouped', '/more/user/1']) {
      const response = await get(url, cookies);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toMatch(/^application\/json/);
    }
    for (const [url, type] of [
      ['/static/app.css', 'text/css'],
      ['/static/app.js', 'text/javascript'],
      ['/static/favicon.svg', 'image/svg+xml'],
      ['/img/pins/1.svg', 'image/svg+xml'],
      ['/img/avatars/1.svg', 'image/svg+xml'],
    ] as const) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(200);
      expect(response.headers['content-type'], url).toContain(type);
    }
  });

  it('shows public pages without a user and asks for one on personal pages', async () => {
    for (const url of ['/people', '/stats', '/u/1', '/pins/1', '/boards/1', '/u/1/followers']) {
      expect((await get(url)).statusCode, url).toBe(200);
    }
    for (const url of ['/grouped', '/notifications', '/pins/new', '/more/home', '/events']) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(401);
      expect(response.body, url).toContain('Pick who you are');
    }
    const response = await post('/pins/1/love', {});
    expect(response.statusCode).toBe(401);
  });

  it('serves a 304 for an unchanged static file', async () => {
    const first = await get('/static/app.css');
    const second = await get(
      '/static/app.css',
      {},
      { 'if-none-match': String(first.headers.etag) },
    );
    expect(second.statusCode).toBe(304);
  });
});

describe('bad input gives a clear 4xx page, never a 500', () => {
  it('validates ids in paths', async () => {
    const cases: Array<[string, number, string]> = [
      ['/u/abc', 400, 'The user id must be a positive whole number, got &quot;abc&quot;.'],
      ['/u/0', 400, 'must be between 1 and 2147483647'],
      ['/u/99999999999', 400, 'must be a positive whole number'],
      ['/u/4000', 404, 'There is nobody with user id 4000.'],
      ['/u/1.5', 400, 'positive whole number'],
      ['/u/-1', 400, 'positive whole number'],
      ['/pins/abc', 400, 'The pin id must be'],
      ['/pins/99999', 404, 'There is no pin with id 99999.'],
      ['/boards/x', 400, 'The board id must be'],
      ['/boards/99999', 404, 'There is no board with id 99999.'],
      ['/img/pins/x.svg', 400, 'The pin id must be'],
      ['/img/pins/1.png', 404, 'Images are served as .svg'],
      ['/img/avatars/77777.svg', 404, 'There is nobody with user id 77777.'],
      ['/static/nope.css', 404, 'There is no static file'],
      ['/more/user/abc', 400, 'The user id must be'],
      ['/u/abc/followers', 400, 'The user id must be'],
      ['/no/such/page', 404, 'There is no page at /no/such/page.'],
    ];
    for (const [url, status, message] of cases) {
      const response = await get(url);
      expect(response.statusCode, url).toBe(status);
      expect(response.body, url).toContain(message);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
    }
  });

  it('validates paging cursors', async () => {
    const cookies = await actAs(2);
    for (const url of [
      '/?before=abc',
      '/grouped?before=1e5',
      '/more/home?before=-1',
      '/u/1?before=12%2034',
      '/?before=1&before=2',
    ]) {
      const response = await get(url, cookies);
      expect(response.statusCode, url).toBe(400);
      expect(response.body, url).toContain('The paging cursor');
    }
    expect((await get('/boards/1?before=abc', cookies)).statusCode).toBe(400);
    expect((await get('/boards/1?before=99999', cookies)).statusCode).toBe(400);
  });

  it('validates the new pin form and shows the form again with the message', async () => {
    const { cookies, id } = await join('Form Tester');
    const board = (await runtime.store.listBoards(id))[0]!;
    const other = (await runtime.store.listBoards(1))[0]!;
    const cases: Array<[Record<string, string | string[]>, number, string]> = [
      [{ title: '', boardId: String(board.id) }, 400, 'Please give a title.'],
      [{ title: '   ', boardId: String(board.id) }, 400, 'Please give a title.'],
      [{ boardId: String(board.id) }, 400, 'Please give a title.'],
      [
        { title: 'x'.repeat(81), boardId: String(board.id) },
        400,
        'The title can be at most 80 characters (it has 81).',
      ],
      [{ title: 'ok', boardId: 'abc' }, 400, 'The board id must be a positive whole number'],
      [{ title: 'ok' }, 400, 'The board id must be a positive whole number, got nothing.'],
      [{ title: 'ok', boardId: '99999' }, 404, 'There is no board with id 99999.'],
      [{ title: 'ok', boardId: String(other.id) }, 403, 'belongs to someone else'],
      [
        { title: 'ok', boardId: String(board.id), pattern: 'plaid' },
        400,
        'The pattern must be one of',
      ],
      [
        { title: 'ok', boardId: String(board.id), hue: '400' },
        400,
        'The colour must be a whole number from 0 to 359',
      ],
      [{ title: ['a', 'b'], boardId: String(board.id) }, 400, 'The title must be text'],
      [{ title: 'bell\u0007', boardId: String(board.id) }, 400, 'characters that cannot be shown'],
    ];
    for (const [fields, status, message] of cases) {
      const response = await post('/pins', fields, cookies);
      expect(response.statusCode, JSON.stringify(fields)).toBe(status);
      expect(response.body, JSON.stringify(fields)).toContain(message);
      expect(response.body, JSON.stringify(fields)).toContain('data-testid="pin-form"');
    }
    expect(await runtime.feeds.user.for(id).count()).toBe(0);
  });

  it('validates boards, the switcher, joining, follows and notifications', async () => {
    const { cookies, id } = await join('Validator');
    const cases: Array<[string, Record<string, string | string[]>, number, string]> = [
      ['/boards', { name: '' }, 400, 'Please give a board name.'],
      ['/boards', { name: 'y'.repeat(41) }, 400, 'at most 40 characters'],
      ['/boards', { name: 'My pins' }, 409, 'You already have a board called “My pins”.'],
      ['/switch', { userId: 'me' }, 400, 'The user id must be a positive whole number'],
      ['/switch', { userId: '123456' }, 404, 'There is nobody with user id 123456.'],
      ['/join', { name: 'A' }, 400, 'The name needs at least 2 characters.'],
      [
        '/join',
        { name: 'Valid Name', handle: 'Bad Handle!' },
        400,
        'A handle is 3 to 20 lowercase letters',
      ],
      [`/u/${id}/follow`, {}, 400, 'You cannot follow yourself.'],
      [`/u/${id}/unfollow`, {}, 400, 'You cannot unfollow yourself.'],
      ['/u/abc/follow', {}, 400, 'The user id must be'],
      ['/u/55555/follow', {}, 404, 'There is nobody with user id 55555.'],
      [
        '/notifications/mark-all',
        { what: 'everything' },
        400,
        'The mark must be one of seen, read',
      ],
      ['/notifications/read', { id: 'abc' }, 400, 'The notification id must be digits only'],
      ['/notifications/read', {}, 400, 'The notification id must be digits only, got nothing.'],
      ['/pins/abc/love', {}, 400, 'The pin id must be'],
      ['/pins/99999/love', {}, 404, 'There is no pin with id 99999.'],
      ['/pins/1/delete', {}, 403, 'You can only delete your own pins.'],
    ];
    for (const [url, fields, status, message] of cases) {
      const response = await post(url, fields, cookies);
      expect(response.statusCode, `${url} ${JSON.stringify(fields)}`).toBe(status);
      expect(response.body, url).toContain(message.replace(/"/g, '&quot;'));
    }
  });

  it('refuses malformed bodies with 4xx', async () => {
    const cookies = await actAs(1);
    const plain = await app.inject({
      method: 'POST',
      url: '/boards',
      cookies,
      headers: { 'content-type': 'text/plain', origin: ORIGIN },
      payload: 'name=x',
    });
    expect(plain.statusCode).toBe(415);
    expect(plain.body).toContain('Forms must be sent as application/x-www-form-urlencoded');
    const json = await app.inject({
      method: 'POST',
      url: '/boards',
      cookies,
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      payload: '{"name":',
    });
    expect(json.statusCode).toBe(400);
    expect(json.body).toContain('not valid JSON');
    const array = await app.inject({
      method: 'POST',
      url: '/boards',
      cookies,
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      payload: '[1,2]',
    });
    expect(array.statusCode).toBe(400);
    expect(array.body).toContain('The form data could not be read.');
    const huge = await post('/boards', { name: 'z'.repeat(100_000) }, cookies);
    expect(huge.statusCode).toBe(413);
    const proto = await app.inject({
      method: 'POST',
      url: '/boards',
      cookies,
      headers: { 'content-type': 'application/json', origin: ORIGIN },
      payload: '{"__proto__":{"x":1},"name":"Proto"}',
    });
    expect(proto.statusCode).toBe(400);
  });

  it('answers JSON errors to JSON requests', async () => {
    const cookies = await actAs(1);
    const response = await get('/more/home?before=abc', cookies, { accept: 'application/json' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining('paging cursor'),
    });
  });

  it('never answers 500 to odd requests', async () => {
    const cookies = await actAs(3);
    const urls = [
      '/%',
      '/u/%E0%A4%A',
      '/pins/' + '9'.repeat(300),
      '/img/pins/.svg',
      '/img/avatars/%00.svg',
      '/?before=' + '1'.repeat(47),
      '/static/..%2Fpackage.json',
      '/u/1/followers/extra',
    ];
    for (const url of urls) {
      const response = await get(url, cookies);
      expect(response.statusCode, url).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, url).toBeLessThan(500);
    }
  });
});

describe('acting as someone', () => {
  it('ignores an unsigned or tampered cookie', async () => {
    const unsigned = await get('/notifications', { [USER_COOKIE]: '2' });
    expect(unsigned.statusCode).toBe(401);
    const signed = await actAs(1);
    const forged = signed[USER_COOKIE]!.replace(/^1\./, '2.');
    expect(forged).not.toBe(signed[USER_COOKIE]);
    const tampered = await get('/notifications', { [USER_COOKIE]: forged });
    expect(tampered.statusCode).toBe(401);
    expect(tampered.cookies.some((c) => c.name === USER_COOKIE && c.value === '')).toBe(true);
    expect((await get('/notifications', signed)).statusCode).toBe(200);
  });

  it('refuses cross-site form posts', async () => {
    const cookies = await actAs(1);
    const response = await post('/boards', { name: 'From elsewhere' }, cookies, {
      origin: 'https://evil.example',
      host: 'localhost:80',
    });
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('Cross-site form posts are refused.');
    const sameSite = await post('/boards', { name: 'From here' }, cookies, {
      origin: 'http://localhost:80',
      host: 'localhost:80',
    });
    expect(sameSite.statusCode).toBe(303);
  });

  it('only goes back to local pages after switching', async () => {
    const response = await post('/switch', { userId: '1', next: 'https://evil.example/' });
    expect(response.headers.location).toBe('/');
    const protocolRelative = await post('/switch', { userId: '1', next: '//evil.example/' });
    expect(protocolRelative.headers.location).toBe('/');
    const local = await post('/switch', { userId: '1', next: '/people' });
    expect(local.headers.location).toBe('/people');
  });

  it('escapes what people type', async () => {
    const { cookies, id } = await join('Mallory <b>Bold</b>');
    const board = (await runtime.store.listBoards(id))[0]!;
    const created = await post(
      '/pins',
      { title: '<script>alert(1)</script>', boardId: String(board.id) },
      cookies,
    );
    expect(created.statusCode).toBe(303);
    const profile = await get(`/u/${id}`, cookies);
    expect(profile.body).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(profile.body).not.toContain('<script>alert(1)');
    expect(profile.body).toContain('Mallory &lt;b&gt;Bold&lt;/b&gt;');
    const pinId = Number(created.headers.location!.split('/').pop());
    const svg = await get(`/img/pins/${pinId}.svg`);
    expect(svg.body).not.toContain('<script>');
    expect(svg.headers['content-security-policy']).toContain("default-src 'none'");
  });
});

describe('the feeds through the app', () => {
  it('follow and unfollow change the home feed at once; new pins fan out to followers', async () => {
    const alice = await join('Alice Route');
    const bob = await join('Bob Route');
    const bobBoard = (await runtime.store.listBoards(bob.id))[0]!;
    const first = await post(
      '/pins',
      { title: 'Before the follow', boardId: String(bobBoard.id), hue: '205', pattern: 'waves' },
      bob.cookies,
    );
    expect(first.statusCode).toBe(303);
    const firstPin = Number(first.headers.location!.split('/').pop());

    expect(pinIds((await get('/', alice.cookies)).body)).not.toContain(firstPin);
    const follow = await post(`/u/${bob.id}/follow`, { next: `/u/${bob.id}` }, alice.cookies);
    expect(follow.statusCode).toBe(303);
    expect(follow.headers.location).toBe(`/u/${bob.id}`);
    // The follow copied Bob's pins into Alice's feeds.
    expect(pinIds((await get('/', alice.cookies)).body)).toContain(firstPin);

    const second = await post(
      '/pins',
      { title: 'After the follow', boardId: String(bobBoard.id) },
      bob.cookies,
    );
    const secondPin = Number(second.headers.location!.split('/').pop());
    const home = await get('/', alice.cookies);
    expect(pinIds(home.body).slice(0, 2)).toEqual([secondPin, firstPin]);
    const grouped = await get('/grouped', alice.cookies);
    expect(textOf(grouped.body)).toContain(`Bob Route pinned 2 items to ${bobBoard.name}`);
    expect(grouped.body).toContain(`/img/pins/${secondPin}.svg`);

    // Bob hears about the follow.
    const notifications = await get('/notifications', bob.cookies);
    expect(textOf(notifications.body)).toContain('Alice Route started following you');
    expect(notifications.body).toMatch(/data-testid="unseen-badge"\s*>1<\/span\s*>/);

    const unfollow = await post(`/u/${bob.id}/unfollow`, {}, alice.cookies, {
      accept: 'application/json',
    });
    expect(unfollow.statusCode).toBe(200);
    expect(unfollow.json()).toMatchObject({ ok: true, following: false, followers: 0 });
    const after = await get('/', alice.cookies);
    expect(pinIds(after.body)).not.toContain(firstPin);
    expect(pinIds(after.body)).not.toContain(secondPin);
  });

  it('pages the home feed with activity-id cursors until the end', async () => {
    const cookies = await actAs(1);
    const first = await get('/', cookies);
    const seen = pinIds(first.body);
    expect(seen.length).toBe(6);
    let cursor = /data-cursor="(\d+)"/.exec(first.body)?.[1];
    expect(cursor).toBeDefined();
    let pages = 1;
    while (cursor) {
      const response = await get(`/more/home?before=${cursor}`, cookies, {
        accept: 'application/json',
      });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ html: string; cursor: string | null }>();
      const ids = pinIds(page.html);
      for (const id of ids) expect(seen).not.toContain(id);
      seen.push(...ids);
      cursor = page.cursor ?? undefined;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const all = await runtime.manager.readFeed(1, 'normal', {});
    expect(seen).toEqual(all.map((a) => a.objectId));
  });

  it('loves notify the owner; mark all seen and read clear the counts', async () => {
    const owner = await join('Owner Love');
    const fan = await join('Fan Love');
    const board = (await runtime.store.listBoards(owner.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Lovely', boardId: String(board.id) },
      owner.cookies,
    );
    const pinId = Number(created.headers.location!.split('/').pop());
    const love = await post(`/pins/${pinId}/love`, { next: '/' }, fan.cookies, {
      accept: 'application/json',
    });
    expect(love.json()).toMatchObject({ ok: true, loves: 1 });
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 1,
      unread: 1,
    });
    const page = await get('/notifications', owner.cookies);
    expect(textOf(page.body)).toContain('Fan Love loved your pin “Lovely”');
    expect(
      (await post('/notifications/mark-all', { what: 'seen' }, owner.cookies)).statusCode,
    ).toBe(303);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 1,
    });
    const id = /data-id="(\d+)"/.exec(page.body)![1]!;
    const read = await post('/notifications/read', { id, next: `/pins/${pinId}` }, owner.cookies);
    expect(read.headers.location).toBe(`/pins/${pinId}`);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 0,
    });
    // Loving twice changes nothing.
    await post(`/pins/${pinId}/love`, {}, fan.cookies);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 0,
    });
  });

  it('deleting a pin removes it from followers', async () => {
    const author = await join('Deleting Author');
    const reader = await join('Deleting Reader');
    await post(`/u/${author.id}/follow`, {}, reader.cookies);
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Short-lived', boardId: String(board.id) },
      author.cookies,
    );
    const pinId = Number(created.headers.location!.split('/').pop());
    expect(pinIds((await get('/', reader.cookies)).body)).toContain(pinId);
    expect((await post(`/pins/${pinId}/delete`, {}, reader.cookies)).statusCode).toBe(403);
    expect((await post(`/pins/${pinId}/delete`, {}, author.cookies)).statusCode).toBe(303);
    expect(pinIds((await get('/', reader.cookies)).body)).not.toContain(pinId);
    expect((await get(`/pins/${pinId}`)).statusCode).toBe(404);
  });

  it('shows the fanout on the stats page', async () => {
    const stats = await get('/stats.json');
    const body = stats.json<{
      queue: { kind: string; counts: Record<string, { completed: number }> };
      lastFanout: { tasks: number } | null;
    }>();
    expect(body.queue.kind).toBe('in-process');
    expect(body.queue.counts.HIGH!.completed + body.queue.counts.LOW!.completed).toBeGreaterThan(0);
    expect(body.lastFanout).not.toBeNull();
    const page = await get('/stats');
    expect(page.body).toContain('data-testid="queue-table"');
    expect(page.body).toContain('data-testid="last-fanout-ms"');
  });
});

describe('live counts', () => {
  it('streams unseen counts over server-sent events', async () => {
    const target = await join('Streamed Target');
    const follower = await join('Streamed Follower');
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as AddressInfo;
    const controller = new AbortController();
    const response = await fetch(`http://127.0.0.1:${port}/events`, {
      headers: { cookie: `${USER_COOKIE}=${encodeURIComponent(target.cookies[USER_COOKIE]!)}` },
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const nextCounts = async (): Promise<{ unseen: number; unread: number }> => {
      for (;;) {
        const match = /event: counts\ndata: (.*)\n\n/.exec(buffer);
        if (match) {
          buffer = buffer.slice(match.index + match[0].length);
          return JSON.parse(match[1]!) as { unseen: number; unread: number };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value as Uint8Array, { stream: true });
      }
    };
    expect(await nextCounts()).toEqual({ unseen: 0, unread: 0 });
    await post(`/u/${target.id}/follow`, {}, follower.cookies);
    expect(await nextCounts()).toEqual({ unseen: 1, unread: 1 });
    await post('/notifications/mark-all', { what: 'seen' }, target.cookies);
    expect(await nextCounts()).toEqual({ unseen: 0, unread: 1 });
    controller.abort();
  });
});

describe('large accounts pulled at read time (SF_MAX_FANOUT_FOLLOWERS)', () => {
  it('merges a large author into the home feed without pushing to it', async () => {
    const pullRuntime = await createRuntime({ storage: 'memory', maxFanoutFollowers: 2 });
    const pullApp = await buildApp({ runtime: pullRuntime, cookieSecret: 'pull secret for tests' });
    try {
      const joinHere = async (name: string) => {
        const response = await pullApp.inject({ method: 'POST', url: '/join', ...form({ name }) });
        const user = (await pullRuntime.store.listUsers()).find((u) => u.name === name)!;
        return { cookies: cookieOf(response), id: user.id };
      };
      const star = await joinHere('Star Account');
      const fans = [
        await joinHere('Fan One'),
        await joinHere('Fan Two'),
        await joinHere('Fan Three'),
      ];
      for (const fan of fans) {
        await pullApp.inject({
          method: 'POST',
          url: `/u/${star.id}/follow`,
          cookies: fan.cookies,
          ...form({}),
        });
      }
      const board = (await pullRuntime.store.listBoards(star.id))[0]!;
      const created = await pullApp.inject({
        method: 'POST',
        url: '/pins',
        cookies: star.cookies,
        ...form({ title: 'For everyone', boardId: String(board.id) }),
      });
      const pinId = Number(created.headers.location!.split('/').pop());
      const fan = fans[0]!;
      // Not pushed to the flat home feed (3 followers > 2)...
      expect(await pullRuntime.feeds.normal.for(fan.id).count()).toBe(0);
      // ...but merged in when the home page is read, and still pushed to the grouped feed.
      const home = await pullApp.inject({ method: 'GET', url: '/', cookies: fan.cookies });
      expect(pinIds(home.body)).toEqual([pinId]);
      expect(textOf(home.body)).toContain('1 large account merged in at read time.');
      expect(await pullRuntime.feeds.aggregated.for(fan.id).count()).toBe(1);
    } finally {
      await pullApp.close();
      await pullRuntime.close();
    }
  });
});
