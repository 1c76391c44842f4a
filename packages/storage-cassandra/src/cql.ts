import { CassandraConfigurationError } from './errors.js';

/** Cassandra limits keyspace and table names to 48 characters of letters, digits and `_`. */
const identifierPattern = /^[A-Za-z][A-Za-z0-9_]{0,47}$/;

/** CQL keywords that cannot be used unquoted as column names (the ones our tables meet). */
const reserved = new Set([
  'group',
  'order',
  'by',
  'select',
  'from',
  'where',
  'table',
  'key',
  'limit',
  'token',
  'to',
]);

/**
 * Validates a keyspace or table name and returns it lower-cased (Cassandra folds unquoted names
 * to lower case, as cqlengine created Stream Framework's tables).
 * @throws CassandraConfigurationError for anything else
 */
export function tableIdentifier(name: string, what: string): string {
  if (typeof name !== 'string' || !identifierPattern.test(name)) {
    throw new CassandraConfigurationError(
      `${what} must be a letter followed by letters, digits or _ (at most 48 characters), got ${JSON.stringify(name)}`,
    );
  }
  return name.toLowerCase();
}

/** A keyspace or table name as it appears in CQL: quoted, so keywords (`batch`, `order`) work. */
export function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"keyspace"."table"`. */
export function cqlTable(keyspace: string, table: string): string {
  return `${quoted(keyspace)}.${quoted(table)}`;
}

/** A column name as it appears in CQL (`"group"` is a keyword and must be quoted). */
export function column(name: string): string {
  return reserved.has(name) ? `"${name}"` : name;
}

export interface ColumnSpec {
  name: string;
  /** CQL type, e.g. `varint`, `frozen<list<text>>`. */
  type: string;
}

/** The CQL type of actor, object and target ids: `int` (Stream Framework's) or `bigint`. */
export type IdColumnType = 'int' | 'bigint';

export interface TableSpec {
  name: string;
  partitionKey: ColumnSpec[];
  clustering: Array<ColumnSpec & { order: 'ASC' | 'DESC' }>;
  columns: ColumnSpec[];
}

export type TimelineTableKind = 'flat' | 'aggregated';

/** The activity columns of a flat timeline row (and of the activity storage). */
export function activityColumns(idType: IdColumnType): ColumnSpec[] {
  return [
    { name: 'actor', type: idType },
    { name: 'verb', type: 'int' },
    { name: 'object', type: idType },
    { name: 'target', type: idType },
    { name: 'time', type: 'timestamp' },
    { name: 'extra_context', type: 'blob' },
  ];
}

/**
 * A flat timeline: Stream Framework's `models.Activity` (partition `feed_id`, clustering
 * `activity_id DESC`, the whole activity in the row).
 */
export function flatTableSpec(name: string, idType: IdColumnType): TableSpec {
  return {
    name,
    partitionKey: [{ name: 'feed_id', type: 'ascii' }],
    clustering: [{ name: 'activity_id', type: 'varint', order: 'DESC' }],
    columns: activityColumns(idType),
  };
}

/**
 * An aggregated (or notification) timeline: Stream Framework's `models.AggregatedActivity`
 * columns, with `group` added to the clustering key so that two aggregated activities updated
 * in the same second (which share their `activity_id`) are two rows, not one overwriting the other.
 * `group DESC` orders such ties as Redis and memory do (by stored member, descending; in both
 * formats a member starts with its group). Tables created by earlier versions with `group ASC`
 * keep working, with ties in that order.
 */
export function aggregatedTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [{ name: 'feed_id', type: 'ascii' }],
    clustering: [
      { name: 'activity_id', type: 'varint', order: 'DESC' },
      { name: 'group', type: 'ascii', order: 'DESC' },
    ],
    columns: [
      { name: 'activities', type: 'blob' },
      { name: 'created_at', type: 'timestamp' },
      { name: 'updated_at', type: 'timestamp' },
    ],
  };
}

/** The activity storage: one partition per (key prefix, activity id). */
export function activityTableSpec(name: string, idType: IdColumnType): TableSpec {
  return {
    name,
    partitionKey: [
      { name: 'key_prefix', type: 'ascii' },
      { name: 'activity_id', type: 'varint' },
    ],
    clustering: [],
    columns: activityColumns(idType),
  };
}

/**
 * The foreign-id index: one partition per foreign id (and key prefix), its activity ids as
 * clustering keys, ascending.
 */
export function foreignIdTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [
      { name: 'key_prefix', type: 'ascii' },
      { name: 'foreign_id', type: 'text' },
    ],
    clustering: [{ name: 'activity_id', type: 'varint', order: 'ASC' }],
    columns: [],
  };
}

/**
 * The write-time indexes of a flat timeline table (`index: { verb, field }`): one row per
 * (entry, indexed dimension), in a partition keyed by the same `feed_id` as the timeline's, so a
 * feed's timeline rows and index rows share a token and one batch is one mutation per replica.
 * Clustered by dimension (`verb`, `field:<name>`, or `#indexed` for the markers), value, then
 * `activity_id DESC` as the timeline: a filtered page is one slice, a count one `GROUP BY`.
 */
