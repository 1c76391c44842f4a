import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as actions from '../../src/actions.js';
import { pinActivity } from '../../src/feeds.js';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import type { Pin } from '../../src/store.js';
import { pinIds } from '../app-harness.js';
import { actAs, appWithLog } from '../corrupt-records.js';
import { SHARED_MODES, finishModeRun } from './modes.js';
import type { ModeSetup } from './modes.js';

/**
 * The "popular" tab on the shared storages: the home feed (Redis sorted sets; PostgreSQL rows)
 * ranked with the love counts of the app's store, paged with the ranked cursor over HTTP.
 */
describe.each(SHARED_MODES)('the popular tab: $label', (mode) => {
  let setup: ModeSetup;
  let runtime: Runtime;
  let app: FastifyInstance;

  beforeAll(async () => {
    setup = await mode.setup('popular');
    runtime = await createRuntime(setup.overrides);
    ({ app } = await appWithLog(runtime));
  });

  afterAll(async () => {
    await finishModeRun({ setup, runtime, app });
  });

  it('ranks by loves then recency; pages stay stable while pins are loved and added', async () => {
    const now = Date.now();
    const reader = await actions.createUser(runtime, 'Pop Reader', 'pop_reader', 10);
    const author = await actions.createUser(runtime, 'Pop Author', 'pop_author', 20);
    const fans = [
      await actions.createUser(runtime, 'Pop Fan A', 'pop_fan_a', 30),
      await actions.createUser(runtime, 'Pop Fan B', 'pop_fan_b', 40),
    ];
    const board = await runtime.store.createBoard({
      userId: author.id,
      name: 'Pop',
      createdAt: now,
    });
    const pins: Pin[] = [];
    for (let i = 0; i < 40; i++) {
      const { pin } = await actions.createPin(runtime, author, {
        boardId: board.id,
        hue: 10 * i,
        pattern: 'waves',
        title: `Pop pin ${i}`,
        time: now - (40 - i) * 60_000,
      });
      pins.push(pin);
    }
    // Following copies the author's pins into the reader's feeds at once (no worker needed).
    await actions.follow(runtime, reader, author);
    for (const fan of fans) await actions.love(runtime, fan, pins[3]!);
    await actions.love(runtime, fans[0]!, pins[10]!);
    const cookies = await actAs(app, reader.id);

    const first = await app.inject({ method: 'GET', url: '/popular', cookies });
    expect(first.statusCode).toBe(200);
    const newestFirst = pins.map((pin) => pin.id).reverse();
    const served = pinIds(first.body);
    expect(served.slice(0, 3)).toEqual([
      pins[3]!.id,
      pins[10]!.id,
      ...newestFirst.filter((id) => id !== pins[3]!.id && id !== pins[10]!.id).slice(0, 1),
    ]);
    let cursor = /data-cursor="([A-Za-z0-9_-]+)"/.exec(first.body)?.[1];
    const late = await actions.createPin(runtime, author, {
      boardId: board.id,
      hue: 1,
      pattern: 'waves',
      title: 'Pop latecomer',
      time: now,
    });
    await runtime.feeds.normal.for(reader.id).add(pinActivity(late.pin));
    await actions.love(runtime, fans[1]!, pins[0]!);
    let pages = 1;
    while (cursor) {
      const response = await app.inject({
        method: 'GET',
        url: `/more/popular?before=${cursor}`,
        cookies,
        headers: { accept: 'application/json' },
      });
      expect(response.statusCode).toBe(200);
      const page = response.json<{ html: string; cursor: string | null }>();
      if (pages === 1) expect(pinIds(page.html)[0]).toBe(pins[0]!.id);
      served.push(...pinIds(page.html));
      cursor = page.cursor ?? undefined;
      pages += 1;
    }
    expect(pages).toBeGreaterThan(1);
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort((a, b) => a - b)).toEqual(
      pins.map((pin) => pin.id).sort((a, b) => a - b),
    );
    const reload = pinIds((await app.inject({ method: 'GET', url: '/popular', cookies })).body);
    expect(reload).toContain(late.pin.id);
    const bad = await app.inject({
      method: 'GET',
      url: '/more/popular?before=abcdef',
      cookies,
      headers: { accept: 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
  });
});
