import { describe, expect, it } from 'vitest';
import { T0, read, useTestApp, write } from './test-app.js';

const server = useTestApp();
const UUID = '3f2b8c1e-9a4d-4c6b-8f0e-1d2c3b4a5e6f';

interface Activity {
  id: string;
  actor: number | string;
  object: number | string;
  target: number | string | null;
  foreignId: string | null;
}
interface Body {
  id: string;
  activity: Activity;
  activities: Activity[];
  items: Activity[];
  removed: number;
  code?: string;
}

async function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) {
  const response = await server.app.inject({
    method,
    url,
    headers: method === 'GET' ? read : write,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
  return { status: response.statusCode, body: response.json<Body>() };
}

const timeline = async (user: number) =>
  (await send('GET', `/feeds/timeline/${user}`)).body.items.map((item) => item.object);

describe('string ids and foreign ids (issue 16)', () => {
  it('publishes string objects and targets, and keeps them exactly', async () => {
    await send('PUT', '/users/2/following/1');
    const published = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: UUID,
      target: 'board:cats',
      time: T0,
    });
    expect(published.status).toBe(201);
    expect(published.body.activity).toMatchObject({
      actor: 1,
      object: UUID,
      target: 'board:cats',
      foreignId: null,
    });
    expect(await timeline(2)).toEqual([UUID]);
  });

  it('publishes a foreign id once, reads it and removes it everywhere by it', async () => {
    await send('PUT', '/users/2/following/1');
    await send('PUT', '/users/3/following/1');
    const pin = { verb: 'pin', object: 10, time: T0, foreignId: 'pin:10' };
    const first = await send('POST', '/users/1/activities', pin);
    const again = await send('POST', '/users/1/activities', pin);
    expect(again.body.id).toBe(first.body.id);
    await send('POST', '/users/1/activities', { ...pin, object: 11, foreignId: 'pin:11' });
    expect((await timeline(2)).sort()).toEqual([10, 11]);

    const found = await send('GET', '/users/1/foreign-ids/pin%3A10');
    expect(found.status).toBe(200);
    expect(found.body.activities.map((a) => [a.id, a.foreignId])).toEqual([
      [first.body.id, 'pin:10'],
    ]);

    const removed = await send('DELETE', '/users/1/foreign-ids/pin%3A10');
    expect(removed.status).toBe(200);
    expect(removed.body.removed).toBe(1);
    expect(await timeline(2)).toEqual([11]);
    expect(await timeline(3)).toEqual([11]);
    expect((await send('GET', '/users/1/foreign-ids/pin%3A10')).body.activities).toEqual([]);
    const user = (await send('GET', '/feeds/user/1')).body.items.map((a) => a.foreignId);
    expect(user).toEqual(['pin:11']);
    expect((await send('DELETE', '/users/1/foreign-ids/pin%3A10')).status).toBe(404);
  });

  it('refuses an empty foreign id with 400', async () => {
    const refused = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 1,
      foreignId: '',
    });
    expect(refused.status).toBe(400);
  });
});
