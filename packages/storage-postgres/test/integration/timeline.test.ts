import { DehydratedActivity } from '@sf/activity';
import type { TimelineStorage } from '@sf/feeds/backend';
import type pg from 'pg';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { postgresStorage, type PostgresStorage } from '../../src/index.js';
import { createPool, dropStorage, testStorage } from './helpers.js';

const pool = createPool();
/** Statements sent through the pool (what the storages run outside transactions). */
let statements: string[] = [];
const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<pg.QueryResult>;
(pool as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> }).query = (
  ...args: unknown[]
) => {
  statements.push(String(args[0]));
  return query(...args);
};

const flatSerializer = {
  name: 'test-flat',
  dumps: (item: DehydratedActivity) => item.serializationId,
  loads: (data: string) => new DehydratedActivity(data),
};

/** An aggregated item reduced to its id and group. */
interface Group {
  serializationId: string;
  group: string;
}
const groupSerializer = {
  name: 'test-group',
  dumps: (item: Group) => `${item.serializationId}|${item.group}`,
  loads: (data: string) => {
    const [serializationId, group] = data.split('|') as [string, string];
    return { serializationId, group };
  },
};

let storage: PostgresStorage;
let timeline: TimelineStorage<DehydratedActivity>;
beforeEach(async () => {
  storage = await testStorage(pool);
  timeline = storage.timelineStorage({ name: 'flat', kind: 'flat', serializer: flatSerializer });
  statements = [];
});
afterEach(async () => {
  await dropStorage(storage);
});
afterAll(async () => {
  await pool.end();
});

const items = (...ids: string[]) => ids.map((id) => new DehydratedActivity(id));
const idsOf = (list: readonly DehydratedActivity[]) => list.map((item) => item.serializationId);

