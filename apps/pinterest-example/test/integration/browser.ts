import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const REPO_DIR = resolve(APP_DIR, '..', '..');
export const CHROMIUM = process.env.SF_CHROMIUM || '/usr/bin/chromium';

/** Installs Debian's Chromium when it is missing (scripts/ensure-chromium.sh), then launches it headless. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    execFileSync('bash', [join(REPO_DIR, 'scripts', 'ensure-chromium.sh')], {
      stdio: 'inherit',
      timeout: 600_000,
    });
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-sync',
      '--disable-quic',
    ],
  });
}

/** Screenshots go to apps/pinterest-example/test-results/<mode>/ (gitignored). */
export function screenshotDir(mode: string): string {
  const dir = join(APP_DIR, 'test-results', mode);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export async function shot(
  page: Page,
  dir: string,
  name: string,
  fullPage = false,
): Promise<string> {
  const path = join(dir, `${name}.png`);
  await page.screenshot({ path, fullPage });
  return path;
}

/** With SF_UPDATE_SCREENSHOT=1, a good home page becomes the README's docs/screenshot.png. */
export function maybeUpdateReadmeScreenshot(path: string): void {
  if (process.env.SF_UPDATE_SCREENSHOT !== '1') return;
  mkdirSync(join(REPO_DIR, 'docs'), { recursive: true });
  copyFileSync(path, join(REPO_DIR, 'docs', 'screenshot.png'));
}

export interface Person {
  context: BrowserContext;
  page: Page;
  id: number;
  name: string;
}

/** A new browser context (its own cookie jar) that joins the app as a new person. */
export async function joinAs(browser: Browser, baseUrl: string, name: string): Promise<Person> {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    baseURL: baseUrl,
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto('/');
  await expect.poll(() => page.locator('h1').innerText()).toBe('Who are you?');
  await page.locator('details.join summary').click();
  await page.getByTestId('join-name').fill(name);
  await Promise.all([page.waitForURL('**/people'), page.getByTestId('join-submit').click()]);
  const id = Number(await page.locator('body').getAttribute('data-user'));
  expect(id).toBeGreaterThan(0);
  expect(errors).toEqual([]);
  return { context, page, id, name };
}

/** Acts as an existing person through the user switcher. */
export async function switchTo(page: Page, userId: number): Promise<void> {
  await page.getByTestId('switcher').selectOption(String(userId));
  // The switcher submits itself; poll until the new page says who is acting.
  await expect
    .poll(
      () =>
        page
          .locator('body')
          .getAttribute('data-user', { timeout: 1000 })
          .catch(() => ''),
      { timeout: 10_000 },
    )
    .toBe(String(userId));
  await page.waitForLoadState('load');
}

export interface FlowOptions {
  browser: Browser;
  baseUrl: string;
  shots: string;
  /** A unique suffix for the people the flow creates. */
  tag: string;
  /** How long to wait for the fanout to reach the follower (BullMQ workers take a moment). */
  fanoutTimeoutMs: number;
}

/**
 * The flow: as A follow B; as B create a pin; as A see it in the home and grouped feeds;
 * as B see A's follow in notifications, the badge going up live and clearing on mark-all-seen.
 */
export async function followPinNotifyFlow(
  options: FlowOptions,
): Promise<{ a: Person; b: Person; pinTitle: string }> {
  const { browser, baseUrl, shots, tag } = options;
  const a = await joinAs(browser, baseUrl, `Avery ${tag}`);
  const b = await joinAs(browser, baseUrl, `Blake ${tag}`);

  // B keeps a page open: the badge is hidden (no notifications yet).
  await b.page.goto('/');
  const badge = b.page.getByTestId('unseen-badge');
  await expect.poll(() => badge.isHidden()).toBe(true);
  await shot(b.page, shots, '01-b-home-empty');

  // A follows B from B's profile (the button posts with fetch and turns into "Following").
  await a.page.goto(`/u/${b.id}`);
  await shot(a.page, shots, '02-a-profile-of-b');
  await a.page.getByTestId(`follow-${b.id}`).click();
  await expect.poll(() => a.page.getByTestId(`unfollow-${b.id}`).innerText()).toBe('Following');
  await expect.poll(() => a.page.getByTestId('followers-count').innerText()).toBe('1');
  await shot(a.page, shots, '03-a-following-b');

  // B's badge goes up live, without a reload (server-sent events).
  await expect.poll(() => badge.innerText(), { timeout: 10_000 }).toBe('1');
  expect(await badge.isVisible()).toBe(true);
  await expect.poll(() => b.page.title()).toMatch(/^\(1\) /);
  await shot(b.page, shots, '04-b-badge-live');

  // B creates a pin.
  const pinTitle = `Harbour lights ${tag}`;
  await b.page.getByTestId('new-pin').click();
  await b.page.waitForURL('**/pins/new');
  await b.page.getByTestId('pin-title').fill(pinTitle);
  await shot(b.page, shots, '05-b-new-pin-form');
  await Promise.all([b.page.waitForURL(/\/pins\/\d+$/), b.page.getByTestId('pin-submit').click()]);
  await expect.poll(() => b.page.locator('h1').innerText()).toBe(pinTitle);
  await shot(b.page, shots, '06-b-pin-page');

  // A sees it on the home feed and in the grouped feed (two fanout jobs, maybe in a worker):
  // reload each page until it shows the pin.
  const deadline = Date.now() + options.fanoutTimeoutMs;
  const reloadUntil = async (url: string, shows: () => Promise<boolean>) => {
    for (;;) {
      await a.page.goto(url);
      if (await shows()) return;
      if (Date.now() > deadline) {
        throw new Error(`the pin did not reach A's ${url} within ${options.fanoutTimeoutMs} ms`);
      }
      await a.page.waitForTimeout(250);
    }
  };
  await reloadUntil(
    '/',
    async () => (await a.page.getByTestId('home-grid').getByText(pinTitle).count()) > 0,
  );
  await expect
    .poll(() => a.page.locator('.pin-card').first().locator('.pin-title').innerText())
    .toBe(pinTitle);
  await shot(a.page, shots, '07-a-home-feed');
  await reloadUntil('/grouped', async () => (await a.page.getByTestId('group').count()) > 0);
  const group = a.page.getByTestId('group').first();
  await expect
    .poll(() => group.locator('.group-text').innerText())
    .toContain(`Blake ${tag} pinned 1 item to My pins`);
  await shot(a.page, shots, '08-a-grouped-feed');

  // B sees A's follow in notifications, and mark-all-seen clears the badge.
  await b.page.goto('/notifications');
  const item = b.page.getByTestId('notification').first();
  await expect.poll(() => item.innerText()).toContain(`Avery ${tag} started following you`);
  await expect.poll(() => item.getAttribute('class')).toContain('unseen');
  await expect.poll(() => b.page.getByTestId('unseen-badge').innerText()).toBe('1');
  await shot(b.page, shots, '09-b-notifications-unseen');
  await Promise.all([
    b.page.waitForURL('**/notifications'),
    b.page.getByTestId('mark-all-seen').click(),
  ]);
  await expect.poll(() => b.page.getByTestId('unseen-badge').isHidden()).toBe(true);
  await expect
    .poll(() => b.page.getByTestId('notification').first().getAttribute('class'))
    .not.toContain('unseen');
  await expect.poll(() => b.page.getByTestId('counts').innerText()).toContain('0 unseen');
  await shot(b.page, shots, '10-b-notifications-seen');

  // The stats page shows the fanout.
  await b.page.goto('/stats');
  await expect.poll(() => b.page.getByTestId('last-fanout-ms').count()).toBe(1);
  await shot(b.page, shots, '11-stats', true);
  return { a, b, pinTitle };
}