export function timelineIndexTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [{ name: 'feed_id', type: 'ascii' }],
    clustering: [
      { name: 'dimension', type: 'ascii', order: 'ASC' },
      { name: 'value', type: 'text', order: 'ASC' },
      { name: 'activity_id', type: 'varint', order: 'DESC' },
    ],
    columns: [],
  };
}

/**
 * The index table of a timeline table: `<table>_idx`, or, when that passes CQL's 48 characters,
 * the table's first 35 characters, `_idx_` and 8 hex digits of a hash of the whole name (two
 * long names sharing a prefix still get two tables).
 */
export function indexTableName(table: string): string {
  const plain = `${table}_idx`;
  if (plain.length <= 48) return plain;
  let hash = 0x811c9dc5;
  for (let i = 0; i < table.length; i++) {
    hash ^= table.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${table.slice(0, 35)}_idx_${hash.toString(16).padStart(8, '0')}`;
}

/** Notification markers: both lists of a feed in one row, with a version for compare-and-set. */
export function markerTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [{ name: 'feed_id', type: 'ascii' }],
    clustering: [],
    columns: [
      { name: 'unseen', type: 'frozen<list<text>>' },
      { name: 'unread', type: 'frozen<list<text>>' },
      { name: 'version', type: 'bigint' },
    ],
  };
}

/** The lock rows of `modify` (taken with `INSERT ... IF NOT EXISTS USING TTL`). */
export function lockTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [{ name: 'lock_key', type: 'ascii' }],
    clustering: [],
    columns: [{ name: 'owner', type: 'ascii' }],
  };
}

export type Replication = Readonly<Record<string, string | number>>;

function literal(value: string | number): string {
  return typeof value === 'number' ? String(value) : `'${value.replaceAll("'", "''")}'`;
}

/** `CREATE KEYSPACE IF NOT EXISTS ks WITH replication = {...}`. */
export function createKeyspaceCql(keyspace: string, replication: Replication): string {
  const entries = Object.entries(replication).map(
    ([name, value]) => `${literal(name)}: ${literal(value)}`,
  );
  return `CREATE KEYSPACE IF NOT EXISTS ${quoted(keyspace)} WITH replication = {${entries.join(', ')}}`;
}

/** `CREATE TABLE IF NOT EXISTS ks.t (...) [WITH CLUSTERING ORDER BY (...)] [AND options]`. */
export function createTableCql(keyspace: string, spec: TableSpec, tableOptions?: string): string {
  const all = [...spec.partitionKey, ...spec.clustering, ...spec.columns];
  const columns = all.map((c) => `${column(c.name)} ${c.type}`).join(', ');
  const partition = spec.partitionKey.map((c) => column(c.name)).join(', ');
  const key = [
    spec.partitionKey.length > 1 ? `(${partition})` : partition,
    ...spec.clustering.map((c) => column(c.name)),
  ].join(', ');
  const withs: string[] = [];
  if (spec.clustering.length > 0) {
    withs.push(
      `CLUSTERING ORDER BY (${spec.clustering.map((c) => `${column(c.name)} ${c.order}`).join(', ')})`,
    );
  }
  if (tableOptions) withs.push(tableOptions);
  const suffix = withs.length > 0 ? ` WITH ${withs.join(' AND ')}` : '';
  return `CREATE TABLE IF NOT EXISTS ${cqlTable(keyspace, spec.name)} (${columns}, PRIMARY KEY (${key}))${suffix}`;
}

/** `ALTER TABLE ks.t ADD column type`. */
export function addColumnCql(keyspace: string, table: string, spec: ColumnSpec): string {
  return `ALTER TABLE ${cqlTable(keyspace, table)} ADD ${column(spec.name)} ${spec.type}`;
}

/** Last activity times of the activity clocks (inactive followers): a partition per user. */
export function activityClockTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [
      { name: 'clock', type: 'text' },
      { name: 'user_id', type: 'text' },
    ],
    clustering: [],
    columns: [{ name: 'last_active', type: 'bigint' }],
  };
}

/** Running feed rebuilds (taken with `INSERT ... IF NOT EXISTS USING TTL`). */
export function feedRebuildTableSpec(name: string): TableSpec {
  return {
    name,
    partitionKey: [
      { name: 'clock', type: 'text' },
      { name: 'user_id', type: 'text' },
    ],
    clustering: [],
    columns: [
      { name: 'started_at', type: 'bigint' },
      { name: 'expires_at', type: 'bigint' },
    ],
  };
}
