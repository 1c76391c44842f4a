import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHttpLimits, httpLimitsFromEnv, serverOptions } from './http-edge.js';
import { originsFromEnv } from './origin.js';
import { ConfigError, createRuntime } from './runtime.js';
import type { Runtime } from './runtime.js';
import { USER_COOKIE, buildApp } from './server.js';

/** The edge of the app: bad URLs get its 4xx page, the origin check, the HTTP limits' config. */
let runtime: Runtime;
let app: FastifyInstance;
let cookies: Record<string, string>;
const ORIGIN = 'http://localhost:80';
const FORM = 'application/x-www-form-urlencoded';

beforeAll(async () => {
  runtime = await createRuntime({ storage: 'memory' });
  app = await buildApp({ runtime, cookieSecret: 'edge test secret' });
  const joined = await app.inject({
    method: 'POST',
    url: '/join',
    headers: { 'content-type': FORM, origin: ORIGIN },
    payload: 'name=Edge+Tester',
  });
  expect(joined.statusCode).toBe(303);
  const cookie = joined.cookies.find((c) => c.name === USER_COOKIE)!;
  cookies = { [USER_COOKIE]: cookie.value };
});

afterAll(async () => {
  await app?.close();
  await runtime?.close();
});

function newBoard(name: string, headers: Record<string, string>, host?: string) {
  return app.inject({
    method: 'POST',
    url: '/boards',
    cookies,
    headers: { 'content-type': FORM, ...(host ? { host } : {}), ...headers },
    payload: `name=${encodeURIComponent(name)}`,
  });
}

describe("bad URLs get the app's 4xx page, never Fastify's JSON", () => {
  it('answers a broken percent-encoding with the HTML error page', async () => {
    for (const url of ['/u/%zz', '/pins/%E0%A4%A', '/boards/%', '/u/%zz/followers']) {
      const response = await app.inject({ method: 'GET', url, cookies });
      expect(response.statusCode, url).toBe(400);
      expect(response.headers['content-type'], url).toMatch(/^text\/html/);
      expect(response.body, url).toContain('data-testid="error"');
      expect(response.body, url).toContain('broken percent-encoding');
      expect(response.body, url).toContain('data-user='); // the app's layout, not a bare message
      expect(response.headers['content-security-policy'], url).toContain("default-src 'self'");
    }
  });

  it('answers an overlong path part with the HTML error page (414)', async () => {
    const response = await app.inject({ method: 'GET', url: `/u/${'7'.repeat(200)}` });
    expect(response.statusCode).toBe(414);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.body).toContain('A part of the address is too long.');
  });

  it("answers the app's JSON error to a request that asks for JSON", async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/u/%zz',
      headers: { accept: 'application/json' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      ok: false,
      status: 400,
      message: expect.stringContaining('broken percent-encoding'),
    });
  });

  it('keeps bad bodies on the HTML page too (content type, size, JSON)', async () => {
    const cases: Array<[Record<string, string>, string, number]> = [
      [{ 'content-type': 'text/plain' }, 'name=x', 415],
      [{ 'content-type': 'application/json' }, '{"name":', 400],
      [{ 'content-type': FORM }, `name=${'z'.repeat(70_000)}`, 413],
    ];
    for (const [headers, payload, status] of cases) {
      const response = await app.inject({
        method: 'POST',
        url: '/boards',
        cookies,
        headers: { ...headers, origin: ORIGIN },
        payload,
      });
      expect(response.statusCode, payload.slice(0, 20)).toBe(status);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('data-testid="error"');
    }
  });
});

