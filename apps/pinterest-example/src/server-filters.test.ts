// The home feed's board filter: the normal feed indexes extraContext.board at write time.
import { beforeAll, describe, expect, it } from 'vitest';
import { pinIds, useSeededApp } from '../test/app-harness.js';
import type { Runtime } from './runtime.js';

const harness = useSeededApp();
const { join, get, post } = harness;
let runtime: Runtime;
beforeAll(() => {
  ({ runtime } = harness);
});

describe('the home feed filtered by board', () => {
  it('shows only the pins to one board, with per-board counts, and pages within the filter', async () => {
    const reader = await join('Filter Reader');
    const author = await join('Filter Author');
    const created = await post('/boards', { name: 'Second board' }, author.cookies, {
      accept: 'application/json',
    });
    expect(created.statusCode).toBeLessThan(400);
    const boards = await runtime.store.listBoards(author.id);
    const [first, second] = [boards[0]!, boards.find((b) => b.name === 'Second board')!];
    expect(second).toBeDefined();
    await post(`/u/${author.id}/follow`, { next: '/' }, reader.cookies);
    const pins: Array<{ id: number; board: number }> = [];
    for (let i = 0; i < 9; i++) {
      const board = i % 3 === 0 ? second : first;
      const response = await post(
        '/pins',
        { title: `Filter pin ${i}`, boardId: String(board.id) },
        author.cookies,
      );
      expect(response.statusCode).toBe(303);
      pins.unshift({ id: Number(response.headers.location!.split('/').pop()), board: board.id });
    }
    const onSecond = pins.filter((p) => p.board === second.id).map((p) => p.id);
    const onFirst = pins.filter((p) => p.board === first.id).map((p) => p.id);

    const home = await get('/', reader.cookies);
    expect(home.body).toContain('data-testid="board-filters"');
    expect(home.body).toMatch(new RegExp(`data-board="${first.id}"[^>]*>\\s*${first.name}`));
    expect(await runtime.feeds.normal.for(reader.id).countBy('board')).toEqual({
      [String(first.id)]: 6,
      [String(second.id)]: 3,
    });

    const filtered = await get(`/?board=${second.id}`, reader.cookies);
    expect(filtered.statusCode).toBe(200);
    expect(pinIds(filtered.body)).toEqual(onSecond);

    // Paging stays within the filter: the home page size is 6, the first board has 6 pins here.
    const firstPage = await get(`/?board=${first.id}`, reader.cookies);
    const seen = pinIds(firstPage.body);
    let cursor = /data-cursor="(\d+)"/.exec(firstPage.body)?.[1];
    expect(firstPage.body).toContain(`data-more="/more/home?board=${first.id}"`);
    while (cursor) {
      const response = await get(`/more/home?board=${first.id}&before=${cursor}`, reader.cookies, {
        accept: 'application/json',
      });
      const page = response.json<{ html: string; cursor: string | null }>();
      seen.push(...pinIds(page.html));
      cursor = page.cursor ?? undefined;
    }
    expect(seen).toEqual(onFirst);

    const none = await get(`/?board=999999`, reader.cookies);
    expect(none.statusCode).toBe(200);
    expect(pinIds(none.body)).toEqual([]);
    expect((await get('/?board=abc', reader.cookies)).statusCode).toBe(400);
  });
});
