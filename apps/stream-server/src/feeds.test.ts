import { describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { testConfig } from './test-config.js';
import { T0, read, useTestApp, write } from './test-app.js';

const server = useTestApp();

/** The fields of response bodies these tests read. */
interface Item {
  id: string;
  group?: string;
  actorIds?: number[];
  seen?: boolean;
  read?: boolean;
}
interface Body {
  id: string;
  items: Item[];
  message?: string;
  unseen?: number;
  unread?: number;
  feeds?: Array<{ name: string; type: string }>;
  verbs?: Array<{ infinitive: string }>;
}

async function send(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
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
  return { status: response.statusCode, body: response.body ? response.json<Body>() : null };
}

const feed = async (name: string, user: number | string, query = '') =>
  (await send('GET', `/feeds/${name}/${user}${query}`, undefined, read)).body!;
const ids = (items: Array<{ id: string }>) => items.map((item) => item.id);

describe('publishing and following', () => {
  it('fans a published activity out to followers, and follow/unfollow copy and remove', async () => {
    expect((await send('PUT', '/users/2/following/1')).body).toEqual({
      following: true,
      changed: true,
    });
    expect((await send('PUT', '/users/2/following/1')).body).toEqual({
      following: true,
      changed: false,
    });
    await send('PUT', '/users/3/following/1');
    const first = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 10,
      time: T0,
      extraContext: { board: 'cats' },
    });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      activity: {
        actor: 1,
        verb: 'pin',
        object: 10,
        target: null,
        time: '2024-05-01T12:00:00.000Z',
        extraContext: { board: 'cats' },
      },
    });
    const second = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 11,
      time: T0 + 1000,
    });
    for (const user of [2, 3]) {
      expect(ids((await feed('timeline', user)).items)).toEqual([second.body!.id, first.body!.id]);
      const aggregated = (await feed('aggregated', user)).items;
      expect(aggregated).toHaveLength(1);
      expect(aggregated[0]).toMatchObject({
        group: '5-2024-05-01',
        verbs: ['pin'],
        activityCount: 2,
        actorIds: [1],
      });
    }
    expect(ids((await feed('user', 1)).items)).toEqual([second.body!.id, first.body!.id]);
    expect((await send('GET', '/users/1/followers', undefined, read)).body).toEqual({
      userIds: ['2', '3'],
    });
    expect((await send('GET', '/users/2/following', undefined, read)).body).toEqual({
      userIds: ['1'],
    });

    // A new follower gets the author's past activities.
    await send('PUT', '/users/4/following/1');
    expect(ids((await feed('timeline', 4)).items)).toEqual([second.body!.id, first.body!.id]);

    // Unpublishing removes everywhere; unfollowing empties the follower's feeds of the author.
    expect((await send('DELETE', `/users/1/activities/${first.body!.id}`)).body).toMatchObject({
      removed: true,
    });
    expect(ids((await feed('timeline', 3)).items)).toEqual([second.body!.id]);
    expect(ids((await feed('user', 1)).items)).toEqual([second.body!.id]);
    expect((await send('DELETE', `/users/1/activities/${first.body!.id}`)).status).toBe(404);
    expect((await send('DELETE', '/users/2/following/1')).body).toEqual({
      following: false,
      changed: true,
    });
    expect((await feed('timeline', 2)).items).toEqual([]);
    expect((await feed('aggregated', 2)).items).toEqual([]);
    expect(ids((await feed('timeline', 3)).items)).toEqual([second.body!.id]);
  });

  it('pages and filters by id', async () => {
    const published: string[] = [];
    for (let i = 0; i < 7; i++)
      published.push(
        (
          await send('POST', '/users/1/activities', {
            verb: 'love',
            object: i + 1,
            time: T0 + i * 1000,
          })
        ).body!.id,
      );
    const newest = [...published].reverse();
    expect(ids((await feed('user', 1, '?limit=3')).items)).toEqual(newest.slice(0, 3));
    expect(ids((await feed('user', 1, '?offset=3&limit=3')).items)).toEqual(newest.slice(3, 6));
    expect(ids((await feed('user', 1, `?idLt=${published[3]}`)).items)).toEqual(newest.slice(4));
    expect(ids((await feed('user', 1, `?idGte=${published[5]}&limit=1`)).items)).toEqual([
      published[6],
    ]);
  });

  it('refuses bad activities and ids with 400 and stores nothing', async () => {
    // The serializer's own nesting limit (100) is reached only when the server's limits.jsonDepth
    // (default 64, checked first; see hostile.test.ts) is above it.
    await server.restart(
      testConfig({ limits: { bodyBytes: 16384, rpcBatch: 10, jsonDepth: 256 } }),
    );
    // Each bad payload with what its 400 message must name.
    const bad: Array<[unknown, RegExp]> = [
      [{ verb: 'dance', object: 1 }, /verb must be one of/],
      [{ verb: 'pin', object: '' }, /object must NOT have fewer than 1 characters/],
      [{ verb: 'pin', object: true }, /object must be integer,string/],
      [{ verb: 'pin', object: -1 }, /object must be >= 0/],
      [{ verb: 'pin', object: 1, colour: 'red' }, /unknown property "colour"/],
      [{ verb: 'pin' }, /missing required property "object"/],
      [{ verb: 'pin', object: 1, actor: 2 }, /actor 2 is not the publishing user 1/],
      [{ verb: 'pin', object: 1, time: 'yesterday' }, /time must be an ISO 8601 date-time/],
      [{ verb: 'pin', object: 1, time: '2024-13-45T99:00:00Z' }, /is not a valid date/],
      [{ verb: 'pin', object: 1, extraContext: [] }, /extraContext must be object/],
      [
        {
          verb: 'pin',
          object: 1,
          extraContext: JSON.parse('{"a":' + '['.repeat(200) + ']'.repeat(200) + '}') as unknown,
        },
        /nested more than 100 levels deep/,
      ],
    ];
    for (const [payload, message] of bad) {
      const response = await send('POST', '/users/1/activities', payload);
      expect(response.status, JSON.stringify(payload).slice(0, 80)).toBe(400);
      expect(response.body!.message).toMatch(message);
    }
    // string user ids publish with a string actor (issue 16); ids outside the pattern do not
    expect((await send('POST', '/users/a.b/activities', { verb: 'pin', object: 1 })).status).toBe(
      400,
    );
    expect((await send('PUT', '/users/1/following/1')).status).toBe(400);
    expect((await send('DELETE', '/feeds/timeline/1/activities/abc')).status).toBe(400);
    expect((await send('GET', '/feeds/timeline/1?limit=0', undefined, read)).status).toBe(400);
    expect((await send('GET', '/feeds/timeline/1?limit=101', undefined, read)).status).toBe(400);
    expect((await send('GET', '/feeds/timeline/1?idLt=12a', undefined, read)).status).toBe(400);
    expect((await feed('user', 1)).items).toEqual([]);
  });

  it('needs a write key for every write', async () => {
    for (const [method, url, payload] of [
      ['POST', '/users/1/activities', { verb: 'pin', object: 1 }],
      ['PUT', '/users/2/following/1', undefined],
      ['POST', '/feeds/timeline/1/activities', { actor: 1, verb: 'pin', object: 1 }],
      ['POST', '/feeds/notification/1/mark', {}],
    ] as const) {
      expect((await send(method, url, payload, read)).status, url).toBe(403);
    }
    expect((await feed('user', 1)).items).toEqual([]);
  });
});

