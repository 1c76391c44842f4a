import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Activity, Love } from '@sf/activity';
import { Feed } from '@sf/feeds';
import { makeActivity } from '@sf/feeds/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PostgresConfigurationError,
  PostgresSchemaError,
  SCHEMA_VERSION,
  migrate,
  postgresStorage,
} from '../../src/index.js';
import { createPool, postgresUrl, uniqueSchema } from './helpers.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));
const pool = createPool();
afterAll(async () => {
  await pool.end();
});

async function tablesOf(schema: string): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`,
    [schema],
  );
  return rows.map((row) => row.name);
}

const applyAll = [
  { version: 1, name: 'tables' },
  { version: 2, name: 'flat-lengths' },
  { version: 3, name: 'flat-indexes' },
  { version: 4, name: 'foreign-ids' },
  { version: 5, name: 'activity-clock' },
];

describe('migrations', () => {
  it('version 2 counts the feeds a version 1 schema already holds', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    await storage.sync();
    const s = `"${storage.schema}"`;
    // back to version 1: no lengths, no functions, rows written by version 1
    await pool.query(`DROP TABLE ${s}.timeline_lengths`);
    for (const fn of ['flat_add', 'flat_remove', 'flat_delete', 'flat_trim'])
      await pool.query(`DROP FUNCTION ${s}.${fn}`);
    await pool.query(`DROP TABLE ${s}.activity_clock, ${s}.feed_rebuilds`);
    await pool.query(`DELETE FROM ${s}.schema_migrations WHERE version >= 2`);
    await pool.query(
      `INSERT INTO ${s}.timeline_entries (feed_key, id)
       SELECT 'feed:normal:1', n FROM generate_series(1, 5) AS n`,
    );
    // Every version after 1 runs again (each statement is idempotent).
    expect(await storage.sync()).toEqual(applyAll.slice(1));
    const feed = Feed.define({
      name: 'normal',
      keyFormat: 'feed:normal:{userId}',
      storage,
      maxLength: 6,
    });
    expect(await feed.for(1).count()).toBe(5);
    const activity = makeActivity(9);
    await feed.insertActivity(activity);
    await feed.for(1).add(activity);
    await feed.for(1).add(makeActivity(10));
    expect(await feed.for(1).count()).toBe(6);
    const { rows } = await pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${s}.timeline_entries WHERE feed_key = 'feed:normal:1'`,
    );
    expect(rows[0]!.n).toBe(6);
  });

  it('version 4 adds the foreign-id index to a version 3 schema, keeping its activities readable', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    await storage.sync();
    const s = `"${storage.schema}"`;
    // back to version 3: no foreign-id index
    await pool.query(`DROP TABLE ${s}.activity_foreign_ids`);
    await pool.query(`DELETE FROM ${s}.schema_migrations WHERE version = 4`);
    const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const old = makeActivity(3);
    await feed.insertActivity(old);
    await feed.for(1).add(old);
    // an old schema fails lookups by foreign id with a clear error naming the fix
    const error = await feed.getByForeignId('pin:1').then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PostgresSchemaError);
    expect(String((error as Error).message)).toMatch(/sync|migrate/);
    expect(await storage.sync()).toEqual([{ version: 4, name: 'foreign-ids' }]);
    const pin = new Activity({ actor: 'alice', verb: Love, object: 'pin-1', foreignId: 'pin:1' });
    await feed.insertActivity(pin);
    await feed.for(1).add(pin);
    expect((await feed.for(1).get()).map((a) => a.serializationId)).toEqual(
      [pin, old]
        .map((a) => a.serializationId)
        .sort()
        .reverse(),
    );
    expect((await feed.getByForeignId('pin:1')).map((a) => a.objectId)).toEqual(['pin-1']);
    await feed.removeActivitiesByForeignId('pin:1');
    const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${s}.activity_foreign_ids`);
    expect(rows[0]).toEqual({ n: 0 });
    await storage.close();
  });

  it('version 5 adds the activity clock to a version 4 schema, keeping its feeds', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    await storage.sync();
    const s = `"${storage.schema}"`;
    const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const activity = makeActivity(3);
    await feed.insertActivity(activity);
    await feed.for(1).add(activity);
    // back to version 4
    await pool.query(`DROP TABLE ${s}.activity_clock, ${s}.feed_rebuilds`);
    await pool.query(`DELETE FROM ${s}.schema_migrations WHERE version = 5`);
    expect(await storage.schemaVersion()).toEqual({ current: 4, latest: SCHEMA_VERSION });
    const clock = storage.activityClock({ name: 'users' });
    await expect(clock.lastActive(['1'])).rejects.toThrow();
    expect(await storage.sync()).toEqual([{ version: 5, name: 'activity-clock' }]);
    expect(await clock.touch(['1'], 1000)).toEqual(new Map());
    expect(await clock.lastActive(['1', '2'])).toEqual(new Map([['1', 1000]]));
    expect(await clock.startRebuild('1', 1000, 60_000)).toBe(true);
    expect(await feed.for(1).count()).toBe(1);
  });

  it('sync creates the schema and its tables once; a second sync applies nothing', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    expect(await storage.schemaVersion()).toEqual({ current: 0, latest: SCHEMA_VERSION });
    expect(await storage.sync()).toEqual(applyAll);
    expect(await storage.sync()).toEqual([]);
    expect(await storage.schemaVersion()).toEqual({
      current: SCHEMA_VERSION,
      latest: SCHEMA_VERSION,
    });
    expect(await tablesOf(storage.schema)).toEqual([
      'activities',
      'activity_clock',
      'activity_foreign_ids',
      'aggregated_entries',
      'feed_rebuilds',
      'markers',
      'schema_migrations',
      'timeline_entries',
      'timeline_lengths',
    ]);
  });

  it('applies each version once when several processes sync at once', async () => {
    const schema = uniqueSchema();
    const pools = Array.from({ length: 6 }, () => createPool({ max: 1 }));
    try {
      const applied = await Promise.all(
        pools.map((each) => postgresStorage({ pool: each, schema }).sync()),
      );
      expect(applied.flat()).toEqual(applyAll);
      const { rows } = await pool.query(
        `SELECT version FROM "${schema}".schema_migrations ORDER BY 1`,
      );
      expect(rows).toEqual(applyAll.map(({ version }) => ({ version })));
    } finally {
      await Promise.all(pools.map((each) => each.end()));
    }
  });

  it('keeps two schemas apart', async () => {
    const [a, b] = [uniqueSchema(), uniqueSchema()].map((schema) =>
      postgresStorage({ pool, schema }),
    );
    await Promise.all([a!.sync(), b!.sync()]);
    const define = (storage: typeof a) =>
      Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage: storage! });
    const activity = makeActivity(1);
    await define(a).insertActivity(activity);
    await define(a).for(1).add(activity);
    expect(await define(a).for(1).count()).toBe(1);
    expect(await define(b).for(1).count()).toBe(0);
    expect(await define(b).activityStorage!.getMany([activity.serializationId])).toEqual(new Map());
  });

  it('refuses a schema name that is not an identifier, before any SQL', async () => {
    await expect(
      migrate({ connectionString: postgresUrl(), schema: 'sf; DROP TABLE x' }),
    ).rejects.toBeInstanceOf(PostgresConfigurationError);
    expect(() => postgresStorage({ pool, schema: 'Feeds' })).toThrow(PostgresConfigurationError);
  });

  it('reads of a schema never synced fail with PostgresSchemaError naming the fix', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    const feed = Feed.define({ name: 'normal', keyFormat: 'feed:normal:{userId}', storage });
    const error = await feed
      .for(1)
      .count()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PostgresSchemaError);
    expect((error as Error).message).toMatch(/sync\(\)/);
  });

  it('refuses a schema migrated by a newer version of the package', async () => {
    const storage = postgresStorage({ pool, schema: uniqueSchema() });
    await storage.sync();
    await pool.query(
      `INSERT INTO "${storage.schema}".schema_migrations (version, name) VALUES (999, 'future')`,
    );
    await expect(storage.sync()).rejects.toThrow(/version 999, newer than/);
  });

  it('sf-postgres-migrate applies what is missing and says so', async () => {
    const schema = uniqueSchema();
    const args = ['--conditions=@sf/source', '--import', 'tsx', cli, '--url', postgresUrl()];
    const first = await run('node', [...args, '--schema', schema]);
    expect(first.stdout).toBe(
      applyAll
        .map(({ version, name }) => `applied ${version} ${name} (schema ${schema})\n`)
        .join(''),
    );
    const second = await run('node', [...args, '--schema', schema]);
    expect(second.stdout).toBe(`schema ${schema} is up to date\n`);
    const bad = await run('node', [...args, '--schema', 'No-Such']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/SF_POSTGRES_CONFIGURATION/);
  });
});
