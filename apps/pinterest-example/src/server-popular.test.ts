// The "popular" tab: the home feed ranked by loves and recency (a ranked read of the flat feed).
import { beforeAll, describe, expect, it } from 'vitest';
import { compareSerializationIds } from '@sf/activity';
import { pinIds, useSeededApp } from '../test/app-harness.js';
import { popularScore } from './feeds.js';
import type { Runtime } from './runtime.js';

const harness = useSeededApp();
const { actAs, join, get, post } = harness;
let runtime: Runtime;
beforeAll(() => {
  ({ runtime } = harness);
});

type Cookies = Awaited<ReturnType<typeof actAs>>;

/** Every page of the popular tab, calling `between` after each page. */
async function readPopular(cookies: Cookies, between: (served: number[]) => Promise<void>) {
  const first = await get('/popular', cookies);
  expect(first.statusCode).toBe(200);
  expect(first.body).toContain('data-testid="popular-grid"');
  const served = pinIds(first.body);
  let cursor = /data-cursor="([A-Za-z0-9_-]+)"/.exec(first.body)?.[1];
  while (cursor) {
    await between(served);
    const response = await get(`/more/popular?before=${cursor}`, cookies, {
      accept: 'application/json',
    });
    expect(response.statusCode).toBe(200);
    const page = response.json<{ html: string; cursor: string | null }>();
    served.push(...pinIds(page.html));
    cursor = page.cursor ?? undefined;
  }
  return served;
}

describe('the popular tab', () => {
  it('ranks the home feed by loves and recency, page after page', async () => {
    const cookies = await actAs(1);
    const home = await runtime.manager.readFeed(1, 'normal', {});
    expect(home.length).toBeGreaterThan(12);
    const loves = await runtime.store.loveCounts(home.map((a) => Number(a.objectId)));
    const now = Date.now();
    // The order does not depend on `now` (every score shifts by the same amount).
    const expected = [...home]
      .sort(
        (a, b) =>
          popularScore(loves.get(Number(b.objectId)) ?? 0, b.time.getTime(), now) -
            popularScore(loves.get(Number(a.objectId)) ?? 0, a.time.getTime(), now) ||
          compareSerializationIds(b.serializationId, a.serializationId),
      )
      .map((a) => a.objectId);
    expect(expected).not.toEqual(home.map((a) => a.objectId));
    const served = await readPopular(cookies, async () => {});
    expect(served).toEqual(expected);
    // The home tab is still newest first.
    expect(pinIds((await get('/', cookies)).body)).toEqual(home.slice(0, 6).map((a) => a.objectId));
  });

  it('loves and new pins between pages: every pin once, the loved one first, newcomers on reload', async () => {
    const reader = await join('Popular Reader');
    const author = await join('Popular Author');
    const fans = [await join('Popular Fan 1'), await join('Popular Fan 2')];
    const board = (await runtime.store.listBoards(author.id))[0]!;
    await post(`/u/${author.id}/follow`, {}, reader.cookies);
    const pins: number[] = [];
    for (let i = 0; i < 9; i++) {
      const created = await post(
        '/pins',
        { title: `Pin ${i}`, boardId: String(board.id) },
        author.cookies,
      );
      expect(created.statusCode).toBe(303);
      pins.push(Number(created.headers.location!.split('/').pop()));
    }
    // Two loves for the oldest pin put it first; the rest newest first.
    for (const fan of fans) await post(`/pins/${pins[0]}/love`, {}, fan.cookies);
    const first = await get('/popular', reader.cookies);
    expect(pinIds(first.body)).toEqual([pins[0], ...pins.slice(1).reverse()].slice(0, 6));

    let added: number | undefined;
    const served = await readPopular(reader.cookies, async () => {
      // A new pin and a love for a pin not served yet.
      const created = await post(
        '/pins',
        { title: 'Latecomer', boardId: String(board.id) },
        author.cookies,
      );
      added = Number(created.headers.location!.split('/').pop());
      await post(`/pins/${pins[1]}/love`, {}, fans[0]!.cookies);
    });
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort((a, b) => a - b)).toEqual([...pins].sort((a, b) => a - b));
    expect(served).not.toContain(added);
    // The pin loved between pages came first on the next page.
    expect(served[6]).toBe(pins[1]);
    // A reload shows the latecomer (newest, no loves) right after the loved pins.
    const reload = pinIds((await get('/popular', reader.cookies)).body);
    expect(reload.slice(0, 3)).toEqual([pins[0], pins[1], added]);
  });

  it('answers 400 for a cursor that is not one', async () => {
    const cookies = await actAs(1);
    const first = await get('/popular', cookies);
    const cursor = /data-cursor="([A-Za-z0-9_-]+)"/.exec(first.body)![1]!;
    for (const bad of ['x'.repeat(30), cursor.slice(0, -3), 'a*b']) {
      const response = await get(`/more/popular?before=${encodeURIComponent(bad)}`, cookies, {
        accept: 'application/json',
      });
      expect(response.statusCode).toBe(400);
    }
    // Another reader's cursor is not theirs.
    const other = await actAs(2);
    const response = await get(`/more/popular?before=${cursor}`, other, {
      accept: 'application/json',
    });
    expect(response.statusCode).toBe(400);
  });
});
