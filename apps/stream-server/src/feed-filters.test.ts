import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.js';
import { testConfig } from './test-config.js';
import { T0, read, useTestApp, write } from './test-app.js';

const server = useTestApp();

interface Body {
  id: string;
  items: Array<{ id: string; verb?: string; extraContext?: { board?: string | number } }>;
  counts?: Record<string, number>;
  message?: string;
  result?: { counts: Record<string, number> };
}

async function send(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: unknown,
  headers = write,
) {
  const response = await server.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.json<Body>() };
}

const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

/** Publishes 12 activities of user 1 (pin and love, boards cats/dogs/none) to follower 2. */
async function publish(): Promise<Array<{ id: string; verb: string; board: string | undefined }>> {
  await send('PUT', '/users/2/following/1');
  const published = [];
  for (let i = 0; i < 12; i++) {
    const verb = i % 3 === 0 ? 'love' : 'pin';
    const board = i % 4 === 3 ? undefined : i % 2 === 0 ? 'cats' : 'dogs';
    const { status, body } = await send('POST', '/users/1/activities', {
      verb,
      object: 100 + i,
      time: T0 + i * 1000,
      extraContext: board === undefined ? {} : { board },
    });
    expect(status).toBe(201);
    published.push({ id: body.id, verb, board });
  }
  return published.reverse(); // newest first, as feeds return them
}

describe('feed filters and counts', () => {
  it('filters a feed page by verb and by the indexed field, with paging and id bounds', async () => {
    const all = await publish();
    const get = async (query: string) =>
      (await send('GET', `/feeds/timeline/2?${query}`, undefined, read)).body;
    const loves = all.filter((a) => a.verb === 'love').map((a) => a.id);
    expect(loves.length).toBe(4);
    expect(ids((await get('verb=love')).items)).toEqual(loves);
    expect(ids((await get('verb=3')).items)).toEqual(loves);
    const cats = all.filter((a) => a.board === 'cats').map((a) => a.id);
    expect(ids((await get('board=cats')).items)).toEqual(cats);
    expect(ids((await get('board=cats&offset=1&limit=2')).items)).toEqual(cats.slice(1, 3));
    const pinDogs = all.filter((a) => a.verb === 'pin' && a.board === 'dogs').map((a) => a.id);
    expect(pinDogs.length).toBeGreaterThan(0);
    expect(ids((await get('verb=pin&board=dogs')).items)).toEqual(pinDogs);
    expect(ids((await get(`verb=love&idLt=${loves[0]!}`)).items)).toEqual(loves.slice(1));
    // Aggregated feeds filter by the verbs their aggregated activities hold.
    const aggregated = await send('GET', '/feeds/aggregated/2?verb=love', undefined, read);
    expect(aggregated.status).toBe(200);
    expect(aggregated.body.items.length).toBe(1);
  });

  it('counts per verb and per field value, over REST and JSON-RPC', async () => {
    const all = await publish();
    const counts = await send('GET', '/feeds/timeline/2/counts', undefined, read);
    expect(counts.status).toBe(200);
    expect(counts.body).toEqual({
      feed: 'timeline',
      userId: '2',
      by: 'verb',
      counts: { love: 4, pin: 8 },
    });
    const boards = await send('GET', '/feeds/timeline/2/counts?by=board', undefined, read);
    expect(boards.body.counts).toEqual({
      cats: all.filter((a) => a.board === 'cats').length,
      dogs: all.filter((a) => a.board === 'dogs').length,
    });
    const rpc = await send('POST', '/rpc', {
      jsonrpc: '2.0',
      id: 1,
      method: 'countFeed',
      params: { feed: 'timeline', userId: '2', by: 'verb' },
    });
    expect(rpc.body.result?.counts).toEqual({ love: 4, pin: 8 });
  });

  it('refuses undeclared dimensions, unknown verbs and unknown parameters with 400s', async () => {
    await publish();
    const status = async (url: string) => (await send('GET', url, undefined, read)).status;
    const message = async (url: string) => (await send('GET', url, undefined, read)).body.message;
    expect(await status('/feeds/timeline/2?verb=cuddle')).toBe(400);
    expect(await message('/feeds/timeline/2?verb=cuddle')).toMatch(/cuddle/);
    expect(await status('/feeds/notification/2?verb=love')).toBe(400);
    expect(await message('/feeds/notification/2?verb=love')).toMatch(/index/);
    expect(await status('/feeds/aggregated/2?board=cats')).toBe(400);
    expect(await status('/feeds/timeline/2?colour=red')).toBe(400);
    expect(await status('/feeds/aggregated/2/counts?by=board')).toBe(400);
    expect(await status('/feeds/user/1/counts')).toBe(400);
  });

  it('validates index in the config', () => {
    const withIndex = (index: unknown) =>
      testConfig({
        feeds: [
          { name: 'user', type: 'flat', keyFormat: 'user:{userId}', role: 'user' },
          { name: 'timeline', type: 'flat', keyFormat: 'feed:{userId}', index },
        ],
      });
    expect(withIndex({ verb: true, field: 'board' }).feeds[1]!.index).toEqual({
      verb: true,
      field: 'board',
    });
    expect(() => withIndex({ field: 'limit' })).toThrow(ConfigError);
    expect(() => withIndex({ field: 'a-b' })).toThrow(/index\.field/);
    expect(() => withIndex({ verb: 'yes' })).toThrow(/index\.verb/);
    expect(() => withIndex({ fields: ['a'] })).toThrow(ConfigError);
  });
});
