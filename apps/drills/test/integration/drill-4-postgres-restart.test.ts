/**
 * Drill 4 as an integration test: feeds and queue on a private PostgreSQL cluster of the test's
 * own (scripts/postgres.sh on a spare port, SF_DRILL4_TEST_PORT, default 54359: never the shared
 * server), stopped with `pg_ctl stop -m immediate` mid-fanout and started again; every feed must
 * end exactly as the ledger says. The cluster is stopped and its folder deleted afterwards.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runDrill4 } from '../../src/drill-4-postgres-restart.js';
import { drillTable } from '../../src/drills/report.js';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../../../scripts/postgres.sh', import.meta.url));
const port = Number(process.env.SF_DRILL4_TEST_PORT || 54359);
const url = `postgres://postgres@127.0.0.1:${port}/test`;
const dir = join(tmpdir(), `sf-drill4-test-${randomBytes(4).toString('hex')}`);
const env = {
  ...process.env,
  SF_POSTGRES_URL: url,
  SF_POSTGRES_PORT: String(port),
  SF_POSTGRES_DIR: dir,
  SF_DRILL_POSTGRES: url,
  SF_DRILL_POSTGRES_DIR: dir,
};

beforeAll(async () => {
  if (port === 5432) throw new Error('SF_DRILL4_TEST_PORT must not be the shared server 5432');
  await run('bash', [script, 'start'], { env, timeout: 300_000 });
}, 300_000);

afterAll(async () => {
  await run('bash', [script, 'stop'], { env, timeout: 120_000 });
}, 120_000);

it('drill 4: PostgreSQL stopped hard mid-fanout (feeds and queue on it) loses and duplicates nothing', async () => {
  const result = await runDrill4(() => undefined, env);
  console.log(drillTable(result));
  const figure = (label: string) => result.figures.find(([name]) => name === label)?.[1];
  expect(result.skipped).toBeUndefined();
  expect(result.failures).toEqual([]);
  expect(figure('flat missing')).toBe(0);
  expect(figure('flat duplicated')).toBe(0);
  expect(figure('aggregated missing')).toBe(0);
  expect(figure('aggregated duplicated')).toBe(0);
  expect(figure('flat found')).toBe(figure('flat feed writes expected'));
  expect(figure('jobs failed for good')).toBe(0);
  expect(result.ok).toBe(true);
}, 480_000);
