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
  /** Each flat feed's row count (`timeline_lengths`), kept by the `flat_*` functions. */
  readonly flatLengths: string;
  /** The functions that write flat timelines (see the migrations). */
  readonly flatAdd: string;
  readonly flatRemove: string;
  readonly flatDelete: string;
  readonly flatTrim: string;
  /** `flat_add` for feeds declaring `index`: also writes each row's verb id and field value. */
  readonly flatAddIndexed: string;
  readonly aggregated: string;
  readonly markers: string;
  /** The foreign-id index (`activity_foreign_ids`, schema version 4). */
  readonly foreignIds: string;
  readonly migrations: string;
  /** Inactive followers: last activity times and running rebuilds (migration 5). */
  readonly activityClock: string;
  readonly feedRebuilds: string;
  /** The LISTEN/NOTIFY channel of marker count events. */
  readonly channel: string;

  constructor(schema: string) {
    this.schema = schema;
    const q = (table: string) => `"${schema}"."${table}"`;
    this.activities = q('activities');
    this.flat = q('timeline_entries');
    this.flatLengths = q('timeline_lengths');
    this.flatAdd = q('flat_add');
    this.flatRemove = q('flat_remove');
    this.flatDelete = q('flat_delete');
    this.flatTrim = q('flat_trim');
    this.flatAddIndexed = q('flat_add_indexed');
    this.aggregated = q('aggregated_entries');
    this.markers = q('markers');
    this.foreignIds = q('activity_foreign_ids');
    this.migrations = q('schema_migrations');
    this.activityClock = q('activity_clock');
    this.feedRebuilds = q('feed_rebuilds');
    this.channel = `${schema}.marker_counts`;
  }

  /** A table's name for messages: `sf.activities`. */
  label(table: string): string {
    return table.replaceAll('"', '');
  }
}

/**
 * Adds items to feeds and trims each to `max_length` (NULL: no bound), exactly, without reading
 * the feeds: `timeline_lengths` keeps each feed's row count. Three statements, each with its own
 * snapshot (READ COMMITTED): insert the rows; add to the feeds' lengths, which locks them in key
 * order (so concurrent writers of one feed queue here) and says how many rows each feed has over
 * `max_length`; delete that many of its oldest rows, seen from a snapshot taken after the lock,
 * so a concurrent writer's committed rows are counted and trimmed too.
 *
 * `dedupe` false inserts without `ON CONFLICT` (a unique violation, 23505, fails the call: the
 * caller sends it again with `dedupe` true); true skips rows already stored and counts only the
 * new ones. A feed without a length row (new, or written before the lengths existed) is counted
 * once with count(*). Returns how many rows were new.
 */
