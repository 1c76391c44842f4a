import type pg from 'pg';
import { lockedTransaction } from './ddl.js';
import { PostgresConfigurationError, PostgresSchemaError, toStorageError } from './errors.js';

/** What a valid schema name looks like (it is put into SQL quoted, but kept simple). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name: a lowercase letter or `_`, then lowercase letters, digits or `_` (max 63). */
export function checkSchemaName(schema: unknown, path = 'postgresStorage.schema'): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new PostgresConfigurationError(
      `schema must be a lowercase letter or _ then lowercase letters, digits or _ (max 63), got ${JSON.stringify(schema) ?? String(schema)}`,
      { path, value: schema },
    );
  }
  return schema;
}

/** The qualified, quoted names of the package's tables in one schema. */
export class Tables {
  readonly schema: string;
  readonly activities: string;
  readonly flat: string;
  readonly aggregated: string;
  readonly markers: string;
  readonly migrations: string;
  /** The LISTEN/NOTIFY channel of marker count events. */
  readonly channel: string;

  constructor(schema: string) {
    this.schema = schema;
    const q = (table: string) => `"${schema}"."${table}"`;
    this.activities = q('activities');
    this.flat = q('timeline_entries');
    this.aggregated = q('aggregated_entries');
    this.markers = q('markers');
    this.migrations = q('schema_migrations');
    this.channel = `${schema}.marker_counts`;
  }

  /** A table's name for messages: `sf.activities`. */
  label(table: string): string {
    return table.replaceAll('"', '');
  }
}

export interface Migration {
  version: number;
  name: string;
  /** The statements, with `{s}` standing for the quoted schema name. */
  statements: readonly string[];
}

/**
 * The schema, version by version. A released migration is never edited: a change is a new one.
 * Every statement is idempotent on its own as well (IF NOT EXISTS), so a half-applied version
 * (impossible inside one transaction, but cheap to guard) completes on the next sync.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'tables',
    statements: [
      `CREATE TABLE IF NOT EXISTS {s}."activities" (
        id numeric PRIMARY KEY,
        value bytea NOT NULL
      )`,
      `CREATE TABLE IF NOT EXISTS {s}."timeline_entries" (
        feed_key text COLLATE "C" NOT NULL,
        id numeric NOT NULL,
        value bytea,
        PRIMARY KEY (feed_key, id)
      )`,
      `CREATE TABLE IF NOT EXISTS {s}."aggregated_entries" (
        feed_key text COLLATE "C" NOT NULL,
        id numeric NOT NULL,
        grp text COLLATE "C" NOT NULL,
        value bytea NOT NULL,
        digest uuid GENERATED ALWAYS AS (md5(value)::uuid) STORED,
        PRIMARY KEY (feed_key, id, grp, digest)
      )`,
      `CREATE TABLE IF NOT EXISTS {s}."markers" (
        feed_key text COLLATE "C" PRIMARY KEY,
        unseen text[] NOT NULL DEFAULT '{}',
        unread text[] NOT NULL DEFAULT '{}'
      )`,
    ],
  },
];

/** The newest schema version this package knows. */
export const SCHEMA_VERSION = migrations.at(-1)!.version;

export interface AppliedMigration {
  version: number;
  name: string;
}

/**
 * Applies the migrations the schema lacks, in one transaction under an advisory lock keyed by the
 * schema name, so that processes syncing at once apply each version once (the others wait, then
 * find nothing to do). Returns the versions applied by this call.
 * @throws PostgresSchemaError when the schema was migrated by a newer version of this package
 */
export async function applyMigrations(
  client: pg.ClientBase,
  schema: string,
): Promise<AppliedMigration[]> {
  const tables = new Tables(checkSchemaName(schema));
  const quoted = `"${schema}"`;
  return lockedTransaction(
    client,
    `sf-storage-postgres:migrate:${schema}`,
    { operation: 'sync' },
    async () => {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoted}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${tables.migrations} (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`,
      );
      const { rows } = await client.query<{ version: number }>(
        `SELECT version FROM ${tables.migrations}`,
      );
      const done = new Set(rows.map((row) => row.version));
      const newest = Math.max(0, ...done);
      if (newest > SCHEMA_VERSION) {
        throw new PostgresSchemaError(
          `schema ${quoted} is at version ${newest}, newer than this package's ${SCHEMA_VERSION}: upgrade @sf/storage-postgres`,
        );
      }
      const applied: AppliedMigration[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        for (const statement of migration.statements)
          await client.query(statement.replaceAll('{s}', quoted));
        await client.query(`INSERT INTO ${tables.migrations} (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        applied.push({ version: migration.version, name: migration.name });
      }
      return applied;
    },
  );
}

/** The versions recorded in the schema (empty when it was never synced). */
export async function appliedVersions(client: pg.ClientBase, schema: string): Promise<number[]> {
  const tables = new Tables(checkSchemaName(schema));
  const { rows } = await client
    .query<{ version: number }>(`SELECT version FROM ${tables.migrations} ORDER BY version`)
    .catch((error: unknown) => {
      if ((error as { code?: string }).code === '42P01') return { rows: [] };
      throw toStorageError(error, { operation: 'schema.versions' });
    });
  return rows.map((row) => row.version);
}
