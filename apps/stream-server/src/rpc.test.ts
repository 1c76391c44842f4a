import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { READ_KEY, WRITE_KEY, readmeEvents, testConfig } from './test-config.js';

let app: FastifyInstance;
const write = { 'x-api-key': WRITE_KEY };

beforeAll(async () => {
  app = await buildApp({ config: testConfig() });
});
afterAll(async () => {
  await app.close();
});

async function rpc(body: unknown, headers: Record<string, string> = write) {
  const response = await app.inject({
    method: 'POST',
    url: '/rpc',
    headers: { ...headers, 'content-type': 'application/json' },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    body: response.body.length > 0 ? response.json<unknown>() : null,
  };
}

const call = (method: string, params?: unknown, id: number | string | null = 1) => ({
  jsonrpc: '2.0',
  id,
  method,
  ...(params === undefined ? {} : { params }),
});

async function count(): Promise<number> {
  const { body } = await rpc(call('items', { end: 1000 }));
  return (body as { result: unknown[] }).result.length;
}

describe("AwesomeStream's insert and items over JSON-RPC", () => {
  beforeEach(async () => {
    await app.close();
    app = await buildApp({ config: testConfig() });
  });

  it('runs the README example: insert by position, items by keyword', async () => {
    for (const [i, event] of readmeEvents.entries()) {
      expect(await rpc(call('insert', [event], i))).toEqual({
        status: 200,
        body: { jsonrpc: '2.0', id: i, result: { id: String(i + 1) } },
      });
    }
    const [createRepo, deleteRepo, watch, friend291, friend23] = readmeEvents;
    const result = async (params?: unknown) =>
      ((await rpc(call('items', params))).body as { result: unknown }).result;
    expect(await result()).toEqual([friend23, friend291, watch, deleteRepo, createRepo]);
    expect(await result({ kind: 'friend' })).toEqual([friend23, friend291]);
    expect(await result({ kind: 'friend', user: 23 })).toEqual([friend23]);
    expect(await result({ user: [23, 291] })).toEqual([
      friend23,
      friend291,
      watch,
      deleteRepo,
      createRepo,
    ]);
    expect(await result({ user: [23, 291], start: 1, end: 3 })).toEqual([friend291, watch]);
    expect(await result([1, 3])).toEqual([friend23, friend291].slice(1).concat([watch]));
  });

  it('answers a batch in order and leaves notifications out', async () => {
    const { status, body } = await rpc([
      call('insert', { item: { kind: 'a', user: 1 } }, 'x'),
      { jsonrpc: '2.0', method: 'insert', params: [{ kind: 'b', user: 1 }] },
      call('items', { user: 1 }, 'y'),
    ]);
    expect(status).toBe(200);
    expect(body).toEqual([
      { jsonrpc: '2.0', id: 'x', result: { id: '1' } },
      {
        jsonrpc: '2.0',
        id: 'y',
        result: [
          { kind: 'b', user: 1 },
          { kind: 'a', user: 1 },
        ],
      },
    ]);
  });

  it('returns nothing (204) for notifications only', async () => {
    const { status, body } = await rpc([
      { jsonrpc: '2.0', method: 'insert', params: [{ kind: 'n' }] },
    ]);
    expect(status).toBe(204);
    expect(body).toBeNull();
    expect(await count()).toBe(1);
  });
});

describe('JSON-RPC errors', () => {
  it('-32700 for a body that is not JSON', async () => {
    expect((await rpc('{"jsonrpc": "2.0", "method"')).body).toEqual({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'parse error: the body is not valid JSON' },
    });
  });

  it.each([
    ['an empty batch', []],
    ['a number', 1],
    ['no jsonrpc member', { method: 'items', id: 1 }],
    ['jsonrpc 1.0', { jsonrpc: '1.0', method: 'items', id: 1 }],
    ['a method that is not a string', { jsonrpc: '2.0', method: 1, id: 1 }],
    ['params that are a string', { jsonrpc: '2.0', method: 'items', params: 'x', id: 1 }],
    ['an object id', { jsonrpc: '2.0', method: 'items', id: { a: 1 } }],
  ])('-32600 for %s', async (_name, body) => {
    const response = (await rpc(body)).body as { error: { code: number } };
    expect(response.error.code).toBe(-32600);
  });

  it('-32600 for each invalid member of a batch and for batches over the limit', async () => {
    const { body } = await rpc([1, call('items')]);
    expect((body as Array<{ error?: { code: number } }>)[0]!.error!.code).toBe(-32600);
    expect((body as Array<{ result?: unknown }>)[1]!.result).toEqual(expect.any(Array));
    const tooMany = await rpc(Array.from({ length: 11 }, (_, i) => call('items', undefined, i)));
    expect((tooMany.body as { error: { code: number; message: string } }).error).toMatchObject({
      code: -32600,
      message: expect.stringContaining('at most 10'),
    });
  });

  it('-32601 for an unknown method, even an Object.prototype one', async () => {
    for (const method of ['nope', 'constructor', '__proto__', 'toString']) {
      const response = (await rpc(call(method))).body as { error: { code: number } };
      expect(response.error.code, method).toBe(-32601);
    }
  });

  it.each([
    ['insert', [[1, 2]], 'params/item must be object'],
    ['insert', {}, 'params is missing required property "item"'],
    ['insert', { item: { kind: {} } }, 'params/item/kind must be string,number,boolean,array'],
    ['items', { colour: 'red' }, 'params has unknown property "colour"'],
    ['items', { start: '1' }, 'params/start must be integer'],
    ['items', { start: 3, end: 1 }, 'end (1) must not be less than start (3)'],
    ['items', [0, 20, 3], 'items takes at most 2 positional params'],
    ['readFeed', { feed: 'secret', userId: 1 }, 'params/feed must be one of'],
    ['readFeed', { feed: 'timeline', userId: 'a:b' }, 'params/userId must match pattern'],
    [
      'publish',
      { userId: 1, activity: { verb: 'dance', object: 1 } },
      'params/activity/verb must be one of',
    ],
    [
      'publish',
      { userId: 1, activity: { verb: 'pin', object: 1, foreignId: '' } },
      'params/activity/foreignId must NOT have fewer than 1 characters',
    ],
  ])('-32602 for %s with %j', async (method, params, message) => {
    const before = await count();
    const response = (await rpc(call(method, params))).body as {
      error: { code: number; message: string };
    };
    expect(response.error.code).toBe(-32602);
    expect(response.error.message).toContain(message);
    expect(await count()).toBe(before);
  });

  it('-32003 for a write method with a read-only key; reads work', async () => {
    const read = { 'x-api-key': READ_KEY };
    const before = await count();
    const denied = (await rpc(call('insert', [{ kind: 'x' }]), read)).body as {
      error: { code: number };
    };
    expect(denied.error.code).toBe(-32003);
    expect(((await rpc(call('items'), read)).body as { result: unknown[] }).result).toHaveLength(
      before,
    );
  });

  it('HTTP 401 without an API key', async () => {
    const { status, body } = await rpc(call('items'), {});
    expect(status).toBe(401);
    expect(body).toMatchObject({ code: 'MISSING_API_KEY' });
  });

  it('-32004 for a missing activity', async () => {
    const response = (await rpc(call('unpublish', { userId: 1, activityId: '123' }))).body as {
      error: { code: number };
    };
    expect(response.error.code).toBe(-32004);
  });
});