const FLAT_ADD_FUNCTION = `CREATE OR REPLACE FUNCTION {s}."flat_add"(
    keys text[], ids numeric[], vals bytea[], max_length integer, dedupe boolean)
  RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
  bound integer := COALESCE(max_length, 2147483647);
  added_keys text[];
  added_counts integer[];
  matched_keys text[];
  over_keys text[];
  over_counts integer[];
BEGIN
  IF dedupe THEN
    WITH ins AS (
      INSERT INTO {s}."timeline_entries" (feed_key, id, value)
      SELECT k.feed_key, n.id, n.value
        FROM unnest(keys) AS k(feed_key) CROSS JOIN unnest(ids, vals) AS n(id, value) ORDER BY 1, 2
      ON CONFLICT (feed_key, id) DO NOTHING RETURNING feed_key)
    SELECT array_agg(feed_key ORDER BY feed_key), array_agg(n ORDER BY feed_key)
      INTO added_keys, added_counts
      FROM (SELECT feed_key, count(*)::integer AS n FROM ins GROUP BY feed_key) AS per;
    -- With a bound, a feed that gets nothing new is still trimmed to it (an earlier unbounded
    -- add may have left it longer), as every other backend does.
    IF added_keys IS NULL AND max_length IS NULL THEN RETURN 0; END IF;
  ELSE
    INSERT INTO {s}."timeline_entries" (feed_key, id, value)
    SELECT k.feed_key, n.id, n.value
      FROM unnest(keys) AS k(feed_key) CROSS JOIN unnest(ids, vals) AS n(id, value) ORDER BY 1, 2;
    added_keys := keys;
    added_counts := array_fill(cardinality(ids), ARRAY[cardinality(keys)]);
  END IF;
  IF dedupe THEN
    -- Every feed of the call, so that one that got nothing new but is past the bound is trimmed.
    WITH up AS (
      UPDATE {s}."timeline_lengths" AS l
         SET length = LEAST(l.length + p.n, bound), trimmed = GREATEST(l.length + p.n - bound, 0)
        FROM (SELECT k.feed_key, COALESCE(a.n, 0) AS n
                FROM unnest(keys) AS k(feed_key)
                LEFT JOIN unnest(added_keys, added_counts) AS a(feed_key, n) USING (feed_key)) AS p
       WHERE l.feed_key = p.feed_key AND (p.n > 0 OR l.length > bound)
      RETURNING l.feed_key, l.trimmed, p.n)
    SELECT array_agg(feed_key) FILTER (WHERE n > 0), array_agg(feed_key) FILTER (WHERE trimmed > 0),
           array_agg(trimmed) FILTER (WHERE trimmed > 0)
      INTO matched_keys, over_keys, over_counts FROM up;
  ELSE
    -- The common case, every feed gets every item: one index scan in key order.
    WITH up AS (
      UPDATE {s}."timeline_lengths" AS l
         SET length = LEAST(l.length + cardinality(ids), bound),
             trimmed = GREATEST(l.length + cardinality(ids) - bound, 0)
       WHERE l.feed_key = ANY (keys)
      RETURNING l.feed_key, l.trimmed)
    SELECT array_agg(feed_key), array_agg(feed_key) FILTER (WHERE trimmed > 0),
           array_agg(trimmed) FILTER (WHERE trimmed > 0)
      INTO matched_keys, over_keys, over_counts FROM up;
  END IF;
  IF COALESCE(cardinality(matched_keys), 0) < cardinality(added_keys) THEN
    -- Feeds the UPDATE did not find: counted once. A concurrent writer may have created the row
    -- since: then only this call's rows are added to its length (its count holds the rest).
    WITH fresh AS (
      INSERT INTO {s}."timeline_lengths" AS l (feed_key, length, trimmed)
      SELECT p.feed_key, LEAST(c.n, bound), GREATEST(c.n - bound, 0)
        FROM unnest(added_keys) AS p(feed_key)
        LEFT JOIN unnest(matched_keys) AS m(feed_key) ON m.feed_key = p.feed_key
        CROSS JOIN LATERAL (
          SELECT count(*)::integer AS n FROM {s}."timeline_entries" AS e
           WHERE e.feed_key = p.feed_key) AS c
       WHERE m.feed_key IS NULL
       ORDER BY 1
      ON CONFLICT (feed_key) DO UPDATE
        SET length = LEAST(l.length + (SELECT q.n FROM unnest(added_keys, added_counts) AS q(feed_key, n)
                                        WHERE q.feed_key = l.feed_key), bound),
            trimmed = GREATEST(l.length + (SELECT q.n FROM unnest(added_keys, added_counts) AS q(feed_key, n)
                                            WHERE q.feed_key = l.feed_key) - bound, 0)
      RETURNING l.feed_key, l.trimmed)
    SELECT array_cat(over_keys, array_agg(feed_key)), array_cat(over_counts, array_agg(trimmed))
      INTO over_keys, over_counts FROM fresh WHERE trimmed > 0;
  END IF;
  IF over_keys IS NOT NULL THEN
    DELETE FROM {s}."timeline_entries" WHERE ctid = ANY (ARRAY(
      SELECT x.ctid FROM unnest(over_keys, over_counts) AS o(feed_key, n)
      CROSS JOIN LATERAL (
        SELECT e.ctid FROM {s}."timeline_entries" AS e
         WHERE e.feed_key = o.feed_key ORDER BY e.id ASC LIMIT o.n) AS x));
  END IF;
  RETURN COALESCE((SELECT sum(n)::integer FROM unnest(added_counts) AS n), 0);
END
$fn$`;

