import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { OTHER_WRITE_KEY, READ_KEY, WRITE_KEY, readmeEvents, testConfig } from './test-config.js';

let app: FastifyInstance;
const write = { 'x-api-key': WRITE_KEY };
const read = { 'x-api-key': READ_KEY };

beforeEach(async () => {
  app = await buildApp({ config: testConfig() });
});
afterEach(async () => {
  await app.close();
});

async function insertReadme(): Promise<void> {
  for (const event of readmeEvents) {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: write,
      payload: event,
    });
    expect(response.statusCode).toBe(201);
  }
}

async function items(query = '', headers: Record<string, string> = read): Promise<unknown[]> {
  const response = await app.inject({ method: 'GET', url: `/items${query}`, headers });
  expect(response.statusCode, response.body).toBe(200);
  return response.json<{ items: unknown[] }>().items;
}

const [createRepo, deleteRepo, watch, friend291, friend23] = readmeEvents;

describe("AwesomeStream's README over REST (memory)", () => {
  it('returns ids in insertion order', async () => {
    const ids: string[] = [];
    for (const event of readmeEvents) {
      ids.push(
        (await app.inject({ method: 'POST', url: '/items', headers: write, payload: event })).json<{
          id: string;
        }>().id,
      );
    }
    expect(ids).toEqual(['1', '2', '3', '4', '5']);
  });

  it('answers the queries of the README exactly', async () => {
    await insertReadme();
    expect(await items()).toEqual([friend23, friend291, watch, deleteRepo, createRepo]);
    expect(await items('?kind=friend')).toEqual([friend23, friend291]);
    expect(await items('?kind=friend&user=23')).toEqual([friend23]);
    expect(await items('?user=23&user=291')).toEqual([
      friend23,
      friend291,
      watch,
      deleteRepo,
      createRepo,
    ]);
    expect(await items('?user=23&user=291&start=1&end=3')).toEqual([friend291, watch]);
  });

  it('slices like Python and defaults to 20 items', async () => {
    for (let i = 0; i < 30; i++)
      await app.inject({
        method: 'POST',
        url: '/items',
        headers: write,
        payload: { n: i, kind: i % 2 ? 'odd' : 'even' },
      });
    const all = (await items()) as Array<{ n: number }>;
    expect(all.map((item) => item.n)).toEqual(Array.from({ length: 20 }, (_, i) => 29 - i));
    expect(
      ((await items('?start=25&end=40')) as Array<{ n: number }>).map((item) => item.n),
    ).toEqual([4, 3, 2, 1, 0]);
    expect(await items('?start=3&end=3')).toEqual([]);
    expect(
      ((await items('?kind=odd&start=1&end=3')) as Array<{ n: number }>).map((item) => item.n),
    ).toEqual([27, 25]);
    expect(await items('?repo=1')).toEqual([]);
  });

  it('matches numbers and strings by their text, and indexes each value of an array', async () => {
    await app.inject({
      method: 'POST',
      url: '/items',
      headers: write,
      payload: { user: 23, kind: 'a' },
    });
    await app.inject({
      method: 'POST',
      url: '/items',
      headers: write,
      payload: { user: '23', kind: ['b', 'c'] },
    });
    await app.inject({
      method: 'POST',
      url: '/items',
      headers: write,
      payload: { user: 23.0, kind: true },
    });
    expect(await items('?user=23')).toHaveLength(3);
    expect(await items('?kind=c')).toEqual([{ user: '23', kind: ['b', 'c'] }]);
    expect(await items('?kind=true')).toEqual([{ user: 23, kind: true }]);
    expect(await items('?kind=a&kind=b&kind=true&start=1')).toHaveLength(2);
  });

  it('accepts the key as a bearer token', async () => {
    await insertReadme();
    expect(await items('?kind=watch', { authorization: `Bearer ${READ_KEY}` })).toEqual([watch]);
  });
});

