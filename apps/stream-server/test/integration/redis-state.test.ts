import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WRITE_KEY } from '../../src/test-config.js';
import { startServer, targets } from './helpers.js';
import type { RunningServer } from './helpers.js';

// Redis holding what the server did not write (issue 12 items 2, 5 and 9): planted bad keys give
// typed errors naming the key, corrupt items are skipped, a publish whose fanout fails tells the
// client its id and can be completed by a retry.

const T0 = Date.UTC(2024, 4, 1, 12);

interface Answer {
  status: number;
  body: Record<string, unknown> & { message?: string; code?: string };
  text: string;
}

for (const target of targets().filter((t) => t.name === 'redis' || t.name === 'cluster')) {
  describe(`Redis state the server did not write (${target.name})`, () => {
    let server: RunningServer;
    let feeds: string;
    let items: string;

    async function send(method: string, path: string, payload?: unknown): Promise<Answer> {
      const response = await fetch(`${server.baseUrl}${path}`, {
        method,
        headers: {
          'x-api-key': WRITE_KEY,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      const text = await response.text();
      return { status: response.status, text, body: text ? JSON.parse(text) : {} };
    }

    async function rpc(method: string, params: unknown) {
      const answer = await send('POST', '/rpc', { jsonrpc: '2.0', id: 1, method, params });
      return answer.body as {
        result?: unknown;
        error?: { code: number; message: string; data: { code: string } };
      };
    }

    const ids = async (feed: string, user: number) =>
      ((await send('GET', `/feeds/${feed}/${user}`)).body.items as Array<{ id: string }>).map(
        (item) => item.id,
      );

    beforeAll(async () => {
      server = await startServer(target);
      feeds = `${server.prefix}acme:feeds:`;
      items = `${server.prefix}{acme}:items:`;
    });
    afterAll(async () => {
      await server.stop();
    });

    it('answers a publish whose fanout fails with its id; the retry completes it once (item 2)', async () => {
      const redis = server.redis!;
      expect((await send('PUT', '/users/2/following/1')).status).toBe(200);
      expect((await send('PUT', '/users/3/following/1')).status).toBe(200);
      // Follower 2's timeline is not a sorted set: the fanout step fails after the user feed is written.
      await redis.set(`${feeds}feed:2`, 'not a sorted set');
      const failed = await send('POST', '/users/1/activities', {
        verb: 'pin',
        object: 7,
        time: T0,
      });
      expect(failed.status, failed.text).toBe(503);
      expect(failed.body).toMatchObject({ code: 'PUBLISH_INCOMPLETE', retryable: true });
      const id = failed.body.id as string;
      expect(id).toMatch(/^[0-9]+$/);
      expect(failed.body.activity).toMatchObject({ id, verb: 'pin', object: 7, actor: 1 });
      expect(failed.body.message).toContain(`"${feeds}feed:2"`);
      expect(await ids('user', 1)).toEqual([id]);

      // The cause is fixed; the same activity (its time from the answer) is published again.
      await redis.del(`${feeds}feed:2`);
      const { time } = failed.body.activity as { time: string };
      const retried = await send('POST', '/users/1/activities', { verb: 'pin', object: 7, time });
      expect(retried.status, retried.text).toBe(201);
      expect(retried.body.id).toBe(id);
      for (const user of [2, 3]) expect(await ids('timeline', user)).toEqual([id]);
      expect(await ids('user', 1)).toEqual([id]);
      const aggregated = (await send('GET', '/feeds/aggregated/3')).body.items as Array<{
        activityCount: number;
      }>;
      expect(aggregated.map((group) => group.activityCount)).toEqual([1]);

      // An unpublish whose fanout fails can be repeated: the user feed keeps the activity.
      await redis.set(`${feeds}feed:2`, 'not a sorted set');
      const unfinished = await send('DELETE', `/users/1/activities/${id}`);
      expect(unfinished.status, unfinished.text).toBe(503);
      expect(unfinished.body.code).toBe('FANOUT_FAILED');
      expect(await ids('user', 1)).toEqual([id]);
      await redis.del(`${feeds}feed:2`);
      const removed = await send('DELETE', `/users/1/activities/${id}`);
      expect(removed.status, removed.text).toBe(200);
      for (const user of [2, 3]) expect(await ids('timeline', user)).toEqual([]);
      expect(await ids('aggregated', 3)).toEqual([]);
      expect(await ids('user', 1)).toEqual([]);
    });

    it('says the same over JSON-RPC: data carries the id, the activity and retryable (item 2)', async () => {
      const redis = server.redis!;
      await redis.set(`${feeds}aggregated:3`, 'not a sorted set');
      const failed = await rpc('publish', {
        userId: 1,
        activity: { verb: 'pin', object: 8, time: T0 },
      });
      expect(failed.error?.code).toBe(-32000);
      expect(failed.error?.data).toMatchObject({
        status: 503,
        code: 'PUBLISH_INCOMPLETE',
        retryable: true,
      });
      await redis.del(`${feeds}aggregated:3`);
      const retried = await rpc('publish', {
        userId: 1,
        activity: { verb: 'pin', object: 8, time: T0 },
      });
      expect(retried.error).toBeUndefined();
      expect((retried.result as { id: string }).id).toBe(
        (failed.error?.data as { id?: string }).id,
      );
    });

    it('skips stored items that are not JSON objects, and the answer stays valid JSON (item 5)', async () => {
      const redis = server.redis!;
      for (const n of [1, 2, 3, 4])
        expect((await send('POST', '/items', { kind: 'k', n })).status).toBe(201);
      await redis.hset(`${items}data`, '2', 'not json ');
      await redis.hset(`${items}data`, '5', '42');
      await redis.zadd(`${items}idx:kind:k`, '5', '5');
      await redis.hset(`${items}data`, '3', `{"deep":${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
      const rest = await send('GET', '/items?kind=k');
      expect(rest.status).toBe(200);
      expect(rest.body).toEqual({
        items: [
          { kind: 'k', n: 4 },
          { kind: 'k', n: 1 },
        ],
        skipped: 3,
      });
      expect((await rpc('items', { kind: 'k' })).result).toEqual([
        { kind: 'k', n: 4 },
        { kind: 'k', n: 1 },
      ]);
      await redis.del(`${items}data`, `${items}all`, `${items}seq`, `${items}idx:kind:k`);
    });

    it('names the key of a wrong type or a non-numeric sequence with a typed error (item 9)', async () => {
      const redis = server.redis!;
      const expectCorrupt = (answer: Answer, key: string) => {
        expect(answer.status, answer.text).toBe(500);
        expect(answer.body.code).toBe('CORRUPT_STORAGE');
        expect(answer.body.message).toContain(JSON.stringify(key));
      };
      await redis.set(`${items}seq`, 'abc');
      expectCorrupt(await send('POST', '/items', { kind: 'x' }), `${items}seq`);
      await redis.del(`${items}seq`);
      await redis.set(`${items}data`, 'a string');
      expectCorrupt(await send('POST', '/items', { kind: 'x' }), `${items}data`);
      await redis.del(`${items}data`);
      await redis.hset(`${items}idx:kind:friend`, 'a', 'b');
      expectCorrupt(await send('GET', '/items?kind=friend'), `${items}idx:kind:friend`);
      const viaRpc = await rpc('items', { kind: 'friend' });
      expect(viaRpc.error?.code).toBe(-32603);
      expect(viaRpc.error?.data.code).toBe('CORRUPT_STORAGE');
      expect(viaRpc.error?.message).toContain(`${items}idx:kind:friend`);
      await redis.del(`${items}idx:kind:friend`);
      expect((await send('POST', '/items', { kind: 'friend' })).status).toBe(201);

      await redis.set(`${feeds}feed:5`, 'a string');
      expectCorrupt(await send('GET', '/feeds/timeline/5'), `${feeds}feed:5`);
      await redis.set(`${feeds}aggregated:5`, 'a string');
      expectCorrupt(await send('GET', '/feeds/aggregated/5'), `${feeds}aggregated:5`);
      const write = await send('POST', '/feeds/aggregated/5/activities', {
        actor: 1,
        verb: 'love',
        object: 5,
        time: T0,
      });
      expectCorrupt(write, `${feeds}aggregated:5`);
      await redis.set(`${server.prefix}acme:graph:followers:9`, 'a string');
      expectCorrupt(
        await send('GET', '/users/9/followers'),
        `${server.prefix}acme:graph:followers:9`,
      );
    });

    it(
      'lets a lock key without a TTL expire instead of blocking the feed for ever (item 9)',
      { timeout: 40_000 },
      async () => {
        const redis = server.redis!;
        const timeline = `${feeds}aggregated:6`;
        const lockKey = target.name === 'cluster' ? `{${timeline}}:lock` : `${timeline}:lock`;
        await redis.set(lockKey, 'left behind');
        const add = () =>
          send('POST', '/feeds/aggregated/6/activities', {
            actor: 1,
            verb: 'love',
            object: 5,
            time: T0,
          });
        // The first writer waits up to the lock's acquire timeout (10 s): it may get the lock as
        // it expires, or a typed 503 naming the lock.
        const first = await add();
        if (first.status !== 201) {
          expect(first.status, first.text).toBe(503);
          expect(first.body.code).toBe('FEED_LOCKED');
          expect(first.body.message).toContain(lockKey);
        }
        expect(await redis.pttl(lockKey)).not.toBe(-1);
        const second = first.status === 201 ? first : await add();
        expect(second.status, second.text).toBe(201);
        expect(await ids('aggregated', 6)).toHaveLength(1);
      },
    );
  });
}
