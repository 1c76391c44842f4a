import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READ_KEY, WRITE_KEY } from '../../src/test-config.js';
import { startServer, targets } from './helpers.js';
import type { RunningServer } from './helpers.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

for (const target of targets()) {
  describe(`inactive followers over HTTP (${target.name})`, () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startServer(target, {
        fanout: 'background',
        inactiveFollowers: { afterMs: 300, retryAfterSeconds: 1 },
      });
    });
    afterAll(async () => {
      await server.stop();
    });

    async function call(method: string, path: string, body?: object, key = WRITE_KEY) {
      const response = await fetch(server.baseUrl + path, {
        method,
        headers: {
          'x-api-key': key,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return {
        status: response.status,
        retryAfter: response.headers.get('retry-after'),
        body: (await response.json()) as {
          id?: string;
          items: Array<{ id: string }>;
          rebuilding?: boolean;
        },
      };
    }
    const read = (feed: string, user: number) =>
      call('GET', `/feeds/${feed}/${user}`, undefined, READ_KEY);

    it('skips an inactive reader, then answers 206 + Retry-After until the rebuild is done', async () => {
      await call('PUT', '/users/12/following/11');
      await call('PUT', '/users/13/following/11');
      expect((await read('timeline', 12)).status).toBe(200);
      await sleep(500);
      const published = await call('POST', '/users/11/activities', {
        verb: 'pin',
        object: 70,
        time: Date.UTC(2024, 4, 1, 12),
      });
      expect(published.status).toBe(201);
      const id = published.body.id!;
      let other = await read('timeline', 13);
      for (let i = 0; i < 200 && other.body.items.length === 0; i++) {
        await sleep(20);
        other = await read('timeline', 13);
      }
      expect(other.body.items.map((item) => item.id)).toEqual([id]);
      const first = await read('timeline', 12);
      expect(first.status).toBe(206);
      expect(first.retryAfter).toBe('1');
      expect(first.body.rebuilding).toBe(true);
      let page = first;
      for (let i = 0; i < 200 && page.status === 206; i++) {
        await sleep(25);
        page = await read('timeline', 12);
      }
      expect(page.status).toBe(200);
      expect(page.body.items.map((item) => item.id)).toEqual([id]);
      expect((await read('aggregated', 12)).body.items).toHaveLength(1);
    });
  });
}