/**
 * Removes ids from feeds and subtracts them from the feeds' lengths. The lengths are locked first,
 * in key order, as `flat_add` locks them, so that a removal and a trimming write cannot deadlock.
 */
const FLAT_REMOVE_FUNCTION = `CREATE OR REPLACE FUNCTION {s}."flat_remove"(keys text[], ids numeric[])
  RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE removed integer;
BEGIN
  PERFORM 1 FROM {s}."timeline_lengths" WHERE feed_key = ANY (keys) ORDER BY feed_key FOR UPDATE;
  WITH del AS (
    DELETE FROM {s}."timeline_entries" WHERE feed_key = ANY (keys) AND id = ANY (ids)
    RETURNING feed_key),
  per AS (SELECT feed_key, count(*)::integer AS n FROM del GROUP BY feed_key),
  up AS (
    UPDATE {s}."timeline_lengths" AS l SET length = GREATEST(l.length - per.n, 0), trimmed = 0
      FROM per WHERE l.feed_key = per.feed_key)
  SELECT COALESCE(sum(n), 0)::integer INTO removed FROM per;
  RETURN removed;
END
$fn$`;

/** Deletes a feed: its length first (the lock every writer of the feed takes), then its rows. */
const FLAT_DELETE_FUNCTION = `CREATE OR REPLACE FUNCTION {s}."flat_delete"(key text)
  RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM {s}."timeline_lengths" WHERE feed_key = key;
  DELETE FROM {s}."timeline_entries" WHERE feed_key = key;
END
$fn$`;

/**
 * Trims a feed to its newest `max_length` rows and counts it again (which also repairs a length
 * that rows written around this package made wrong).
 */
const FLAT_TRIM_FUNCTION = `CREATE OR REPLACE FUNCTION {s}."flat_trim"(key text, max_length integer)
  RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO {s}."timeline_lengths" (feed_key, length) VALUES (key, 0)
    ON CONFLICT (feed_key) DO NOTHING;
  PERFORM 1 FROM {s}."timeline_lengths" WHERE feed_key = key FOR UPDATE;
  DELETE FROM {s}."timeline_entries" WHERE feed_key = key AND id <= (
    SELECT id FROM {s}."timeline_entries" WHERE feed_key = key ORDER BY id DESC OFFSET max_length LIMIT 1);
  UPDATE {s}."timeline_lengths"
     SET length = (SELECT count(*) FROM {s}."timeline_entries" WHERE feed_key = key), trimmed = 0
   WHERE feed_key = key;
END
$fn$`;

/**
 * `flat_add` that also writes `verb_id` and `field_value` (the indexed values of feeds declaring
 * `index`): the same function with two more arrays, parallel to `ids`. Derived from the released
 * text, so both trim and count alike.
 */
