import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { USER_COOKIE } from '../../src/server.js';
import { shot } from './browser.js';

/** What the page saw: its event streams' opens and feed-ready events, its requests, its loads. */
export interface WatchedPage {
  page: Page;
  statusRequests: () => number;
  navigations: () => number;
  close(): Promise<void>;
}

/**
 * Opens `/` as the user whose signed cookie is `cookie`, counting `/feed-status` requests and
 * page loads, with the page's EventSource instrumented (opens and feed-ready events land in
 * `window.__sfStream`).
 */
export async function openHomeWatched(
  browser: Browser,
  baseUrl: string,
  cookie: string,
): Promise<WatchedPage> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    baseURL: baseUrl,
  });
  await context.addCookies([{ name: USER_COOKIE, value: cookie, url: baseUrl }]);
  // Runs in the page (no DOM types here): EventSource is looked up on the page's global object.
  await context.addInitScript(() => {
    interface Source {
      addEventListener(name: string, listener: () => void): void;
    }
    type SourceClass = new (url: unknown, init?: unknown) => Source;
    const page = globalThis as unknown as {
      EventSource: SourceClass;
      __sfStream: { opens: number; events: string[] };
    };
    const Native = page.EventSource;
    const record = { opens: 0, events: [] as string[] };
    page.__sfStream = record;
    page.EventSource = function (url: unknown, init?: unknown) {
      const source = new Native(url, init);
      source.addEventListener('open', () => record.opens++);
      source.addEventListener('feed-ready', () => record.events.push('feed-ready'));
      return source;
    } as unknown as SourceClass;
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  let statusRequests = 0;
  let navigations = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/feed-status') statusRequests++;
  });
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await page.goto('/');
  return {
    page,
    statusRequests: () => statusRequests,
    navigations: () => navigations,
    async close() {
      expect(errors).toEqual([]);
      await context.close();
    },
  };
}

export const streamRecord = (page: Page) =>
  page.evaluate(
    () => (globalThis as unknown as { __sfStream: { opens: number; events: string[] } }).__sfStream,
  );

/**
 * The page shows "being prepared" and an empty grid, its event stream is connected; then
 * `finishRebuild` lets the rebuild end, and the pin appears and the banner goes without a reload,
 * pushed (a feed-ready event), with no /feed-status polling while the stream was connected (the
 * one check made when it opened, at most).
 */
export async function expectLiveFill(
  watched: WatchedPage,
  pinId: number,
  finishRebuild: () => Promise<void>,
  shots: string,
  tag: string,
): Promise<void> {
  const { page } = watched;
  await expect.poll(() => page.getByTestId('feed-preparing').count()).toBe(1);
  expect(await page.locator('#home-grid .pin-card').count()).toBe(0);
  await expect.poll(async () => (await streamRecord(page)).opens, { timeout: 10_000 }).toBe(1);
  await shot(page, shots, `${tag}-feed-preparing`);
  await page.evaluate(() => {
    (globalThis as unknown as { __sfSamePage: boolean }).__sfSamePage = true;
  });
  await finishRebuild();
  await expect
    .poll(() => page.locator(`#home-grid .pin-card[data-pin="${pinId}"]`).count(), {
      timeout: 30_000,
    })
    .toBe(1);
  await expect.poll(() => page.getByTestId('feed-preparing').count()).toBe(0);
  await shot(page, shots, `${tag}-feed-filled`);
  expect((await streamRecord(page)).events).toEqual(['feed-ready']);
  // No reload: the same document, loaded once.
  expect(
    await page.evaluate(() => (globalThis as unknown as { __sfSamePage?: boolean }).__sfSamePage),
  ).toBe(true);
  expect(watched.navigations()).toBe(1);
  expect(watched.statusRequests()).toBeLessThanOrEqual(1);
}
