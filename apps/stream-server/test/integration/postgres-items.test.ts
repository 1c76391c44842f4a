import { StorageUnavailableError } from '@sf/activity';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { PostgresFollowStore } from '../../src/feeds/postgres-follow-store.js';
import { ItemStatements, postgresItemStore } from '../../src/items/postgres-store.js';
import { indexEntries } from '../../src/items/store.js';
import { createPool, createSchema, quoteIdentifier } from '../../src/postgres-state.js';
import type { Queryable } from '../../src/postgres-state.js';
import { testConfig } from '../../src/test-config.js';
import { dropSchemas, postgresUrl, schemaWithTables, testPool, uniqueSchema } from './postgres.js';

interface Statement {
  text: string;
  values: unknown[];
  rows: number;
}

/** A pool that records every statement and how many rows PostgreSQL sent back. */
function recording(pool: pg.Pool, log: Statement[]): Queryable {
  return {
    async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []) {
      const result = await pool.query<R>(text, values);
      log.push({ text, values, rows: result.rows.length });
      return result;
    },
  };
}

describe('PostgreSQL item store', () => {
  let pool: pg.Pool;
  const schemas: string[] = [];

  beforeAll(() => {
    pool = testPool();
  });
  afterAll(async () => {
    await dropSchemas(pool, schemas);
    await pool.end();
  });

  it('evaluates filters in SQL: PostgreSQL intersects them and sends back the page only', async () => {
    const schema = await schemaWithTables(pool);
    schemas.push(schema);
    const log: Statement[] = [];
    const store = postgresItemStore({ db: recording(pool, log), schema }).forTenant('t');
    for (let n = 0; n < 300; n++) {
      const item = { n, user: n % 30, kind: `k${n % 10}` };
      await store.insert(JSON.stringify(item), indexEntries(item, ['user', 'kind']));
    }
    log.length = 0;
    // kind k3 has 30 items, users 3, 13 and 23 have 10 each, all of kind k3: 30 match.
    const page = await store.query({
      filters: [
        { key: 'kind', values: ['k3'] },
        { key: 'user', values: ['3', '13', '23'] },
      ],
      start: 2,
      end: 7,
    });
    expect(page.map((text) => (JSON.parse(text) as { n: number }).n)).toEqual([
      273, 263, 253, 243, 233,
    ]);
    expect(log).toHaveLength(1);
    const [statement] = log as [Statement];
    expect(statement.rows).toBe(5);
    expect(statement.text).toContain(
      `LATERAL (SELECT x.id FROM "${schema}".item_index x WHERE x.tenant = $1 AND x.key = $4 AND x.value = v.value) x INTERSECT`,
    );
    expect(statement.text).toContain('ORDER BY id DESC LIMIT $2 OFFSET $3');
    expect(statement.values).toEqual(['t', 5, 2, 'kind', ['k3'], 'user', ['3', '13', '23']]);

    // PostgreSQL's plan: both filters read item_index and are intersected there (SetOp); the
    // items table is read by primary key for the page's ids only.
    const plan = await explain(statement);
    expect(plan.filter((node) => node['Relation Name'] === 'item_index')).toHaveLength(2);
    expect(plan.some((node) => node['Node Type'] === 'SetOp' && node.Command === 'Intersect')).toBe(
      true,
    );
    expect(plan.filter((node) => node['Relation Name'] === 'items')).toEqual([
      expect.objectContaining({ 'Node Type': 'Index Scan', 'Index Name': 'items_pkey' }),
    ]);

    // One key with one value: its index range, backwards, stops after the page.
    log.length = 0;
    const one = await store.query({ filters: [{ key: 'kind', values: ['k3'] }], start: 0, end: 3 });
    expect(one.map((text) => (JSON.parse(text) as { n: number }).n)).toEqual([293, 283, 273]);
    expect(log[0]!.rows).toBe(3);
    const single = await explain(log[0]!, true);
    const range = single.find((node) => node['Relation Name'] === 'item_index')!;
    expect(range['Scan Direction']).toBe('Backward');
    expect(range['Actual Rows']).toBe(3);
  });

  /** The nodes of a statement's plan, flattened. */
  async function explain(
    statement: Statement,
    analyze = false,
  ): Promise<Array<Record<string, unknown>>> {
    const result = await pool.query<{ 'QUERY PLAN': Array<{ Plan: Record<string, unknown> }> }>(
      `EXPLAIN (FORMAT JSON${analyze ? ', ANALYZE' : ''}) ${statement.text}`,
      statement.values,
    );
    const nodes: Array<Record<string, unknown>> = [];
    const walk = (node: Record<string, unknown>) => {
      nodes.push(node);
      for (const child of (node.Plans as Array<Record<string, unknown>> | undefined) ?? [])
        walk(child);
    };
    walk(result.rows[0]!['QUERY PLAN'][0]!.Plan);
    return nodes;
  }

  it('numbers concurrent inserts of a tenant 1, 2, 3, ... without gaps or repeats', async () => {
    const schema = await schemaWithTables(pool);
    schemas.push(schema);
    const items = postgresItemStore({ db: pool, schema });
    const ids = await Promise.all(
      Array.from({ length: 40 }, (_, n) =>
        items.forTenant(n % 2 ? 'a' : 'b').insert(`{"n":${n}}`, [{ key: 'user', value: `${n}` }]),
      ),
    );
    const numbers = (tenant: number) =>
      ids
        .filter((_, n) => n % 2 === tenant)
        .map(Number)
        .sort((x, y) => x - y);
    const expected = Array.from({ length: 20 }, (_, i) => i + 1);
    expect(numbers(0)).toEqual(expected);
    expect(numbers(1)).toEqual(expected);
    const rows = await pool.query<{ tenant: string; n: number }>(
      `SELECT tenant, count(*)::int AS n FROM ${quoteIdentifier(schema)}.item_index GROUP BY tenant ORDER BY tenant`,
    );
    expect(rows.rows).toEqual([
      { tenant: 'a', n: 20 },
      { tenant: 'b', n: 20 },
    ]);
  });

  it('gives a tenant its ids in commit order: an insert waits for the previous one to commit', async () => {
    // Why the ids come from an item_sequences row and not from a SEQUENCE (README, PostgreSQL):
    // nextval is taken when the statement runs, so a later insert could commit, and be read,
    // before an earlier id shows up below it. Here the second insert waits instead.
    const schema = await schemaWithTables(pool);
    schemas.push(schema);
    const applicationName = `sf_stream_order_${randomBytes(4).toString('hex')}`;
    const own = new pg.Pool({
      connectionString: postgresUrl,
      max: 1,
      application_name: applicationName,
    });
    own.on('error', () => undefined);
    const first = await pool.connect();
    try {
      await first.query('BEGIN');
      const inserted = await first.query<{ id: string }>(new ItemStatements(schema).insert, [
        'a',
        '{"n":1}',
        [],
        [],
      ]);
      let settled = false;
      const second = postgresItemStore({ db: own, schema })
        .forTenant('a')
        .insert('{"n":2}', [])
        .finally(() => (settled = true));
      // Until the second insert either finished or waits on a lock.
      for (;;) {
        const { rows } = await pool.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName],
        );
        if (settled || rows[0]!.n === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const reader = postgresItemStore({ db: pool, schema }).forTenant('a');
      // Neither is visible yet: never id 2 without id 1 below it.
      expect(await reader.query({ filters: [], start: 0, end: 10 })).toEqual([]);
      expect(settled).toBe(false);
      await first.query('COMMIT');
      expect([inserted.rows[0]!.id, await second]).toEqual(['1', '2']);
      expect(await reader.query({ filters: [], start: 0, end: 10 })).toEqual([
        '{"n":2}',
        '{"n":1}',
      ]);
    } finally {
      await first.query('ROLLBACK').catch(() => undefined);
      first.release();
      await own.end();
    }
  });

  it('creates its tables idempotently, also from servers starting at once', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    await Promise.all([
      createSchema(pool, schema),
      createSchema(pool, schema),
      createSchema(pool, schema),
    ]);
    await createSchema(pool, schema);
    const tables = await pool.query<{ table_name: string }>(
      'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
      [schema],
    );
    expect(tables.rows.map((row) => row.table_name)).toEqual([
      'follows',
      'item_index',
      'item_sequences',
      'items',
    ]);
  });

  it('keeps follows per tenant, in both directions', async () => {
    const schema = await schemaWithTables(pool);
    schemas.push(schema);
    const acme = new PostgresFollowStore(pool, schema, 'acme');
    const other = new PostgresFollowStore(pool, schema, 'other');
    expect(await acme.follow('2', '1')).toBe(true);
    expect(await acme.follow('2', '1')).toBe(false);
    expect(await acme.follow('10', '1')).toBe(true);
    expect(await acme.follow('2', '3')).toBe(true);
    expect(await acme.followers('1')).toEqual(['2', '10']);
    expect(await acme.following('2')).toEqual(['1', '3']);
    expect(await other.followers('1')).toEqual([]);
    expect(await acme.unfollow('2', '1')).toBe(true);
    expect(await acme.unfollow('2', '1')).toBe(false);
    expect(await acme.followers('1')).toEqual(['10']);
    expect(await acme.following('2')).toEqual(['3']);
  });

  it('creates its tables at start and answers /health with the storage name', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const app = await buildApp({
      config: testConfig({ storage: { type: 'postgres', url: postgresUrl, schema } }),
    });
    try {
      const health = await app.inject({ method: 'GET', url: '/health' });
      expect(health.json()).toMatchObject({ status: 'ok', storage: 'postgres' });
      const found = await pool.query<{ name: string }>(
        `SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_t_') ORDER BY 1`,
        [schema],
      );
      expect(found.rows.map((row) => row.name)).toEqual([
        schema,
        `${schema}_t_acme`,
        `${schema}_t_other`,
      ]);
    } finally {
      await app.close();
    }
  });

  it('a connection terminated while creating the schema is a StorageUnavailableError, not a crash', async () => {
    const schema = uniqueSchema();
    schemas.push(schema);
    const applicationName = `sf_stream_ddl_${randomBytes(4).toString('hex')}`;
    const own = new pg.Pool({
      connectionString: postgresUrl,
      max: 1,
      application_name: applicationName,
    });
    own.on('error', () => undefined);
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.prependListener('uncaughtException', onUncaught);
    // The lock createSchema takes, held here: it waits with its client checked out.
    const holder = await pool.connect();
    const lockKey = `sf-stream-server:${schema}`;
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [lockKey]);
      const pending = createSchema(own, schema).catch((caught: unknown) => caught);
      for (;;) {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
           WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName],
        );
        if (rows[0]!.n === 1) break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await holder.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      const error = await pending;
      await new Promise((resolve) => setTimeout(resolve, 200)); // a late 'error' would come now
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toContain(`creating schema ${schema}`);
      expect(uncaught).toEqual([]);
      await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockKey]);
      // The broken client was destroyed (max: 1): the next call works on a new one.
      await createSchema(own, schema);
      expect(
        (await own.query(`SELECT count(*)::int AS n FROM ${quoteIdentifier(schema)}.items`)).rows,
      ).toEqual([{ n: 0 }]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      holder.release();
      await own.end();
    }
  });

  it('reports a server that does not answer as StorageUnavailableError (503), at start and later', async () => {
    const config = testConfig({
      feeds: [],
      storage: { type: 'postgres', url: 'postgres://postgres@127.0.0.1:1/test' },
    });
    await expect(buildApp({ config })).rejects.toBeInstanceOf(StorageUnavailableError);
    const down = createPool({ url: 'postgres://postgres@127.0.0.1:1/test', poolSize: 1 });
    try {
      const store = postgresItemStore({ db: down, schema: 'sf_stream_server' }).forTenant('t');
      await expect(store.count()).rejects.toBeInstanceOf(StorageUnavailableError);
    } finally {
      await down.end();
    }
  });
});
