/**
 * `scripts/postgres.sh`, for real: with nothing answering at `SF_POSTGRES_URL` it runs a private
 * cluster (initdb, pg_ctl) on a spare loopback port, idempotently, and `stop` removes it; with a
 * server answering it uses that one, creates the database when missing, and `stop` leaves it alone.
 *
 * Own port and folder, so the shared server is never stopped.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/postgres.sh', import.meta.url));
const sharedUrl = process.env.SF_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(from: number): Promise<number | undefined> {
  for (let port = from; port < from + 50; port++) if (await portFree(port)) return port;
  return undefined;
}

const shared = scriptWith({ SF_POSTGRES_URL: sharedUrl });
const sharedAnswers = (await shared.status()) === 'ok';
const port = await freePort(Number(process.env.SF_POSTGRES_SCRIPT_TEST_PORT || 54349));
const dir = join(tmpdir(), `sf-postgres-script-${randomBytes(4).toString('hex')}`);

function scriptWith(env: Record<string, string>) {
  const options = { env: { ...process.env, ...env }, timeout: 300_000 };
  return {
    start: () => run('bash', [script, 'start'], options),
    stop: () => run('bash', [script, 'stop'], options),
    psql: (sql: string) =>
      run('bash', [script, 'psql', '-X', '-A', '-t', '-c', sql], options).then((result) =>
        result.stdout.trim(),
      ),
    status: () =>
      run('bash', [script, 'status'], options).then(
        (result) => result.stdout.trim(),
        (error: { stdout?: string }) => String(error.stdout ?? '').trim(),
      ),
  };
}

describe.skipIf(port === undefined)('scripts/postgres.sh', () => {
  const privateUrl = `postgres://postgres@127.0.0.1:${port}/test`;
  // SF_POSTGRES_URL points at the spare port, where nothing answers yet.
  const own = scriptWith({
    SF_POSTGRES_URL: privateUrl,
    SF_POSTGRES_PORT: String(port),
    SF_POSTGRES_DIR: dir,
  });

  afterAll(async () => {
    await own.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('runs a private cluster when nothing answers, reuses it on a second start, and stop removes it', async () => {
    expect(await own.status()).toBe('stopped');

    const first = await own.start();
    expect(first.stdout.trim()).toBe(`SF_POSTGRES_URL=${privateUrl}`);
    expect(first.stderr).toContain('private cluster');
    expect(existsSync(join(dir, 'data', 'PG_VERSION'))).toBe(true);
    expect(await own.status()).toBe('ok');
    expect(await own.psql('select current_database(), inet_server_port()')).toBe(`test|${port}`);

    const second = await own.start();
    expect(second.stdout.trim()).toBe(`SF_POSTGRES_URL=${privateUrl}`);
    expect(second.stderr).not.toContain('initdb');

    await own.stop();
    expect(await own.status()).toBe('stopped');
    expect(existsSync(dir)).toBe(false);
  }, 300_000);

  it.skipIf(!sharedAnswers)(
    'uses a server that answers, creates its database, and stop leaves that server alone',
    async () => {
      const database = `sf_script_${randomBytes(4).toString('hex')}`;
      const parsed = new URL(sharedUrl);
      parsed.pathname = `/${database}`;
      const url = parsed.toString();
      const other = scriptWith({
        SF_POSTGRES_URL: url,
        SF_POSTGRES_PORT: String(port),
        SF_POSTGRES_DIR: dir,
      });
      try {
        const started = await other.start();
        expect(started.stdout.trim()).toBe(`SF_POSTGRES_URL=${url}`);
        expect(started.stderr).toContain(`creating database ${database}`);
        expect(await other.psql('select current_database()')).toBe(database);
        expect(existsSync(dir)).toBe(false);

        await other.stop();
        expect(await other.status()).toBe('ok');
      } finally {
        await shared.psql(`drop database if exists "${database}"`);
      }
    },
    120_000,
  );
});
