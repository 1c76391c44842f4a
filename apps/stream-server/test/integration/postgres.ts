import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createSchema, quoteIdentifier } from '../../src/postgres-state.js';

/** The PostgreSQL of the tests: SF_POSTGRES_URL, default the local test database. */
export const postgresUrl = process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

const run = randomBytes(4).toString('hex');
let counter = 0;

/** A schema name of this run only (`sftest_stream_<random>_<n>`): the tests drop it afterwards. */
export function uniqueSchema(): string {
  counter += 1;
  return `sftest_stream_${run}_${counter}`;
}

export function testPool(): pg.Pool {
  return new pg.Pool({ connectionString: postgresUrl, max: 4 });
}

/** A new schema with the server's tables, on its own pool. */
export async function schemaWithTables(pool: pg.Pool): Promise<string> {
  const schema = uniqueSchema();
  await createSchema(pool, schema);
  return schema;
}

/** Drops each schema and the tenants' feed schemas made from it (`<schema>_t_<tenant>`). */
export async function dropSchemas(pool: pg.Pool, schemas: readonly string[]): Promise<void> {
  for (const schema of schemas) {
    const found = await pool.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname = $1 OR starts_with(nspname, $1 || '_t_')`,
      [schema],
    );
    for (const { name } of found.rows)
      await pool.query(`DROP SCHEMA IF EXISTS ${quoteIdentifier(name)} CASCADE`);
  }
}

/**
 * Every row of a server's tables (its schema and its tenants' feed schemas), table by table:
 * for before/after comparisons.
 */
export async function postgresContents(
  pool: pg.Pool,
  schema: string,
): Promise<Record<string, unknown>> {
  const tables = await pool.query<{ schema: string; table: string }>(
    `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
     WHERE table_schema = $1 OR starts_with(table_schema, $1 || '_t_')
     ORDER BY table_schema, table_name`,
    [schema],
  );
  const contents: Record<string, unknown> = {};
  for (const { schema: owner, table } of tables.rows) {
    const name = `${quoteIdentifier(owner)}.${quoteIdentifier(table)}`;
    const rows = await pool.query<{ rows: unknown }>(
      `SELECT coalesce(json_agg(t ORDER BY t::text), '[]') AS rows FROM ${name} t`,
    );
    contents[`${owner}.${table}`] = rows.rows[0]!.rows;
  }
  return contents;
}