describe('flat timelines on PostgreSQL', () => {
  it('orders and filters 46-digit ids exactly (no float on the way)', async () => {
    const base = '1373266755000000000000000000000000000000000000';
    const [a, b, c] = ['1', '2', '3'].map((digit) => base.slice(0, -1) + digit) as [
      string,
      string,
      string,
    ];
    await timeline.add('feed:1', items(b, a, c));
    expect(idsOf(await timeline.get('feed:1', { offset: 0, limit: null }))).toEqual([c, b, a]);
    expect(
      idsOf(await timeline.get('feed:1', { offset: 0, limit: null, filter: { lt: c, gt: a } })),
    ).toEqual([b]);
    expect(await timeline.indexOf('feed:1', a)).toBe(2);
  });

  it('fans out to a chunk of feeds in one statement, trimming each to maxLength exactly', async () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `feed:${i}`);
    await timeline.addToMany(keys, items('1', '2', '3', '4', '5'));
    statements = [];
    expect(await timeline.addToMany(keys, items('6', '7'), { maxLength: 3 })).toBe(2000);
    expect(statements).toHaveLength(1);
    expect(await timeline.count('feed:517')).toBe(3);
    for (const key of ['feed:0', 'feed:517', 'feed:999']) {
      expect(idsOf(await timeline.get(key, { offset: 0, limit: null }))).toEqual(['7', '6', '5']);
    }
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "${storage.schema}".timeline_entries`,
    );
    expect(rows[0]!.n).toBe(3000);
    statements = [];
    expect(await timeline.removeIdsFromMany(keys, ['7', '5'])).toBe(2000);
    expect(statements).toHaveLength(1);
  });

  it('splits a fanout into statements of at most 5000 rows', async () => {
    const keys = Array.from({ length: 1200 }, (_, i) => `feed:${i}`);
    expect(
      await timeline.addToMany(keys, items('1', '2', '3', '4', '5', '6', '7', '8', '9', '10')),
    ).toBe(12_000);
    expect(statements).toHaveLength(3); // 500 feeds x 10 items per statement
  });

  it('counts new entries that the trim drops at once, as the contract asks', async () => {
    await timeline.add('feed:1', items('5', '6', '7'));
    // 1 and 2 are new but older than the 3 kept: counted, not stored
    expect(await timeline.add('feed:1', items('1', '2', '8'), { maxLength: 3 })).toBe(3);
    expect(idsOf(await timeline.get('feed:1', { offset: 0, limit: null }))).toEqual([
      '8',
      '7',
      '6',
    ]);
  });
});

describe('flat feed lengths (timeline_lengths)', () => {
  const lengths = async () => {
    const { rows } = await pool.query<{ feed_key: string; length: number; rows: number }>(
      `SELECT l.feed_key, l.length,
              (SELECT count(*)::int FROM "${storage.schema}".timeline_entries AS e
                WHERE e.feed_key = l.feed_key) AS rows
         FROM "${storage.schema}".timeline_lengths AS l ORDER BY 1`,
    );
    return rows;
  };

  it('a fanout sent again counts only its new rows, in one more statement', async () => {
    const keys = ['feed:1', 'feed:2', 'feed:3'];
    await timeline.add('feed:2', items('1'));
    statements = [];
    expect(await timeline.addToMany(keys, items('1', '2'), { maxLength: 10 })).toBe(5);
    // the plain insert met the stored row (23505), then the deduplicating one
    expect(statements).toHaveLength(2);
    expect(await lengths()).toEqual([
      { feed_key: 'feed:1', length: 2, rows: 2 },
      { feed_key: 'feed:2', length: 2, rows: 2 },
      { feed_key: 'feed:3', length: 2, rows: 2 },
    ]);
    expect(await timeline.addToMany(keys, items('1', '2'), { maxLength: 10 })).toBe(0);
  });

  it('trims to maxLength in an add that adds nothing new (the drills property test, seed -964145413)', async () => {
    await timeline.addToMany(['feed:1', 'feed:2'], items('1', '2', '3', '4'));
    // an add without a bound leaves the feeds past the next call's maxLength
    await timeline.add('feed:1', items('5'));
    await timeline.addToMany(['feed:1', 'feed:2'], items('4', '5'), { maxLength: 3 });
    expect(idsOf(await timeline.get('feed:1', { offset: 0, limit: null }))).toEqual([
      '5',
      '4',
      '3',
    ]);
    expect(await lengths()).toEqual([
      { feed_key: 'feed:1', length: 3, rows: 3 },
      { feed_key: 'feed:2', length: 3, rows: 3 },
    ]);
    // nothing new for either feed: still trimmed
    await timeline.add('feed:1', items('6'));
    await timeline.add('feed:2', items('6'));
    expect(await timeline.addToMany(['feed:1', 'feed:2'], items('6'), { maxLength: 2 })).toBe(0);
    expect(await lengths()).toEqual([
      { feed_key: 'feed:1', length: 2, rows: 2 },
      { feed_key: 'feed:2', length: 2, rows: 2 },
    ]);
  });

  it('count, removals, trim and delete keep each length equal to the rows', async () => {
    await timeline.addToMany(['feed:a', 'feed:b'], items('1', '2', '3', '4'));
    expect(await timeline.removeIdsFromMany(['feed:a', 'feed:b'], ['2', '9'])).toBe(2);
    expect(await timeline.count('feed:a')).toBe(3);
    await timeline.trim('feed:a', 2);
    expect(idsOf(await timeline.get('feed:a', { offset: 0, limit: null }))).toEqual(['4', '3']);
    await timeline.delete('feed:b');
    expect(await timeline.count('feed:b')).toBe(0);
    expect(await lengths()).toEqual([{ feed_key: 'feed:a', length: 2, rows: 2 }]);
    await timeline.add('feed:b', items('7'), { maxLength: 1 });
    expect(await lengths()).toEqual([
      { feed_key: 'feed:a', length: 2, rows: 2 },
      { feed_key: 'feed:b', length: 1, rows: 1 },
    ]);
  });

  it('trim counts a feed again, repairing a length that rows written around it made wrong', async () => {
    await timeline.add('feed:1', items('1', '2'));
    await pool.query(
      `INSERT INTO "${storage.schema}".timeline_entries (feed_key, id) VALUES ('feed:1', 3), ('feed:1', 4)`,
    );
    expect(await timeline.count('feed:1')).toBe(2);
    await timeline.trim('feed:1', 3);
    expect(await lengths()).toEqual([{ feed_key: 'feed:1', length: 3, rows: 3 }]);
  });

  it('stays exact under concurrent fanouts, removals, trims and deletes of the same feeds', async () => {
    const keys = ['feed:0', 'feed:1', 'feed:2', 'feed:3', 'feed:4'];
    let random = 7;
    const next = (n: number) => {
      random = (random * 1_103_515_245 + 12_345) % 2_147_483_648;
      return random % n;
    };
    const subset = () => keys.filter(() => next(2) === 0);
    const operations: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < 300; i++) {
      const kind = next(10);
      const chosen = subset();
      const id = String(1 + next(60));
      if (kind < 6) {
        operations.push(() =>
          timeline.addToMany(chosen, items(id, String(1 + next(60))), { maxLength: 8 }),
        );
      } else if (kind < 8) {
        operations.push(() => timeline.removeIdsFromMany(chosen, [id]));
      } else if (kind === 8) {
        operations.push(() => timeline.trim(keys[next(5)]!, 5));
      } else {
        operations.push(() => timeline.delete(keys[next(5)]!));
      }
    }
    let position = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (position < operations.length) await operations[position++]!();
      }),
    );
    for (const row of await lengths()) {
      expect(row.length, row.feed_key).toBe(row.rows);
      expect(row.rows, row.feed_key).toBeLessThanOrEqual(8);
    }
  });
});

describe('aggregated timelines on PostgreSQL', () => {
  // Found by the drills' model-based properties (seed -1005044430): re-adding an activity the
  // feed already holds changes nothing, and the feed stayed over maxLength.
  it('trims to maxLength in a modify that adds nothing', async () => {
    const aggregated = storage.timelineStorage<Group>({
      name: 'aggregated',
      kind: 'aggregated',
      serializer: groupSerializer,
    });
    await aggregated.add('agg:1', [
      { serializationId: '1', group: 'a' },
      { serializationId: '2', group: 'b' },
      { serializationId: '3', group: 'c' },
    ]);
    await aggregated.modify('agg:1', { maxLength: 2 }, async () => ({ remove: [], add: [] }));
    expect(await aggregated.count('agg:1')).toBe(2);
    expect(
      (await aggregated.get('agg:1', { offset: 0, limit: null })).map((item) => item.group),
    ).toEqual(['c', 'b']);
  });
});

// A modify holds the feed's lock in a transaction on one pool client: its reads, removals and
// inserts must all run on that client, so that a pool of one client suffices (a second client
// would never come: PostgresPoolExhaustedError after connectionTimeoutMillis instead of a hang)
// and a failing insert rolls back the removals made before it.
describe('modify runs in one transaction on one client', () => {
  const groupsOf = (list: readonly Group[]) => list.map((item) => item.group);

  /** Makes every insert into `table` of the schema whose row matches `condition` fail. */
  async function failInserts(table: string, condition: string): Promise<void> {
    const schema = `"${storage.schema}"`;
    await pool.query(
      `CREATE FUNCTION ${schema}.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'refused by the test trigger'; END $$`,
    );
    await pool.query(
      `CREATE TRIGGER refuse BEFORE INSERT ON ${schema}.${table}
       FOR EACH ROW WHEN (${condition}) EXECUTE FUNCTION ${schema}.refuse()`,
    );
  }

  it('aggregated: reads, removes and adds with a pool of one client', async () => {
    const small = createPool({ max: 1, connectionTimeoutMillis: 2000 });
    try {
      const one = postgresStorage({ pool: small, schema: storage.schema });
      const aggregated = one.timelineStorage<Group>({
        name: 'aggregated',
        kind: 'aggregated',
        serializer: groupSerializer,
      });
      await aggregated.add('agg:1', [
        { serializationId: '1', group: 'a' },
        { serializationId: '2', group: 'b' },
      ]);
      const change = await aggregated.modify('agg:1', { maxLength: 5 }, async (read) => {
        const [newest] = await read({ offset: 0, limit: 1 });
        return { remove: [newest!], add: [{ serializationId: '3', group: 'c' }] };
      });
      expect(groupsOf(change.remove)).toEqual(['b']);
      expect(groupsOf(await aggregated.get('agg:1', { offset: 0, limit: null }))).toEqual([
        'c',
        'a',
      ]);
      await one.close();
    } finally {
      await small.end();
    }
  });

  it('flat: reads, removes and adds with a pool of one client', async () => {
    const small = createPool({ max: 1, connectionTimeoutMillis: 2000 });
    try {
      const one = postgresStorage({ pool: small, schema: storage.schema });
      const flat = one.timelineStorage({ name: 'flat', kind: 'flat', serializer: flatSerializer });
      await flat.add('feed:1', items('1', '2'));
      await flat.modify('feed:1', { maxLength: 5 }, async (read) => {
        const [newest] = await read({ offset: 0, limit: 1 });
        return { remove: [newest!], add: items('3') };
      });
      expect(idsOf(await flat.get('feed:1', { offset: 0, limit: null }))).toEqual(['3', '1']);
      await one.close();
    } finally {
      await small.end();
    }
  });

  it('aggregated: an insert that fails rolls back the removals before it', async () => {
    const aggregated = storage.timelineStorage<Group>({
      name: 'aggregated',
      kind: 'aggregated',
      serializer: groupSerializer,
    });
    await aggregated.add('agg:1', [
      { serializationId: '1', group: 'a' },
      { serializationId: '2', group: 'b' },
    ]);
    await failInserts('aggregated_entries', `NEW.grp = 'refused'`);
    const error = await aggregated
      .modify('agg:1', {}, async (read) => ({
        remove: await read({ offset: 0, limit: null }),
        add: [{ serializationId: '3', group: 'refused' }],
      }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/refused by the test trigger/);
    expect(groupsOf(await aggregated.get('agg:1', { offset: 0, limit: null }))).toEqual(['b', 'a']);
  });

  it('flat: an insert that fails rolls back the removals before it', async () => {
    await timeline.add('feed:1', items('1', '2'));
    await failInserts('timeline_entries', `NEW.id = 3`);
    const error = await timeline
      .modify('feed:1', {}, async (read) => ({
        remove: await read({ offset: 0, limit: null }),
        add: items('3'),
      }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/refused by the test trigger/);
    expect(idsOf(await timeline.get('feed:1', { offset: 0, limit: null }))).toEqual(['2', '1']);
  });
});
