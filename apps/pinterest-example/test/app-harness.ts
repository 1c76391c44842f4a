import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, expect } from 'vitest';
import { createRuntime } from '../src/runtime.js';
import type { Runtime } from '../src/runtime.js';
import { seed } from '../src/seed.js';
import { USER_COOKIE, buildApp } from '../src/server.js';

/** Shared by the src/server-*.test.ts files: one seeded memory app per file, and requests to it. */

export type Cookies = Record<string, string>;

/** The origin of the app under inject (Host: localhost:80). */
export const ORIGIN = 'http://localhost:80';

export function form(fields: Record<string, string | string[]>): {
  headers: Record<string, string>;
  payload: string;
} {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
  }
  return {
    // Same-origin posts say where they come from, as browsers do (inject's Host is localhost:80).
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    payload: params.toString(),
  };
}

export function cookieOf(response: LightMyRequestResponse): Cookies {
  const cookie = response.cookies.find((c) => c.name === USER_COOKIE);
  if (!cookie) throw new Error(`no ${USER_COOKIE} cookie in the response (${response.statusCode})`);
  return { [USER_COOKIE]: cookie.value };
}

/** The text of a page: tags removed, whitespace collapsed, a few entities decoded. */
export function textOf(body: string): string {
  return body
    .replace(/<[^>]*>/g, '')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ');
}

/** Pin ids on a page, in order. */
export function pinIds(body: string): number[] {
  return [...body.matchAll(/data-pin="(\d+)"/g)].map((m) => Number(m[1]));
}

export interface SeededApp {
  readonly app: FastifyInstance;
  readonly runtime: Runtime;
  actAs: (userId: number) => Promise<Cookies>;
  join: (name: string) => Promise<{ cookies: Cookies; id: number }>;
  get: (
    url: string,
    cookies?: Cookies,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
  post: (
    url: string,
    fields: Record<string, string | string[]>,
    cookies?: Cookies,
    headers?: Record<string, string>,
  ) => Promise<LightMyRequestResponse>;
}

/** A memory runtime seeded with 12 people and 80 pins, and the app on it (small pages). */
export function useSeededApp(): SeededApp {
  let runtime: Runtime | undefined;
  let app: FastifyInstance | undefined;

  beforeAll(async () => {
    runtime = await createRuntime({ storage: 'memory' });
    await seed(runtime, { users: 12, pins: 80, seed: 7 });
    app = await buildApp({
      runtime,
      cookieSecret: 'a test secret that is long enough',
      pageSize: 6,
      groupPageSize: 3,
    });
  });

  afterAll(async () => {
    await app?.close();
    await runtime?.close();
  });

  const harness: SeededApp = {
    get app() {
      return app!;
    },
    get runtime() {
      return runtime!;
    },
    actAs: async (userId) => {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/switch',
        ...form({ userId: String(userId), next: '/' }),
      });
      expect(response.statusCode).toBe(303);
      return cookieOf(response);
    },
    join: async (name) => {
      const response = await harness.app.inject({
        method: 'POST',
        url: '/join',
        ...form({ name }),
      });
      expect(response.statusCode).toBe(303);
      const cookies = cookieOf(response);
      const user = (await harness.runtime.store.listUsers()).find((u) => u.name === name)!;
      return { cookies, id: user.id };
    },
    get: async (url, cookies = {}, headers = {}) =>
      harness.app.inject({ method: 'GET', url, cookies, headers }),
    post: async (url, fields, cookies = {}, headers = {}) => {
      const body = form(fields);
      return harness.app.inject({
        method: 'POST',
        url,
        cookies,
        headers: { ...body.headers, ...headers },
        payload: body.payload,
      });
    },
  };
  return harness;
}

/**
 * A memory-mode app (`inactiveAfterMs` set) listening on a free port, whose feed rebuilds wait
 * while a `hold()` is in effect: the test decides when a rebuild ends (the rebuild's lookup of
 * whom the user follows waits for the returned release).
 */
export interface GatedMemoryApp {
  runtime: Runtime;
  app: FastifyInstance;
  baseUrl: string;
  /** Makes rebuilds that start from now on wait; call the returned function to let them end. */
  hold(): () => void;
  close(): Promise<void>;
}

export async function startGatedMemoryApp(options: {
  inactiveAfterMs: number;
  cookieSecret: string;
}): Promise<GatedMemoryApp> {
  let gate: Promise<void> | undefined;
  const runtime = await createRuntime({
    storage: 'memory',
    inactiveAfterMs: options.inactiveAfterMs,
  });
  const followingIds = runtime.store.followingIds.bind(runtime.store);
  runtime.store.followingIds = async (userId) => {
    await gate;
    return followingIds(userId);
  };
  const app = await buildApp({ runtime, cookieSecret: options.cookieSecret });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    runtime,
    app,
    baseUrl: `http://127.0.0.1:${port}`,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    async close() {
      await app.close();
      await runtime.close();
    },
  };
}
