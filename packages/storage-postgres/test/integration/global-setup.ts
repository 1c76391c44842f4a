import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import type { TestProject } from 'vitest/node';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/postgres.sh', import.meta.url));
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/test';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    /** The prefix of this run's schemas (`sf_test_<random>`); each test file adds its own suffix. */
    schemaPrefix: string;
  }
}

/**
 * Makes sure a server answers: SF_POSTGRES_URL when set, else the URL scripts/postgres.sh start
 * prints (it starts a private cluster when none answers), else the default URL. Drops every
 * schema of this run at the end.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let url = process.env.SF_POSTGRES_URL;
  if (!url && existsSync(script)) {
    const { stdout } = await run('bash', [script, 'start'], { env: process.env, timeout: 300_000 });
    url = /SF_POSTGRES_URL=(\S+)/.exec(stdout)?.[1];
  }
  url ??= DEFAULT_URL;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.end();
  const schemaPrefix = `sf_test_${Math.random().toString(36).slice(2, 8)}`;
  project.provide('postgresUrl', url);
  project.provide('schemaPrefix', schemaPrefix);
  return async () => {
    const cleanup = new pg.Client({ connectionString: url });
    await cleanup.connect();
    const { rows } = await cleanup.query<{ name: string }>(
      `SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE $1`,
      [`${schemaPrefix}\\_%`],
    );
    for (const { name } of rows) await cleanup.query(`DROP SCHEMA "${name}" CASCADE`);
    await cleanup.end();
  };
}
