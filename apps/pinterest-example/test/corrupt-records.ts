import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import * as actions from '../src/actions.js';
import { pinActivity } from '../src/feeds.js';
import type { Runtime } from '../src/runtime.js';
import { USER_COOKIE, buildApp } from '../src/server.js';
import type { Pin, User } from '../src/store.js';

/**
 * Shared by the memory (src/records.test.ts) and Redis (test/integration) tests of corrupt
 * stored records: Ada follows Bo; Bo has a good pin and a pin whose record gets corrupted;
 * Cy (whose user record gets corrupted) follows Bo too and loves the corrupt pin.
 */
export interface Scenario {
  ada: User;
  bo: User;
  cy: User;
  boardId: number;
  good: Pin;
  bad: Pin;
}

/**
 * With `corruptAtCreation` (memory: records cannot be edited afterwards) the bad pin and Cy are
 * written to the store directly with `createdAt: NaN`; otherwise they are made well and the caller
 * corrupts them in place (Redis: HSET on the record's hash).
 */
export async function buildScenario(
  runtime: Runtime,
  tag: string,
  options: { corruptAtCreation: boolean },
): Promise<Scenario> {
  const now = Date.now();
  const ada = await actions.createUser(runtime, `Ada ${tag}`, `ada_${tag}`, 10);
  const bo = await actions.createUser(runtime, `Bo ${tag}`, `bo_${tag}`, 20);
  const cy = await actions.createUser(
    runtime,
    `Cy ${tag}`,
    `cy_${tag}`,
    30,
    options.corruptAtCreation ? NaN : now,
  );
  const board = await runtime.store.createBoard({
    userId: bo.id,
    name: 'Harbours',
    createdAt: now,
  });
  const input = { boardId: board.id, hue: 200, pattern: 'waves' } as const;
  const good = (
    await actions.createPin(runtime, bo, { ...input, title: `Good pin ${tag}`, time: now - 2000 })
  ).pin;
  let bad: Pin;
  if (options.corruptAtCreation) {
    bad = await runtime.store.createPin({
      ...input,
      userId: bo.id,
      title: `Bad pin ${tag}`,
      createdAt: NaN,
    });
    await runtime.manager.addUserActivity(bo.id, pinActivity({ ...bad, createdAt: now - 1000 }));
  } else {
    bad = (
      await actions.createPin(runtime, bo, { ...input, title: `Bad pin ${tag}`, time: now - 1000 })
    ).pin;
  }
  // Following copies Bo's pins into the home and grouped feeds at once (no worker needed).
  await actions.follow(runtime, ada, bo);
  await actions.follow(runtime, cy, bo);
  await actions.love(runtime, cy, bad);
  return { ada, bo, cy, boardId: board.id, good, bad };
}

/** An app whose warnings are collected. */
export async function appWithLog(
  runtime: Runtime,
): Promise<{ app: FastifyInstance; log: string[] }> {
  const log: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.push(chunk.toString());
      done();
    },
  });
  const app = await buildApp({
    runtime,
    cookieSecret: 'corrupt records test secret',
    logger: { level: 'warn', stream },
  });
  return { app, log };
}

export async function actAs(app: FastifyInstance, userId: number): Promise<Record<string, string>> {
  const response = await app.inject({
    method: 'POST',
    url: '/switch',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://localhost:80' },
    payload: `userId=${userId}`,
  });
  expect(response.statusCode).toBe(303);
  const cookie = response.cookies.find((c) => c.name === USER_COOKIE)!;
  return { [USER_COOKIE]: cookie.value };
}

/**
 * Every page that shows the corrupt pin renders (200) with the good pin and without the bad one;
 * the corrupt records are logged and counted on the stats page.
 */
export async function expectPagesSkipCorrupt(
  app: FastifyInstance,
  runtime: Runtime,
  s: Scenario,
  log: string[],
): Promise<void> {
  const asAda = await actAs(app, s.ada.id);
  const asBo = await actAs(app, s.bo.id);
  const pages: Array<[string, Record<string, string>]> = [
    ['/', asAda],
    ['/grouped', asAda],
    [`/u/${s.bo.id}`, asAda],
    [`/boards/${s.boardId}`, asAda],
    ['/notifications', asBo],
    [`/u/${s.bo.id}/followers`, asBo],
    ['/people', asBo],
    ['/more/home', asAda],
    [`/more/user/${s.bo.id}`, asAda],
    ['/more/grouped', asAda],
  ];
  for (const [url, cookies] of pages) {
    const response = await app.inject({ method: 'GET', url, cookies });
    expect(response.statusCode, `${url}: ${response.body.slice(0, 300)}`).toBe(200);
    expect(response.body, url).not.toContain(`Bad pin`);
    expect(response.body, url).not.toContain(`Cy `);
    if (['/', `/u/${s.bo.id}`, `/boards/${s.boardId}`, '/more/home'].includes(url))
      expect(response.body, url).toContain(s.good.title);
  }
  // The corrupt pin's own page is a 404, not a 500.
  const pinPage = await app.inject({ method: 'GET', url: `/pins/${s.bad.id}`, cookies: asAda });
  expect(pinPage.statusCode).toBe(404);
  // Reported: a warning naming the record and what is wrong, and counters on the stats page.
  const warnings = log.join('');
  expect(warnings).toContain(`corrupt pin record ${s.bad.id} skipped: createdAt is not a date`);
  expect(warnings).toContain(`corrupt user record ${s.cy.id} skipped`);
  await runtime.metrics.flush();
  const counters = await runtime.store.readStats();
  expect(counters['corrupt.pin']).toBeGreaterThan(0);
  expect(counters['corrupt.user']).toBeGreaterThan(0);
  const stats = await app.inject({ method: 'GET', url: '/stats', cookies: asBo });
  expect(stats.statusCode).toBe(200);
  expect(stats.body).toContain('Corrupt records skipped on read');
}
