import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { READ_KEY, WRITE_KEY, testConfig } from './test-config.js';

// Hostile bodies (issue 12 items 6, 7 and 8): the same answer over REST and JSON-RPC.

let app: FastifyInstance;
const write = { 'x-api-key': WRITE_KEY, 'content-type': 'application/json' };

beforeEach(async () => {
  app = await buildApp({ config: testConfig({ limits: { bodyBytes: 200_000, jsonDepth: 64 } }) });
});
afterEach(async () => {
  await app.close();
});

async function rest(url: string, text: string) {
  const response = await app.inject({ method: 'POST', url, headers: write, payload: text });
  return { status: response.statusCode, body: response.json<Record<string, unknown>>() };
}

async function rpc(method: string, paramsText: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/rpc',
    headers: write,
    payload: `{"jsonrpc":"2.0","id":1,"method":"${method}","params":${paramsText}}`,
  });
  expect(response.statusCode).toBe(200);
  return response.json<{
    result?: unknown;
    error?: { code: number; message: string; data?: { code?: string } };
  }>();
}

async function itemCount(): Promise<number> {
  const response = await app.inject({
    method: 'GET',
    url: '/items?end=1000',
    headers: { 'x-api-key': READ_KEY },
  });
  return response.json<{ items: unknown[] }>().items.length;
}

const nested = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('nesting depth (limits.jsonDepth)', () => {
  it('refuses an item nested 10,000 levels with a 400 naming the limit, over REST and RPC', async () => {
    const item = `{"kind":"deep","x":${nested(10_000)}}`;
    const viaRest = await rest('/items', item);
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.code).toBe('TOO_DEEP');
    expect(viaRest.body.message).toContain('limits.jsonDepth (64)');
    for (const params of [`[${item}]`, `{"item":${item}}`]) {
      const viaRpc = await rpc('insert', params);
      expect(viaRpc.error?.code).toBe(-32602);
      expect(viaRpc.error?.data?.code).toBe('TOO_DEEP');
      expect(viaRpc.error?.message).toContain('limits.jsonDepth (64)');
    }
    expect(await itemCount()).toBe(0);
  });

  it('refuses a deep extraContext before publishing, and accepts depth 64 exactly', async () => {
    const deep = await rest(
      '/users/1/activities',
      `{"verb":"pin","object":1,"extraContext":${nested(10_000)}}`,
    );
    expect(deep.status).toBe(400);
    expect(deep.body.code).toBe('TOO_DEEP');
    const viaRpc = await rpc(
      'publish',
      `{"userId":1,"activity":{"verb":"pin","object":1,"extraContext":${nested(10_000)}}}`,
    );
    expect(viaRpc.error?.data?.code).toBe('TOO_DEEP');
    expect((await rest('/items', nested(64))).status).toBe(201);
    expect((await rest('/items', nested(65))).status).toBe(400);
    expect((await rpc('insert', `[${nested(64)}]`)).result).toEqual({ id: '2' });
    expect((await rpc('insert', `[${nested(65)}]`)).error?.data?.code).toBe('TOO_DEEP');
  });
});

describe('prototype keys', () => {
  it.each([
    ['__proto__ at the top', '{"kind":"x","__proto__":{"admin":true}}'],
    ['__proto__ nested', '{"kind":"x","a":[{"b":{"__proto__":{"admin":true}}}]}'],
    ['constructor.prototype', '{"kind":"x","constructor":{"prototype":{"admin":true}}}'],
  ])('refuses %s over REST and JSON-RPC alike', async (_name, item) => {
    const viaRest = await rest('/items', item);
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.code).toBe('FORBIDDEN_KEY');
    const viaRpc = await rpc('insert', `[${item}]`);
    expect(viaRpc.error?.code).toBe(-32602);
    expect(viaRpc.error?.data?.code).toBe('FORBIDDEN_KEY');
    expect(await itemCount()).toBe(0);
  });
});

describe('lone surrogates in indexed values (one rule on every storage)', () => {
  it('refuses them with a 400 naming the key, over REST and JSON-RPC', async () => {
    const item = '{"kind":"x\\ud800y","user":1}';
    const viaRest = await rest('/items', item);
    expect(viaRest.status).toBe(400);
    expect(viaRest.body.code).toBe('BAD_INDEX_VALUE');
    expect(viaRest.body.message).toContain('"kind"');
    const viaRpc = await rpc('insert', `[${item}]`);
    expect(viaRpc.error?.data?.code).toBe('BAD_INDEX_VALUE');
    const inArray = await rpc('insert', '[{"user":["a","\\udc00"]}]');
    expect(inArray.error?.message).toContain('"user"');
    const query = await rpc('items', '{"kind":"\\ud800"}');
    expect(query.error?.data?.code).toBe('BAD_INDEX_VALUE');
    expect(await itemCount()).toBe(0);
  });

  it('keeps well-formed pairs and lone surrogates in other fields', async () => {
    const item = { kind: 'smile \u{1F600}', note: 'x\ud800' };
    expect((await rest('/items', JSON.stringify(item))).status).toBe(201);
    const found = await rpc('items', JSON.stringify({ kind: 'smile \u{1F600}' }));
    expect(found.result).toEqual([item]);
  });
});
