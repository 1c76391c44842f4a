/**
 * `fanoutStatements`: flat fanout calls beyond the limit wait and are merged into one statement
 * when they write the same items to other feeds; each call still gets its own count, and every
 * feed is trimmed exactly.
 */
import { DehydratedActivity } from '@sf/activity';
import type pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { postgresStorage } from '../../src/index.js';
import { createPool, uniqueSchema } from './helpers.js';

const pool = createPool();
let sent = 0;
const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
(pool as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = (
  ...args: unknown[]
) => {
  sent += 1;
  return query(...args);
};
afterAll(async () => {
  await pool.end();
});

const flatSerializer = {
  name: 'test-flat',
  dumps: (item: DehydratedActivity) => item.serializationId,
  loads: (data: string) => new DehydratedActivity(data),
};
const items = (...ids: string[]) => ids.map((id) => new DehydratedActivity(id));
const chunk = (from: number) => Array.from({ length: 10 }, (_, i) => `feed:${from + i}`);

it('merges concurrent fanouts of the same items into fewer statements, counts and trims each', async () => {
  const storage = postgresStorage({
    pool,
    schema: uniqueSchema(),
    countsChannel: null,
    fanoutStatements: 1,
  });
  await storage.sync();
  try {
    const timeline = storage.timelineStorage({
      name: 'flat',
      kind: 'flat',
      serializer: flatSerializer,
    });
    await timeline.addToMany([...chunk(0), ...chunk(10), ...chunk(20)], items('1', '2', '3'));
    sent = 0;
    const counts = await Promise.all([
      timeline.addToMany(chunk(0), items('4'), { maxLength: 3 }),
      timeline.addToMany(chunk(10), items('4'), { maxLength: 3 }),
      timeline.addToMany(chunk(20), items('4'), { maxLength: 3 }),
      // The second call's feeds again: not merged with it (each call counts its own rows).
      timeline.addToMany(chunk(10), items('4'), { maxLength: 3 }),
      // Other items: a statement of their own.
      timeline.addToMany(chunk(10), items('5', '4'), { maxLength: 3 }),
    ]);
    expect(counts).toEqual([10, 10, 10, 0, 10]);
    // 1: the first call; 2: the second and third merged; 3: the fourth; 4: the fifth.
    expect(sent).toBe(4);
    for (const key of ['feed:0', 'feed:9', 'feed:20', 'feed:29']) {
      const page = await timeline.get(key, { offset: 0, limit: null });
      expect(page.map((item) => item.serializationId)).toEqual(['4', '3', '2']);
    }
    const page = await timeline.get('feed:15', { offset: 0, limit: null });
    expect(page.map((item) => item.serializationId)).toEqual(['5', '4', '3']);
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${storage.schema}" CASCADE`);
    await storage.close();
  }
});