describe('bad requests get 4xx and change nothing', () => {
  async function expectUnchanged(count: number): Promise<void> {
    expect(await items('?end=1000')).toHaveLength(count);
  }

  it.each([
    ['a JSON array', [1, 2]],
    ['a string', 'hello'],
    ['an object as an indexed value', { user: { id: 1 } }],
    ['null as an indexed value', { kind: null }],
    ['an array of objects as an indexed value', { kind: [{ a: 1 }] }],
    ['a too long indexed value', { kind: 'x'.repeat(257) }],
    ['a prototype-poisoning key', JSON.parse('{"__proto__": {"admin": true}}') as unknown],
  ])('POST /items with %s is a 400', async (_name, payload) => {
    await insertReadme();
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { ...write, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    await expectUnchanged(5);
  });

  it('rejects invalid JSON, empty bodies and other media types', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { ...write, 'content-type': 'application/json' },
      payload: '{"kind":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_JSON');
    const empty = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { ...write, 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    const text = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { ...write, 'content-type': 'text/plain' },
      payload: 'kind=x',
    });
    expect(text.statusCode).toBe(415);
    await expectUnchanged(0);
  });

  it('refuses a body over the limit with 413', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/items',
      headers: write,
      payload: { kind: 'big', blob: 'x'.repeat(20_000) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json().code).toBe('BODY_TOO_LARGE');
    await expectUnchanged(0);
  });

  it('needs an API key, a known one, and a write key to write', async () => {
    const missing = await app.inject({ method: 'POST', url: '/items', payload: { kind: 'x' } });
    expect(missing.statusCode).toBe(401);
    expect(missing.json().code).toBe('MISSING_API_KEY');
    const unknown = await app.inject({
      method: 'POST',
      url: '/items',
      headers: { 'x-api-key': 'not-a-key-at-all' },
      payload: { kind: 'x' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().code).toBe('INVALID_API_KEY');
    const readOnly = await app.inject({
      method: 'POST',
      url: '/items',
      headers: read,
      payload: { kind: 'x' },
    });
    expect(readOnly.statusCode).toBe(403);
    const noKeyRead = await app.inject({ method: 'GET', url: '/items' });
    expect(noKeyRead.statusCode).toBe(401);
    await expectUnchanged(0);
  });

  it.each([
    ['?start=-1', 'querystring/start must be >= 0'],
    ['?start=a', 'querystring/start must be integer'],
    ['?start=1&start=2', 'querystring/start must be integer'],
    ['?end=1.5', 'querystring/end must be integer'],
    ['?name=frist', 'querystring has unknown property "name"'],
    ['?start=5&end=2', 'end (2) must not be less than start (5)'],
    ['?end=5000', 'end - start may be at most 1000'],
  ])('GET /items%s is a 400 saying %s', async (query, message) => {
    const response = await app.inject({ method: 'GET', url: `/items${query}`, headers: read });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toContain(message);
  });

  it('caps the number of filter values', async () => {
    const query = Array.from({ length: 101 }, (_, i) => `user=${i}`).join('&');
    const response = await app.inject({ method: 'GET', url: `/items?${query}`, headers: read });
    expect(response.statusCode).toBe(400);
  });

  it('answers unknown routes with a 404 body', async () => {
    const response = await app.inject({ method: 'GET', url: '/nope', headers: read });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ code: 'ROUTE_NOT_FOUND' });
  });
});

describe('tenants', () => {
  it("never shows a tenant another tenant's items", async () => {
    await insertReadme();
    const other = { 'x-api-key': OTHER_WRITE_KEY };
    expect(await items('', other)).toEqual([]);
    await app.inject({
      method: 'POST',
      url: '/items',
      headers: other,
      payload: { kind: 'friend', user: 23 },
    });
    expect(await items('?kind=friend', other)).toEqual([{ kind: 'friend', user: 23 }]);
    expect(await items('?kind=friend')).toEqual([friend23, friend291]);
  });

  it("cannot reach another tenant's feeds through crafted ids or names", async () => {
    await app.inject({
      method: 'POST',
      url: '/feeds/timeline/1/activities',
      headers: write,
      payload: { actor: 2, verb: 'pin', object: 9 },
    });
    const other = { 'x-api-key': OTHER_WRITE_KEY };
    const own = await app.inject({ method: 'GET', url: '/feeds/timeline/1', headers: other });
    expect(own.json().items).toEqual([]);
    for (const url of [
      '/feeds/timeline/..%2F1',
      '/feeds/timeline/acme:feeds:feed:1',
      '/feeds/timeline/%7Bacme%7D',
      '/feeds/timeline/1%00',
      '/feeds/acme/1',
      '/feeds/timeline/' + 'x'.repeat(65),
    ]) {
      const response = await app.inject({ method: 'GET', url, headers: other });
      expect(response.statusCode, url).toBe(400);
    }
  });
});

describe('OpenAPI', () => {
  it('serves a document built from the route schemas', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    interface Operation {
      parameters?: Array<{ name: string; in: string }>;
      security?: unknown;
      requestBody?: unknown;
    }
    const doc = response.json<{
      openapi: string;
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, unknown> };
      'x-jsonrpc-methods': Record<string, unknown>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/items',
        '/feeds/{feed}/{userId}',
        '/users/{userId}/activities',
        '/users/{userId}/following/{targetId}',
        '/rpc',
      ]),
    );
    const parameters = (doc.paths['/items']!.get!.parameters ?? []).map((p) => `${p.in}:${p.name}`);
    expect(parameters).toEqual(
      expect.arrayContaining([
        'query:start',
        'query:end',
        'query:user',
        'query:kind',
        'query:repo',
      ]),
    );
    expect(doc.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(doc.paths['/items']!.post!.security).toEqual([{ apiKey: [] }, { bearer: [] }]);
    expect(Object.keys(doc['x-jsonrpc-methods'])).toEqual(
      expect.arrayContaining(['insert', 'items', 'readFeed', 'publish', 'follow']),
    );
    expect(doc.paths['/rpc']!.post!.requestBody).toBeDefined();
  });

  it('is public, as is /health', async () => {
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toMatchObject({ status: 'ok', storage: 'memory' });
  });
});
