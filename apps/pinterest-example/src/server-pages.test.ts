// The app's pages, and who is acting (cookie, cross-site posts, escaping).
import { beforeAll, describe, expect, it } from 'vitest';
import { useSeededApp } from '../test/app-harness.js';
import type { Runtime } from './runtime.js';
import { USER_COOKIE } from './server.js';

const harness = useSeededApp();
const { actAs, join, get, post } = harness;
let runtime: Runtime;
beforeAll(() => {
  ({ runtime } = harness);
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
