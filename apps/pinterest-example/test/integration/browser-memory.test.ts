import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime.js';
import type { Runtime } from '../../src/runtime.js';
import { seed } from '../../src/seed.js';
import type { SeedSummary } from '../../src/seed.js';
import { buildApp } from '../../src/server.js';
import {
  followPinNotifyFlow,
  launchChromium,
  maybeUpdateReadmeScreenshot,
  screenshotDir,
  shot,
  switchTo,
} from './browser.js';

/** The browser flow on the embedded default: memory storage, in-process fanout. */
describe('browser: embedded default (memory storage, in-process fanout)', () => {
  let runtime: Runtime;
  let app: FastifyInstance;
  let browser: Browser;
  let baseUrl: string;
  let summary: SeedSummary;
  const shots = screenshotDir('memory');

  beforeAll(async () => {
    runtime = await createRuntime({ storage: 'memory' });
    summary = await seed(runtime, { users: 30, pins: 300, seed: 11 });
    app = await buildApp({ runtime, cookieSecret: 'browser test secret' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await runtime?.close();
  });

  it('A follows B, B pins, A sees it; B gets a live badge that clears on mark-all-seen', async () => {
    const { a, b } = await followPinNotifyFlow({
      browser,
      baseUrl,
      shots,
      tag: 'Mem',
      fanoutTimeoutMs: 5_000,
    });
    // Unfollow is immediate for the follower too.
    await a.page.goto(`/u/${b.id}`);
    await a.page.getByTestId(`unfollow-${b.id}`).click();
    await expect.poll(() => a.page.getByTestId(`follow-${b.id}`).innerText()).toBe('Follow');
    await a.page.goto('/');
    await expect.poll(() => a.page.locator('.pin-card').count()).toBe(0);
    await shot(a.page, shots, '12-a-home-after-unfollow');
    await a.context.close();
    await b.context.close();
  });

  it('pages a seeded home feed with "load more" and screenshots the app', async () => {
    const context = await browser.newContext({
      viewport: { width: 1280, height: 860 },
      baseURL: baseUrl,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto('/');
    const reader = summary.suggestedUser!;
    await switchTo(page, reader.id);
    await page.goto('/');
    const cards = page.locator('#home-grid .pin-card');
    await expect.poll(() => cards.count()).toBe(24);
    const readme = await shot(page, shots, 'home-seeded');
    maybeUpdateReadmeScreenshot(readme);
    await page.getByTestId('load-more').click();
    await expect.poll(() => cards.count()).toBeGreaterThan(24);
    const ids = await Promise.all((await cards.all()).map((card) => card.getAttribute('data-pin')));
    expect(new Set(ids).size).toBe(ids.length);
    for (const [name, url] of [
      ['grouped-seeded', '/grouped'],
      ['notifications-seeded', '/notifications'],
      ['people', '/people'],
      ['profile', `/u/${summary.topAccounts[0]!.id}`],
      ['stats-seeded', '/stats'],
    ] as const) {
      await page.goto(url);
      await shot(page, shots, name);
    }
    await page.goto('/u/not-a-number');
    await expect
      .poll(() => page.getByTestId('error-message').innerText())
      .toContain('The user id must be a positive whole number');
    await shot(page, shots, 'error-400');
    expect(errors).toEqual([]);
    await context.close();
  });
});
