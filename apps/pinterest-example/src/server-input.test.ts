// Bad input of every kind gets a clear 4xx page (or JSON), never a 500.
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, useSeededApp } from '../test/app-harness.js';
import type { Runtime } from './runtime.js';

const harness = useSeededApp();
const { actAs, join, get, post } = harness;
let app: FastifyInstance;
let runtime: Runtime;
beforeAll(() => {
  ({ app, runtime } = harness);
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
