import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { parseConfig } from './config.js';
import { READ_KEY, WRITE_KEY, testConfig } from './test-config.js';

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function send(
  method: 'GET' | 'POST' | 'PUT',
  url: string,
  payload?: object,
  key = WRITE_KEY,
) {
  const response = await app!.inject({
    method,
    url,
    headers: { 'x-api-key': key },
    ...(payload === undefined ? {} : { payload }),
  });
  return {
    status: response.statusCode,
    retryAfter: response.headers['retry-after'],
    body: response.json<{ items: Array<{ id: string }>; rebuilding?: boolean }>(),
  };
}

describe('inactive followers', () => {
  it('config: off by default; checked when given', () => {
    expect(parseConfig({}).inactiveFollowers).toBeNull();
    expect(parseConfig({ inactiveFollowers: { afterMs: 1000 } }).inactiveFollowers).toEqual({
      afterMs: 1000,
      retryAfterSeconds: 2,
    });
    expect(() => parseConfig({ inactiveFollowers: { afterMs: 0 } })).toThrow(
      /inactiveFollowers.afterMs: must be a positive integer/,
    );
    expect(() => parseConfig({ inactiveFollowers: { after: 5 } })).toThrow(/unknown field "after"/);
  });

  it('skips readers away too long, answers 206 with Retry-After while rebuilding, then the whole feed', async () => {
    app = await buildApp({
      config: testConfig({
        fanout: 'background',
        inactiveFollowers: { afterMs: 200, retryAfterSeconds: 3 },
      }),
    });
    await send('PUT', '/users/2/following/1');
    await send('PUT', '/users/3/following/1');
    expect((await send('GET', '/feeds/timeline/2', undefined, READ_KEY)).status).toBe(200);
    await sleep(300); // 2 is inactive now; 3 was never seen (counts as active)
    const published = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 7,
      time: Date.UTC(2024, 4, 1, 12),
    });
    expect(published.status).toBe(201);
    const id = (published.body as unknown as { id: string }).id;
    // 3 gets it from the fanout; 2 was skipped.
    for (let i = 0; i < 100; i++) {
      const page = await send('GET', '/feeds/timeline/3', undefined, READ_KEY);
      if (page.body.items.length > 0) break;
      await sleep(20);
    }
    expect(
      (await send('GET', '/feeds/timeline/3', undefined, READ_KEY)).body.items.map(
        (item) => item.id,
      ),
    ).toEqual([id]);
    // 2 reads again: the rebuild starts, the answer says so.
    const first = await send('GET', '/feeds/timeline/2', undefined, READ_KEY);
    expect(first.status).toBe(206);
    expect(first.retryAfter).toBe('3');
    expect(first.body.rebuilding).toBe(true);
    let page = first;
    for (let i = 0; i < 100 && page.status === 206; i++) {
      await sleep(20);
      page = await send('GET', '/feeds/timeline/2', undefined, READ_KEY);
    }
    expect(page.status).toBe(200);
    expect(page.body.rebuilding).toBeUndefined();
    expect(page.body.items.map((item) => item.id)).toEqual([id]);
    const aggregated = await send('GET', '/feeds/aggregated/2', undefined, READ_KEY);
    expect(aggregated.status).toBe(200);
    expect(aggregated.body.items).toHaveLength(1);
  });
});
