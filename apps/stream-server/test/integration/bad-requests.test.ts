import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient } from '../../src/client.js';
import { READ_KEY, WRITE_KEY, readmeEvents } from '../../src/test-config.js';
import { contentOf, keysOf, startServer, targets } from './helpers.js';
import type { RunningServer } from './helpers.js';
import { cassandraContents } from './cassandra.js';
import { postgresContents } from './postgres.js';

for (const target of targets()) {
  describe(`bad requests change nothing (${target.name})`, () => {
    let server: RunningServer;
    let reader: StreamClient;
    let snapshot: () => Promise<unknown>;

    beforeAll(async () => {
      server = await startServer(target);
      const writer = new StreamClient({ baseUrl: server.baseUrl, apiKey: WRITE_KEY });
      for (const event of readmeEvents) await writer.insert(event);
      await writer.publish(1, { verb: 'pin', object: 1 });
      reader = new StreamClient({ baseUrl: server.baseUrl, apiKey: READ_KEY });
      // Everything a bad request could have changed: the items, a feed, and every Redis key with
      // its type and content, or every row of the PostgreSQL tables, or every Cassandra row of
      // the server's key prefix.
      snapshot = async () => {
        const redis = server.redis;
        const keys = redis ? await keysOf(redis, server.prefix) : [];
        const contents = redis
          ? await Promise.all(keys.map(async (key) => [key, await contentOf(redis, key)]))
          : [];
        return {
          items: await reader.items({ end: 1000 }),
          feed: (await reader.readFeed('user', 1)).items,
          contents,
          rows: server.postgres
            ? await postgresContents(server.postgres.pool, server.postgres.schema)
            : {},
          cassandraRows: server.cassandra
            ? await cassandraContents(server.cassandra, server.prefix)
            : {},
        };
      };
    });
    afterAll(async () => {
      await server.stop();
    });

    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': WRITE_KEY, ...headers },
        body,
      });

    it('wrong types, unknown keys, bad JSON, missing or read-only keys: 4xx', async () => {
      const before = await snapshot();
      const cases: Array<[string, () => Promise<Response>, number]> = [
        ['item is an array', () => post('/items', '[1,2,3]'), 400],
        ['indexed value is an object', () => post('/items', '{"kind":{"a":1}}'), 400],
        ['indexed value is null', () => post('/items', '{"user":null}'), 400],
        ['invalid JSON', () => post('/items', '{"kind":'), 400],
        ['no API key', () => post('/items', '{"kind":"x"}', { 'x-api-key': '' }), 401],
        [
          'unknown API key',
          () => post('/items', '{"kind":"x"}', { 'x-api-key': 'guessed-key-123' }),
          401,
        ],
        ['read-only key', () => post('/items', '{"kind":"x"}', { 'x-api-key': READ_KEY }), 403],
        [
          'form-encoded body',
          () => post('/items', 'kind=x', { 'content-type': 'application/x-www-form-urlencoded' }),
          415,
        ],
        [
          // Strings are ids too (issue 16: UUIDs, slugs); a boolean is not.
          'activity with a boolean object',
          () => post('/users/1/activities', '{"verb":"pin","object":true}'),
          400,
        ],
        [
          'activity with an unknown field',
          () => post('/users/1/activities', '{"verb":"pin","object":1,"admin":true}'),
          400,
        ],
        [
          'activity with an unknown verb',
          () => post('/users/1/activities', '{"verb":"dance","object":1}'),
          400,
        ],
        [
          'unknown feed',
          () => post('/feeds/secret/1/activities', '{"actor":1,"verb":"pin","object":1}'),
          400,
        ],
        [
          'crafted user id',
          () =>
            post(
              '/feeds/timeline/acme%3Afeeds%3Auser%3A1/activities',
              '{"actor":1,"verb":"pin","object":1}',
            ),
          400,
        ],
        ['mark with a string', () => post('/feeds/notification/1/mark', '{"seen":"yes"}'), 400],
        [
          'unknown query key',
          () => fetch(`${server.baseUrl}/items?name=frist`, { headers: { 'x-api-key': READ_KEY } }),
          400,
        ],
        [
          'start is not a number',
          () => fetch(`${server.baseUrl}/items?start=one`, { headers: { 'x-api-key': READ_KEY } }),
          400,
        ],
      ];
      for (const [name, request, status] of cases) {
        const response = await request();
        expect(response.status, name).toBe(status);
        const body = (await response.json()) as {
          statusCode: number;
          code: string;
          message: string;
        };
        expect(body.statusCode, name).toBe(status);
        expect(body.message.length, name).toBeGreaterThan(0);
      }
      expect(await snapshot()).toEqual(before);
    });

    it('huge bodies: 413 before they are stored, on REST and JSON-RPC', async () => {
      const before = await snapshot();
      const big = JSON.stringify({ kind: 'huge', blob: 'x'.repeat(5 * 1024 * 1024) });
      const rest = await post('/items', big);
      expect(rest.status).toBe(413);
      expect(((await rest.json()) as { code: string }).code).toBe('BODY_TOO_LARGE');
      const rpc = await post(
        '/rpc',
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'insert',
          params: [{ blob: 'x'.repeat(2 * 1024 * 1024) }],
        }),
      );
      expect(rpc.status).toBe(413);
      // Within the RPC body limit but over the item limit: a JSON-RPC error, nothing stored.
      const item = await post(
        '/rpc',
        JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'insert',
          params: [{ blob: 'x'.repeat(20_000) }],
        }),
      );
      expect(((await item.json()) as { error: { code: number } }).error.code).toBe(-32013);
      // Without a key the body is never read.
      const anonymous = await post('/items', big, { 'x-api-key': '' });
      expect(anonymous.status).toBe(401);
      expect(await snapshot()).toEqual(before);
    });
  });
}