describe('updating a published activity in place', () => {
  interface Updated {
    id: string;
    fanoutTasks: number;
    activity: { extraContext: Record<string, unknown> };
  }
  const contextsOf = (items: Item[]) =>
    items.map((item) => (item as unknown as { extraContext: unknown }).extraContext);

  it('every feed shows the new extraContext, same id and position; nothing is created', async () => {
    await send('PUT', '/users/2/following/1');
    const first = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 10,
      time: T0,
      extraContext: { title: 'Cats', likes: 0 },
    });
    const second = await send('POST', '/users/1/activities', {
      verb: 'pin',
      object: 11,
      time: T0 + 1000,
    });
    const id = first.body!.id;
    const before = ids((await feed('timeline', 2)).items);
    const response = await server.app.inject({
      method: 'PUT',
      url: `/users/1/activities/${id}`,
      headers: write,
      payload: { extraContext: { title: 'Cats!', likes: 3 } },
    });
    expect(response.statusCode).toBe(200);
    const body = response.json<Updated>();
    expect(body.id).toBe(id);
    expect(body.activity.extraContext).toEqual({ title: 'Cats!', likes: 3 });
    expect(body.fanoutTasks).toBe(0); // memory feeds hold ids: no fanout needed
    const timeline = (await feed('timeline', 2)).items;
    expect(ids(timeline)).toEqual(before);
    expect(contextsOf(timeline)).toEqual([{}, { title: 'Cats!', likes: 3 }]);
    expect(contextsOf((await feed('user', 1)).items)).toEqual([{}, { title: 'Cats!', likes: 3 }]);
    const [group] = (await feed('aggregated', 2)).items as unknown as Array<{
      activities: Array<{ id: string; extraContext: unknown }>;
    }>;
    expect(group!.activities.map((a) => a.extraContext)).toContainEqual({
      title: 'Cats!',
      likes: 3,
    });

    // Not published by this user, or not at all: 404, nothing created.
    const missing = await send('PUT', `/users/2/activities/${second.body!.id}`, {
      extraContext: { title: 'x' },
    });
    expect(missing.status).toBe(404);
    expect((await send('PUT', '/users/1/activities/123', { extraContext: {} })).status).toBe(404);
    // Only extraContext may change.
    const invalid = await send('PUT', `/users/1/activities/${id}`, { verb: 'love' });
    expect(invalid.status).toBe(400);
    expect(
      (await send('PUT', `/users/1/activities/${id}`, { extraContext: {} }, read)).status,
    ).toBe(403);
    expect(ids((await feed('timeline', 2)).items)).toEqual(before);
  });

  it('re-fans out to notification feeds that get fanouts, over REST and JSON-RPC', async () => {
    const config = testConfig();
    await server.restart({
      ...config,
      feeds: config.feeds.map((definition) =>
        definition.type === 'notification' ? { ...definition, fanout: true } : definition,
      ),
    });
    await send('PUT', '/users/2/following/1');
    await send('PUT', '/users/3/following/1');
    const published = await send('POST', '/users/1/activities', {
      verb: 'love',
      object: 5,
      time: T0,
      extraContext: { n: 1 },
    });
    const id = published.body!.id;
    const rpc = await server.app.inject({
      method: 'POST',
      url: '/rpc',
      headers: write,
      payload: {
        jsonrpc: '2.0',
        id: 1,
        method: 'updateActivity',
        params: { userId: 1, activityId: id, extraContext: { n: 2 } },
      },
    });
    const result = rpc.json<{ result: Updated }>().result;
    expect(result.fanoutTasks).toBe(1); // one chunk of followers, the notification feed only
    for (const user of [2, 3]) {
      const notification = await feed('notification', user);
      const [item] = notification.items as unknown as Array<{
        id: string;
        activities: Array<{ extraContext: unknown }>;
      }>;
      expect(item!.activities.map((a) => a.extraContext)).toEqual([{ n: 2 }]);
      expect(notification.unseen).toBe(1);
    }
    const notFound = await server.app.inject({
      method: 'POST',
      url: '/rpc',
      headers: write,
      payload: {
        jsonrpc: '2.0',
        id: 2,
        method: 'updateActivity',
        params: [1, '123', { n: 3 }],
      },
    });
    expect(notFound.json<{ error: { code: number } }>().error.code).toBe(-32004);
  });
});

