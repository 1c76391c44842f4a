// The feeds through the app: follows, fanout, paging, notifications, deletes, stats.
import { beforeAll, describe, expect, it } from 'vitest';
import { pinIds, textOf, useSeededApp } from '../test/app-harness.js';
import type { Runtime } from './runtime.js';

const harness = useSeededApp();
const { actAs, join, get, post } = harness;
let runtime: Runtime;
beforeAll(() => {
  ({ runtime } = harness);
});

describe('the feeds through the app', () => {
  it('follow and unfollow change the home feed at once; new pins fan out to followers', async () => {
    const alice = await join('Alice Route');
    const bob = await join('Bob Route');
    const bobBoard = (await runtime.store.listBoards(bob.id))[0]!;
    const first = await post(
      '/pins',
      { title: 'Before the follow', boardId: String(bobBoard.id), hue: '205', pattern: 'waves' },
      bob.cookies,
    );
    expect(first.statusCode).toBe(303);
    const firstPin = Number(first.headers.location!.split('/').pop());

    expect(pinIds((await get('/', alice.cookies)).body)).not.toContain(firstPin);
    const follow = await post(`/u/${bob.id}/follow`, { next: `/u/${bob.id}` }, alice.cookies);
    expect(follow.statusCode).toBe(303);
    expect(follow.headers.location).toBe(`/u/${bob.id}`);
    // The follow copied Bob's pins into Alice's feeds.
    expect(pinIds((await get('/', alice.cookies)).body)).toContain(firstPin);

    const second = await post(
      '/pins',
      { title: 'After the follow', boardId: String(bobBoard.id) },
      bob.cookies,
    );
    const secondPin = Number(second.headers.location!.split('/').pop());
    const home = await get('/', alice.cookies);
    expect(pinIds(home.body).slice(0, 2)).toEqual([secondPin, firstPin]);
    const grouped = await get('/grouped', alice.cookies);
    expect(textOf(grouped.body)).toContain(`Bob Route pinned 2 items to ${bobBoard.name}`);
    expect(grouped.body).toContain(`/img/pins/${secondPin}.svg`);

    // Bob hears about the follow.
    const notifications = await get('/notifications', bob.cookies);
    expect(textOf(notifications.body)).toContain('Alice Route started following you');
    expect(notifications.body).toMatch(/data-testid="unseen-badge"\s*>1<\/span\s*>/);

    const unfollow = await post(`/u/${bob.id}/unfollow`, {}, alice.cookies, {
      accept: 'application/json',
    });
    expect(unfollow.statusCode).toBe(200);
    expect(unfollow.json()).toMatchObject({ ok: true, following: false, followers: 0 });
    const after = await get('/', alice.cookies);
    expect(pinIds(after.body)).not.toContain(firstPin);
    expect(pinIds(after.body)).not.toContain(secondPin);
  });

  it('pages the home feed with activity-id cursors until the end', async () => {
    const cookies = await actAs(1);
    const first = await get('/', cookies);
    const seen = pinIds(first.body);
    expect(seen.length).toBe(6);
    let cursor = /data-cursor="(\d+)"/.exec(first.body)?.[1];
    expect(cursor).toBeDefined();
    let pages = 1;
    while (cursor) {
      const response = await get(`/more/home?before=${cursor}`, cookies, {
        accept: 'application/json',
      });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ html: string; cursor: string | null }>();
      const ids = pinIds(page.html);
      for (const id of ids) expect(seen).not.toContain(id);
      seen.push(...ids);
      cursor = page.cursor ?? undefined;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    const all = await runtime.manager.readFeed(1, 'normal', {});
    expect(seen).toEqual(all.map((a) => a.objectId));
  });

  it('loves notify the owner; mark all seen and read clear the counts', async () => {
    const owner = await join('Owner Love');
    const fan = await join('Fan Love');
    const board = (await runtime.store.listBoards(owner.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Lovely', boardId: String(board.id) },
      owner.cookies,
    );
    const pinId = Number(created.headers.location!.split('/').pop());
    const love = await post(`/pins/${pinId}/love`, { next: '/' }, fan.cookies, {
      accept: 'application/json',
    });
    expect(love.json()).toMatchObject({ ok: true, loves: 1 });
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 1,
      unread: 1,
    });
    const page = await get('/notifications', owner.cookies);
    expect(textOf(page.body)).toContain('Fan Love loved your pin “Lovely”');
    expect(
      (await post('/notifications/mark-all', { what: 'seen' }, owner.cookies)).statusCode,
    ).toBe(303);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 1,
    });
    const id = /data-id="(\d+)"/.exec(page.body)![1]!;
    const read = await post('/notifications/read', { id, next: `/pins/${pinId}` }, owner.cookies);
    expect(read.headers.location).toBe(`/pins/${pinId}`);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 0,
    });
    // Loving twice changes nothing.
    await post(`/pins/${pinId}/love`, {}, fan.cookies);
    expect(await runtime.feeds.notification.for(owner.id).counts()).toEqual({
      unseen: 0,
      unread: 0,
    });
  });

  it("renaming a pin updates it in place: every follower's feeds show the new title, same place", async () => {
    const author = await join('Renaming Author');
    const reader = await join('Renaming Reader');
    await post(`/u/${author.id}/follow`, {}, reader.cookies);
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Frist pin', boardId: String(board.id) },
      author.cookies,
    );
    const pinId = Number(created.headers.location!.split('/').pop());
    await post('/pins', { title: 'Second pin', boardId: String(board.id) }, author.cookies);
    const before = pinIds((await get('/', reader.cookies)).body);
    const beforeIds = (await runtime.feeds.normal.for(reader.id).get()).map(
      (a) => a.serializationId,
    );
    expect(before).toContain(pinId);

    expect(
      (await post(`/pins/${pinId}/title`, { title: 'Stolen' }, reader.cookies)).statusCode,
    ).toBe(403);
    const renamed = await post(`/pins/${pinId}/title`, { title: 'First pin' }, author.cookies, {
      accept: 'application/json',
    });
    expect(renamed.statusCode).toBe(200);
    expect(renamed.json()).toMatchObject({ ok: true, pin: pinId, title: 'First pin' });

    // The pages and the stored activities: new title, same order, same ids.
    const home = await get('/', reader.cookies);
    expect(pinIds(home.body)).toEqual(before);
    expect(textOf(home.body)).toContain('First pin');
    expect(textOf(home.body)).not.toContain('Frist pin');
    expect(textOf((await get(`/pins/${pinId}`)).body)).toContain('First pin');
    const activities = await runtime.feeds.normal.for(reader.id).get();
    expect(activities.map((a) => a.serializationId)).toEqual(beforeIds);
    const titleOf = (
      list: readonly { objectId: unknown; extraContext: Record<string, unknown> }[],
    ) => list.find((a) => Number(a.objectId) === pinId)?.extraContext.title;
    expect(titleOf(activities)).toBe('First pin');
    expect(titleOf(await runtime.feeds.user.for(author.id).get())).toBe('First pin');
    const groups = await runtime.feeds.aggregated.for(reader.id).get();
    expect(titleOf(groups.flatMap((group) => group.activities))).toBe('First pin');
    expect((await post(`/pins/${pinId}/title`, { title: '' }, author.cookies)).statusCode).toBe(
      400,
    );
    expect((await post('/pins/999999/title', { title: 'x' }, author.cookies)).statusCode).toBe(404);
  });

  it('deleting a pin removes it from followers', async () => {
    const author = await join('Deleting Author');
    const reader = await join('Deleting Reader');
    await post(`/u/${author.id}/follow`, {}, reader.cookies);
    const board = (await runtime.store.listBoards(author.id))[0]!;
    const created = await post(
      '/pins',
      { title: 'Short-lived', boardId: String(board.id) },
      author.cookies,
    );
    const pinId = Number(created.headers.location!.split('/').pop());
    expect(pinIds((await get('/', reader.cookies)).body)).toContain(pinId);
    // the pin's activity carries the foreign id pin:<id> (issue 16)
    const [stored] = await runtime.feeds.user.getByForeignId(`pin:${pinId}`);
    expect(stored?.objectId).toBe(pinId);
    expect(await runtime.feeds.normal.for(reader.id).contains(stored!)).toBe(true);
    expect((await post(`/pins/${pinId}/delete`, {}, reader.cookies)).statusCode).toBe(403);
    expect((await post(`/pins/${pinId}/delete`, {}, author.cookies)).statusCode).toBe(303);
    expect(pinIds((await get('/', reader.cookies)).body)).not.toContain(pinId);
    // removed by foreign id: from the reader's feed and the activity storage
    expect(await runtime.feeds.normal.for(reader.id).contains(stored!)).toBe(false);
    expect(await runtime.feeds.user.getByForeignId(`pin:${pinId}`)).toEqual([]);
    expect((await get(`/pins/${pinId}`)).statusCode).toBe(404);
  });

  it('shows the fanout on the stats page', async () => {
    const stats = await get('/stats.json');
    const body = stats.json<{
      queue: { kind: string; counts: Record<string, { completed: number }> };
      lastFanout: { tasks: number } | null;
    }>();
    expect(body.queue.kind).toBe('in-process');
    expect(body.queue.counts.HIGH!.completed + body.queue.counts.LOW!.completed).toBeGreaterThan(0);
    expect(body.lastFanout).not.toBeNull();
    const page = await get('/stats');
    expect(page.body).toContain('data-testid="queue-table"');
    expect(page.body).toContain('data-testid="last-fanout-ms"');
  });
});
