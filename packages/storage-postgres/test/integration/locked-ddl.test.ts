import { afterAll, expect, it } from 'vitest';
import { PostgresQueryError, runLockedDdl } from '../../src/index.js';
import { createPool, uniqueSchema } from './helpers.js';

const pool = createPool({ max: 4 });
const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
});

function tables(schema: string): string[] {
  return [
    `CREATE SCHEMA IF NOT EXISTS "${schema}"`,
    `CREATE TABLE IF NOT EXISTS "${schema}".a (id int PRIMARY KEY)`,
    `CREATE INDEX IF NOT EXISTS a_id ON "${schema}".a (id DESC)`,
    `CREATE TABLE IF NOT EXISTS "${schema}".b (id int PRIMARY KEY)`,
  ];
}

it('applies the statements once from callers running at once (the lock serializes them)', async () => {
  const schema = uniqueSchema();
  schemas.push(schema);
  // Without the lock, concurrent CREATE ... IF NOT EXISTS of one table can fail on the catalogs.
  await Promise.all(
    Array.from({ length: 4 }, () =>
      runLockedDdl({ pool, lockKey: `sf-test:ddl:${schema}`, statements: tables(schema) }),
    ),
  );
  const { rows } = await pool.query<{ name: string }>(
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1',
    [schema],
  );
  expect(rows.map((row) => row.name)).toEqual(['a', 'b']);
});

it('a failing statement rejects with PostgresQueryError and applies none of the list', async () => {
  const schema = uniqueSchema();
  schemas.push(schema);
  const error = await runLockedDdl({
    pool,
    lockKey: `sf-test:ddl:${schema}`,
    statements: [...tables(schema), `CREATE TABLE "${schema}".a (id int)`],
    operation: 'app.schema',
  }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PostgresQueryError);
  expect(error).toMatchObject({ operation: 'app.schema', sqlState: '42P07' });
  expect((error as Error).message).toContain('app.schema');
  expect((error as Error).message).toContain('statements[4]');
  const { rows } = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
  expect(rows).toEqual([]);
  // The client was released (destroyed, not reused): the pool still serves.
  await runLockedDdl({ pool, lockKey: `sf-test:ddl:${schema}`, statements: tables(schema) });
});

it('a statement on a schema that does not exist is a PostgresQueryError naming it, not a sync() hint', async () => {
  const schema = uniqueSchema();
  const error = await runLockedDdl({
    pool,
    lockKey: `sf-test:ddl:${schema}`,
    statements: [`CREATE TABLE "${schema}".a (id int)`],
  }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(PostgresQueryError);
  expect(error).toMatchObject({ operation: 'ddl', sqlState: '3F000' });
  expect((error as Error).message).toContain('statements[0]');
  expect((error as Error).message).not.toContain('sync()');
});
