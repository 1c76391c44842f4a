import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, StreamClient } from '../../src/client.js';
import type { ItemsQuery } from '../../src/client.js';
import { OTHER_WRITE_KEY, READ_KEY, WRITE_KEY, readmeEvents } from '../../src/test-config.js';
import { keysOf, startServer, targets } from './helpers.js';
import type { RunningServer } from './helpers.js';

const [createRepo, deleteRepo, watch, friend291, friend23] = readmeEvents;

/** The queries of AwesomeStream's README and the results it shows. */
const expectations: Array<[string, ItemsQuery, unknown[]]> = [
  ['c.items()', {}, [friend23, friend291, watch, deleteRepo, createRepo]],
  ["c.items(kind='friend')", { kind: 'friend' }, [friend23, friend291]],
  ["c.items(kind='friend', user=23)", { kind: 'friend', user: 23 }, [friend23]],
  [
    'c.items(user=[23, 291])',
    { user: [23, 291] },
    [friend23, friend291, watch, deleteRepo, createRepo],
  ],
  [
    'c.items(user=[23, 291], start=1, end=3)',
    { user: [23, 291], start: 1, end: 3 },
    [friend291, watch],
  ],
];

for (const target of targets()) {
  describe(`AwesomeStream's README end to end (${target.name})`, () => {
    let server: RunningServer;

    beforeAll(async () => {
      server = await startServer(target);
    });
    afterAll(async () => {
      await server.stop();
    });

    it('REST client: the five events, then the exact queries and results', async () => {
      const c = new StreamClient({ baseUrl: server.baseUrl, apiKey: WRITE_KEY });
      const ids: string[] = [];
      for (const event of readmeEvents) ids.push(await c.insert(event));
      expect(ids.map(Number)).toEqual([1, 2, 3, 4, 5]);
      const reader = new StreamClient({ baseUrl: server.baseUrl, apiKey: READ_KEY });
      for (const [name, query, expected] of expectations) {
        expect(await reader.items(query), name).toEqual(expected);
      }
    });

    it('JSON-RPC client: the same example in another tenant, with the same results', async () => {
      const c = new RpcClient({ baseUrl: server.baseUrl, apiKey: OTHER_WRITE_KEY });
      for (const event of readmeEvents) await c.insert(event);
      for (const [name, query, expected] of expectations) {
        expect(await c.items(query), name).toEqual(expected);
      }
      // A batch, as AwesomeStream clients may send.
      const outcomes = await c.batch([
        { method: 'items', params: { kind: 'friend', user: 23 } },
        { method: 'items', params: [0, 1] },
        { method: 'nope' },
      ]);
      expect(outcomes).toEqual([
        { ok: true, result: [friend23] },
        { ok: true, result: [friend23] },
        { ok: false, error: expect.objectContaining({ code: -32601 }) },
      ]);
    });

    it('keeps each tenant under its own keys and leaves no temporary keys', async () => {
      if (server.postgres) {
        const { pool, schema } = server.postgres;
        const counts = await pool.query(
          `SELECT tenant, count(*)::int AS n, max(id)::int AS last FROM "${schema}".items GROUP BY tenant ORDER BY tenant`,
        );
        expect(counts.rows).toEqual([
          { tenant: 'acme', n: 5, last: 5 },
          { tenant: 'other', n: 5, last: 5 },
        ]);
        const fifth = await pool.query(
          `SELECT data FROM "${schema}".items WHERE tenant = 'acme' AND id = 5`,
        );
        expect(fifth.rows).toEqual([{ data: JSON.stringify(friend23) }]);
        const index = await pool.query<{ id: number }>(
          `SELECT id::int FROM "${schema}".item_index WHERE tenant = 'acme' AND key = 'user' AND value = '291' ORDER BY id`,
        );
        expect(index.rows.map((row) => row.id)).toEqual([1, 2, 3, 4]);
      }
      if (!server.redis) return;
      const keys = await keysOf(server.redis, server.prefix);
      expect(keys.length).toBeGreaterThan(0);
      expect(
        keys.every(
          (key) =>
            key.startsWith(`${server.prefix}{acme}:items:`) ||
            key.startsWith(`${server.prefix}{other}:items:`),
        ),
      ).toBe(true);
      expect(keys.filter((key) => key.includes(':tmp:'))).toEqual([]);
      expect(keys).toContain(`${server.prefix}{acme}:items:idx:user:291`);
      expect(await server.redis.zcard(`${server.prefix}{acme}:items:all`)).toBe(5);
      expect(await server.redis.hget(`${server.prefix}{acme}:items:data`, '5')).toBe(
        JSON.stringify(friend23),
      );
    });
  });
}
