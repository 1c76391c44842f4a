import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const REPO_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

let started: string | undefined;

/**
 * PostgreSQL for the integration tests: SF_POSTGRES_URL when set, else what
 * `scripts/postgres.sh start` prints (a server that answers, or a private cluster it starts),
 * else the default URL. Every test run makes schemas of its own and drops them.
 */
export function postgresUrl(): string {
  if (process.env.SF_POSTGRES_URL) return process.env.SF_POSTGRES_URL;
  started ??= startPostgres();
  return started;
}

function startPostgres(): string {
  const script = join(REPO_DIR, 'scripts', 'postgres.sh');
  if (existsSync(script)) {
    const out = execFileSync('bash', [script, 'start'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 300_000,
    });
    const match = /^SF_POSTGRES_URL=(\S+)$/m.exec(out);
    if (match) return match[1]!;
  }
  return 'postgres://postgres@127.0.0.1:5432/test';
}

/** A schema name of this run (lower case, unique): `<tag>_<pid>_<random>`. */
export function runSchema(tag: string): string {
  return `${tag}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
}

/** Drops a schema this run made, with everything in it. */
export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
