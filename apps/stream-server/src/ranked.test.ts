import { describe, expect, it } from 'vitest';
import { parseConfig } from './config.js';
import { ConfigError } from './config/error.js';
import { testConfig } from './test-config.js';
import { T0, read, useTestApp, write } from './test-app.js';

const server = useTestApp();

interface Ranked {
  items: Array<{ id: string; extraContext: { likes?: number } }>;
  scores: number[];
  ranking: string;
  nextCursor: string | null;
  code?: string;
  message?: string;
}

async function get(url: string): Promise<{ status: number; body: Ranked }> {
  const response = await server.app.inject({ method: 'GET', url, headers: read });
  return { status: response.statusCode, body: response.json<Ranked>() };
}

async function publish(object: number, likes: number, time = T0 + object * 1000): Promise<string> {
  const response = await server.app.inject({
    method: 'POST',
    url: '/users/1/activities',
    headers: write,
    payload: { verb: 'pin', object, time, extraContext: { likes } },
  });
  expect(response.statusCode).toBe(201);
  return response.json<{ id: string }>().id;
}

describe('ranked reads (?ranking=<name>&cursor=...)', () => {
  it('ranks by decayed popularity, pages with a cursor, and new arrivals wait for a fresh first page', async () => {
    await server.app.inject({ method: 'PUT', url: '/users/2/following/1', headers: write });
    const likes = [3, 0, 9, 1, 9, 4, 0, 2];
    const published: Array<{ id: string; likes: number }> = [];
    for (const [i, count] of likes.entries())
      published.push({ id: await publish(i + 1, count), likes: count });
    // One second apart, so popularity decides; equal counts: newest first.
    const expected = [...published]
      .reverse()
      .sort((a, b) => b.likes - a.likes)
      .map((entry) => entry.id);

    const served: string[] = [];
    let url = '/feeds/timeline/2?ranking=popular&limit=3';
    let pages = 0;
    for (;;) {
      const { status, body } = await get(url);
      expect(status).toBe(200);
      expect(body.ranking).toBe('popular');
      expect(body.scores).toHaveLength(body.items.length);
      served.push(...body.items.map((item) => item.id));
      pages += 1;
      // A very popular pin arrives between pages: not in this read.
      await publish(100 + pages, 1000, T0 + 60_000 + pages);
      if (body.nextCursor === null) break;
      url = `/feeds/timeline/2?ranking=popular&limit=3&cursor=${body.nextCursor}`;
    }
    expect(pages).toBe(3);
    expect(served).toEqual(expected);
    const fresh = await get('/feeds/timeline/2?ranking=popular&limit=3');
    expect(fresh.body.items.map((item) => item.extraContext.likes)).toEqual([1000, 1000, 1000]);
    // The plain read is still newest first.
    const plain = await get('/feeds/timeline/2?limit=3');
    expect(plain.body.nextCursor).toBeUndefined();
    expect(plain.body.items.map((item) => item.extraContext.likes)).toEqual([1000, 1000, 1000]);
  });

  it('answers 400 for a bad cursor, an unknown ranking, offset paging and non-flat feeds', async () => {
    await server.app.inject({ method: 'PUT', url: '/users/2/following/1', headers: write });
    for (let i = 1; i <= 4; i++) await publish(i, i);
    const first = await get('/feeds/timeline/2?ranking=popular&limit=2');
    const cursor = first.body.nextCursor!;
    expect(cursor).toEqual(expect.any(String));
    const bad = [
      `/feeds/timeline/2?ranking=popular&cursor=${cursor.slice(0, -4)}`,
      `/feeds/timeline/2?ranking=popular&cursor=${cursor.slice(0, 10)}${cursor[10] === 'x' ? 'y' : 'x'}${cursor.slice(11)}`,
      '/feeds/timeline/2?ranking=popular&cursor=not*base64',
      `/feeds/timeline/3?ranking=popular&cursor=${cursor}`,
      `/feeds/timeline/2?cursor=${cursor}`,
      '/feeds/timeline/2?ranking=nope',
      '/feeds/timeline/2?ranking=popular&offset=2',
      '/feeds/aggregated/2?ranking=popular',
    ];
    for (const url of bad) {
      const { status, body } = await get(url);
      expect({ url, status, code: body.code }).toEqual({
        url,
        status: 400,
        code: expect.any(String),
      });
    }
    const next = await get(`/feeds/timeline/2?ranking=popular&limit=2&cursor=${cursor}`);
    expect(next.status).toBe(200);
    expect(next.body.items).toHaveLength(2);
    expect(next.body.nextCursor).toBeNull();
  });

  it('validates rankings in the config file', () => {
    const base = testConfig();
    const withRanking = (feed: Record<string, unknown>) => () =>
      parseConfig({
        feeds: [
          { name: 'user', type: 'flat', keyFormat: 'user:{userId}', role: 'user' },
          { name: 'timeline', type: 'flat', keyFormat: 'feed:{userId}', ...feed },
        ],
        tenants: base.tenants,
      });
    expect(withRanking({ rankings: { popular: { candidates: 0 } } })).toThrow(ConfigError);
    expect(withRanking({ rankings: { popular: { halfLifeHours: -1 } } })).toThrow(/halfLifeHours/);
    expect(withRanking({ rankings: { popular: { popularityField: 'a.b' } } })).toThrow(
      /popularityField/,
    );
    expect(withRanking({ rankings: { popular: { score: 'x' } } })).toThrow(/unknown field/);
    expect(withRanking({ rankings: { popular: {} } })().feeds[1]!.rankings).toEqual({
      popular: { candidates: 100, halfLifeHours: 24 },
    });
  });
});
