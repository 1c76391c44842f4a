// Live counts over server-sent events, and large accounts pulled at read time.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { cookieOf, form, pinIds, textOf, useSeededApp } from '../test/app-harness.js';
import { createRuntime } from './runtime.js';
import { USER_COOKIE, buildApp } from './server.js';

const harness = useSeededApp();
const { join, post } = harness;
let app: FastifyInstance;
beforeAll(() => {
  ({ app } = harness);
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