describe('the origin check compares scheme, host and port', () => {
  it('accepts a post from its own origin (Origin, or else Referer)', async () => {
    expect((await newBoard('Own origin', { origin: ORIGIN })).statusCode).toBe(303);
    expect((await newBoard('Default port', { origin: 'http://localhost' })).statusCode).toBe(303);
    const referer = await newBoard('Own referer', { referer: 'http://localhost/pins/new' });
    expect(referer.statusCode).toBe(303);
  });

  it('refuses another scheme, port or host, and an opaque origin', async () => {
    for (const origin of [
      'https://localhost:80',
      'https://localhost',
      'http://localhost:8080',
      'http://evil.example',
      'null',
    ]) {
      const response = await newBoard(`From ${origin}`, { origin });
      expect(response.statusCode, origin).toBe(403);
      expect(response.body, origin).toContain('Cross-site form posts are refused.');
    }
    const referer = await newBoard('Other scheme', { referer: 'https://localhost:80/pins/new' });
    expect(referer.statusCode).toBe(403);
  });

  it('refuses a state-changing request with neither Origin nor Referer', async () => {
    const response = await newBoard('No headers', {});
    expect(response.statusCode).toBe(403);
    expect(response.body).toContain('neither an Origin nor a Referer header');
    const json = await app.inject({
      method: 'POST',
      url: '/notifications/mark-all',
      cookies,
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      payload: '{}',
    });
    expect(json.statusCode).toBe(403);
    // Reads need neither.
    expect((await app.inject({ method: 'GET', url: '/people', cookies })).statusCode).toBe(200);
  });

  it('uses the configured public origins instead of the served one', async () => {
    const behindProxy = await buildApp({
      runtime,
      cookieSecret: 'edge test secret',
      origins: originsFromEnv({
        SF_PUBLIC_ORIGIN: 'https://pins.example, https://pins.example:8443',
      }),
    });
    try {
      const post = (origin: string) =>
        behindProxy.inject({
          method: 'POST',
          url: '/boards',
          cookies,
          headers: { 'content-type': FORM, origin, host: 'app.internal:3000' },
          payload: `name=${encodeURIComponent(`Via ${origin}`)}`,
        });
      expect((await post('https://pins.example')).statusCode).toBe(303);
      expect((await post('https://pins.example:8443')).statusCode).toBe(303);
      expect((await post('http://pins.example')).statusCode).toBe(403);
      expect((await post('http://app.internal:3000')).statusCode).toBe(403);
    } finally {
      await behindProxy.close();
    }
  });

  it('checks SF_PUBLIC_ORIGIN', () => {
    expect(originsFromEnv({})).toBeUndefined();
    expect(originsFromEnv({ SF_PUBLIC_ORIGIN: 'https://pins.example:443/' })).toEqual([
      'https://pins.example',
    ]);
    for (const bad of ['pins.example', 'https://pins.example/app', 'ftp://pins.example'])
      expect(() => originsFromEnv({ SF_PUBLIC_ORIGIN: bad }), bad).toThrow(ConfigError);
  });
});

describe('HTTP limits from the environment', () => {
  it('has defaults, reads the variables and refuses bad values', () => {
    expect(httpLimitsFromEnv({})).toEqual(defaultHttpLimits);
    const limits = httpLimitsFromEnv({
      SF_HEADERS_TIMEOUT_MS: '2000',
      SF_REQUEST_TIMEOUT_MS: '4000',
      SF_CONNECTION_TIMEOUT_MS: '9000',
      SF_KEEP_ALIVE_TIMEOUT_MS: '1500',
      SF_MAX_CONNECTIONS_PER_CLIENT: '0',
    });
    expect(limits).toEqual({
      headersTimeoutMs: 2000,
      requestTimeoutMs: 4000,
      connectionTimeoutMs: 9000,
      keepAliveTimeoutMs: 1500,
      maxConnectionsPerClient: 0,
    });
    expect(serverOptions(limits)).toMatchObject({
      requestTimeout: 4000,
      connectionTimeout: 9000,
      keepAliveTimeout: 1500,
      http: { headersTimeout: 2000, requestTimeout: 4000, connectionsCheckingInterval: 500 },
    });
    // The defaults reach Node's server (the app under test was built without limits).
    expect(app.server).toMatchObject({
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      keepAliveTimeout: 5_000,
      timeout: 60_000,
    });
    expect(() => httpLimitsFromEnv({ SF_REQUEST_TIMEOUT_MS: '0' })).toThrow(
      /SF_REQUEST_TIMEOUT_MS must be a positive whole number, got "0"/,
    );
    expect(() => httpLimitsFromEnv({ SF_MAX_CONNECTIONS_PER_CLIENT: 'many' })).toThrow(ConfigError);
    expect(() =>
      httpLimitsFromEnv({ SF_HEADERS_TIMEOUT_MS: '60000', SF_REQUEST_TIMEOUT_MS: '30000' }),
    ).toThrow(/headers timeout \(60000 ms\) must not exceed the request timeout \(30000 ms\)/);
  });
});