describe('feeds written directly', () => {
  it('adds to and removes from flat and aggregated feeds without fanout', async () => {
    await send('PUT', '/users/2/following/1');
    const added = await send('POST', '/feeds/timeline/1/activities', {
      actor: 9,
      verb: 'pin',
      object: 3,
      time: T0,
    });
    expect(added.status).toBe(201);
    expect(ids((await feed('timeline', 1)).items)).toEqual([added.body!.id]);
    expect((await feed('timeline', 2)).items).toEqual([]);
    expect((await send('DELETE', `/feeds/timeline/1/activities/${added.body!.id}`)).body).toEqual({
      removed: 1,
    });
    expect((await send('DELETE', `/feeds/timeline/1/activities/${added.body!.id}`)).body).toEqual({
      removed: 0,
    });

    const a = await send('POST', '/feeds/aggregated/1/activities', {
      actor: 9,
      verb: 'love',
      object: 3,
      time: T0,
    });
    await send('POST', '/feeds/aggregated/1/activities', {
      actor: 8,
      verb: 'love',
      object: 4,
      time: T0 + 5000,
    });
    const groups = (await feed('aggregated', 1)).items;
    expect(groups).toHaveLength(1);
    expect(groups[0]).toMatchObject({ activityCount: 2, actorCount: 2, actorIds: [9, 8] });
    await send('DELETE', `/feeds/aggregated/1/activities/${a.body!.id}`);
    expect((await feed('aggregated', 1)).items[0]).toMatchObject({
      activityCount: 1,
      actorIds: [8],
    });
  });

  it('tracks unseen and unread notifications', async () => {
    const n = (actor: number, object: number, offset: number) =>
      send('POST', '/feeds/notification/7/activities', {
        actor,
        verb: 'love',
        object,
        time: T0 + offset,
      });
    await n(1, 100, 0);
    await n(2, 100, 1000);
    await n(3, 200, 2000);
    const before = await feed('notification', 7);
    expect(before).toMatchObject({ type: 'notification', unseen: 2, unread: 2 });
    expect(before.items.map((item) => [item.group, item.actorIds])).toEqual([
      ['3-200-2024-05-01', [3]],
      ['3-100-2024-05-01', [1, 2]],
    ]);
    expect(before.items.every((item) => !item.seen && !item.read)).toBe(true);
    const first = before.items[0]!.id;
    expect(
      (await send('POST', '/feeds/notification/7/mark', { read: true, seen: true, ids: [first] }))
        .body,
    ).toEqual({ unseen: 1, unread: 1 });
    const after = await feed('notification', 7);
    expect(after.items.map((item) => [item.seen, item.read])).toEqual([
      [true, true],
      [false, false],
    ]);
    expect((await send('POST', '/feeds/notification/7/mark', {})).body).toEqual({
      unseen: 0,
      unread: 1,
    });
    expect(
      (await send('POST', '/feeds/notification/7/mark', { seen: false, read: true })).body,
    ).toEqual({ unseen: 0, unread: 0 });
    expect((await send('POST', '/feeds/notification/7/mark', { seen: false })).status).toBe(400);
    expect((await send('POST', '/feeds/timeline/7/mark', {})).status).toBe(400);
    expect((await send('POST', '/feeds/notification/7/mark', { colour: 1 })).status).toBe(400);
  });

  it('lists the configured feeds and verbs', async () => {
    const { body } = await send('GET', '/feeds', undefined, read);
    expect(body!.feeds!.map((f) => `${f.name}:${f.type}`)).toEqual([
      'user:flat',
      'timeline:flat',
      'aggregated:aggregated',
      'notification:notification',
    ]);
    expect(body!.verbs!.map((v) => v.infinitive)).toEqual(['follow', 'love', 'pin']);
  });
});