function flatAddIndexedFunction(): string {
  const replacements: Array<[string, string]> = [
    [
      `"flat_add"(
    keys text[], ids numeric[], vals bytea[], max_length integer, dedupe boolean)`,
      `"flat_add_indexed"(
    keys text[], ids numeric[], vals bytea[], verbs smallint[], fields text[],
    max_length integer, dedupe boolean)`,
    ],
    [
      `INSERT INTO {s}."timeline_entries" (feed_key, id, value)
      SELECT k.feed_key, n.id, n.value
        FROM unnest(keys) AS k(feed_key) CROSS JOIN unnest(ids, vals) AS n(id, value) ORDER BY 1, 2`,
      `INSERT INTO {s}."timeline_entries" (feed_key, id, value, verb_id, field_value)
      SELECT k.feed_key, n.id, n.value, n.verb_id, n.field_value
        FROM unnest(keys) AS k(feed_key)
        CROSS JOIN unnest(ids, vals, verbs, fields) AS n(id, value, verb_id, field_value) ORDER BY 1, 2`,
    ],
    [
      `INSERT INTO {s}."timeline_entries" (feed_key, id, value)
    SELECT k.feed_key, n.id, n.value
      FROM unnest(keys) AS k(feed_key) CROSS JOIN unnest(ids, vals) AS n(id, value) ORDER BY 1, 2`,
      `INSERT INTO {s}."timeline_entries" (feed_key, id, value, verb_id, field_value)
    SELECT k.feed_key, n.id, n.value, n.verb_id, n.field_value
      FROM unnest(keys) AS k(feed_key)
      CROSS JOIN unnest(ids, vals, verbs, fields) AS n(id, value, verb_id, field_value) ORDER BY 1, 2`,
    ],
  ];
  let text = FLAT_ADD_FUNCTION;
  for (const [from, to] of replacements) {
    if (!text.includes(from))
      throw new Error(`flat_add_indexed: flat_add no longer contains ${from}`);
    text = text.replace(from, to);
  }
  return text;
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
  {
    version: 2,
    name: 'flat-lengths',
    statements: [
      // Old writers would add rows without counting them: they are held off until this commits.
      `LOCK TABLE {s}."timeline_entries" IN SHARE MODE`,
      `CREATE TABLE IF NOT EXISTS {s}."timeline_lengths" (
        feed_key text COLLATE "C" PRIMARY KEY,
        length integer NOT NULL,
        trimmed integer NOT NULL DEFAULT 0
      ) WITH (fillfactor = 70)`,
      `INSERT INTO {s}."timeline_lengths" (feed_key, length)
        SELECT feed_key, count(*) FROM {s}."timeline_entries" GROUP BY feed_key
        ON CONFLICT (feed_key) DO NOTHING`,
      FLAT_ADD_FUNCTION,
      FLAT_REMOVE_FUNCTION,
      FLAT_DELETE_FUNCTION,
      FLAT_TRIM_FUNCTION,
    ],
  },
  {
    version: 3,
    name: 'flat-indexes',
    statements: [
      // Nullable columns without a default: a catalog change, no table rewrite.
      `ALTER TABLE {s}."timeline_entries" ADD COLUMN IF NOT EXISTS verb_id smallint,
        ADD COLUMN IF NOT EXISTS field_value text COLLATE "C"`,
      `CREATE INDEX IF NOT EXISTS "timeline_entries_verb" ON {s}."timeline_entries"
        (feed_key, verb_id, id) WHERE verb_id IS NOT NULL`,
      `CREATE INDEX IF NOT EXISTS "timeline_entries_field" ON {s}."timeline_entries"
        (feed_key, field_value, id) WHERE field_value IS NOT NULL`,
      flatAddIndexedFunction(),
    ],
  },
  {
    version: 4,
    name: 'foreign-ids',
    statements: [
      // Activities with a foreign id did not exist before: nothing to backfill. Removing an
      // activity removes its index rows (ON DELETE CASCADE, through the index on id).
      `CREATE TABLE IF NOT EXISTS {s}."activity_foreign_ids" (
        foreign_id text COLLATE "C" NOT NULL,
        id numeric NOT NULL REFERENCES {s}."activities" (id) ON DELETE CASCADE,
        PRIMARY KEY (foreign_id, id)
      )`,
      `CREATE INDEX IF NOT EXISTS "activity_foreign_ids_id" ON {s}."activity_foreign_ids" (id)`,
    ],
  },
  {
    version: 5,
    name: 'activity-clock',
    statements: [
      // Inactive followers: last activity per user and clock, and running feed rebuilds.
      `CREATE TABLE IF NOT EXISTS {s}."activity_clock" (
        clock text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        last_active bigint NOT NULL,
        PRIMARY KEY (clock, user_id)
      )`,
      `CREATE TABLE IF NOT EXISTS {s}."feed_rebuilds" (
        clock text COLLATE "C" NOT NULL,
        user_id text COLLATE "C" NOT NULL,
        started_at bigint NOT NULL,
        expires_at bigint NOT NULL,
        PRIMARY KEY (clock, user_id)
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
