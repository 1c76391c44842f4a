import { describe, expect, it } from 'vitest';
import { T0, read, useTestApp, write } from './test-app.js';

// A REST route's path names what it acts on: a field of the query string (or of the body)
// with a path parameter's name must not redirect the operation to another feed or user.
const server = useTestApp();

async function send(method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: object) {
  const response = await server.app.inject({
    method,
    url,
    headers: method === 'GET' ? read : write,
    ...(payload === undefined ? {} : { payload }),
  });
  return { status: response.statusCode, body: response.body ? response.json() : null };
}

const feedIds = async (url: string) =>
  ((await send('GET', url)).body as { items: Array<{ id: string }> }).items.map((i) => i.id);

describe('path parameters win over query and body fields', () => {
  it('adds to the feed and user of the path', async () => {
    const added = await send('POST', '/feeds/timeline/1/activities?feed=aggregated&userId=2', {
      actor: 9,
      verb: 'pin',
      object: 1,
      time: T0,
    });
    expect(added.status).toBe(201);
    expect(await feedIds('/feeds/timeline/1')).toEqual([(added.body as { id: string }).id]);
    expect(await feedIds('/feeds/timeline/2')).toEqual([]);
    expect(await feedIds('/feeds/aggregated/1')).toEqual([]);
  });

  it('removes from the feed and user of the path', async () => {
    const activity = { actor: 9, verb: 'pin', object: 1, time: T0 };
    const { id } = (await send('POST', '/feeds/timeline/1/activities', activity)).body as {
      id: string;
    };
    await send('POST', '/feeds/timeline/2/activities', activity);
    const removed = await send('DELETE', `/feeds/timeline/1/activities/${id}?userId=2`);
    expect(removed.body).toEqual({ removed: 1 });
    expect(await feedIds('/feeds/timeline/1')).toEqual([]);
    expect(await feedIds('/feeds/timeline/2')).toEqual([id]);
  });

  it('follows and unfollows the users of the path', async () => {
    expect((await send('PUT', '/users/2/following/1?targetId=3&userId=4')).body).toEqual({
      following: true,
      changed: true,
    });
    expect((await send('GET', '/users/2/following')).body).toEqual({ userIds: ['1'] });
    expect((await send('GET', '/users/4/following?userId=2')).body).toEqual({ userIds: [] });
    expect((await send('DELETE', '/users/2/following/1?targetId=3')).body).toEqual({
      following: false,
      changed: true,
    });
  });

  it('publishes as the user of the path', async () => {
    const published = await send('POST', '/users/1/activities?userId=2', {
      verb: 'pin',
      object: 1,
      time: T0,
    });
    expect(published.status).toBe(201);
    expect(published.body).toMatchObject({ activity: { actor: 1 } });
    expect(await feedIds('/feeds/user/1')).toHaveLength(1);
    expect(await feedIds('/feeds/user/2')).toEqual([]);
  });
});

describe('query strings', () => {
  it('are read only by routes that declare (and validate) them', async () => {
    // mark takes its options from the body: an unvalidated ids=... must not reach the feed.
    const marked = await send('POST', '/feeds/notification/7/mark?ids=abc&seen=no', {});
    expect(marked).toEqual({ status: 200, body: { unseen: 0, unread: 0 } });
  });
});