describe('a config without feeds', () => {
  it('serves items only', async () => {
    const itemsOnly = await buildApp({ config: testConfig({ feeds: [] }) });
    try {
      expect(
        (await itemsOnly.inject({ method: 'GET', url: '/feeds/timeline/1', headers: read }))
          .statusCode,
      ).toBe(404);
      const rpc = await itemsOnly.inject({
        method: 'POST',
        url: '/rpc',
        headers: read,
        payload: { jsonrpc: '2.0', id: 1, method: 'readFeed', params: {} },
      });
      expect(rpc.json().error.code).toBe(-32601);
    } finally {
      await itemsOnly.close();
    }
  });
});

describe('background fanout', () => {
  it('answers before the followers are written, and writes them soon after', async () => {
    const background = await buildApp({ config: testConfig({ fanout: 'background' }) });
    try {
      await background.inject({ method: 'PUT', url: '/users/2/following/1', headers: write });
      const published = await background.inject({
        method: 'POST',
        url: '/users/1/activities',
        headers: write,
        payload: { verb: 'pin', object: 1 },
      });
      expect(published.statusCode).toBe(201);
      const id = published.json<{ id: string }>().id;
      const deadline = Date.now() + 5000;
      let items: Array<{ id: string }> = [];
      while (Date.now() < deadline) {
        items = (
          await background.inject({ method: 'GET', url: '/feeds/timeline/2', headers: read })
        ).json<{ items: Array<{ id: string }> }>().items;
        if (items.length > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(ids(items)).toEqual([id]);
    } finally {
      await background.close();
    }
  });
});
