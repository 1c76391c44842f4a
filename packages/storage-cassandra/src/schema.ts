import { addColumnCql, cqlTable, createKeyspaceCql, createTableCql } from './cql.js';
import type { IdColumnType, Replication, TableSpec } from './cql.js';
import { CassandraSchemaError } from './errors.js';
import { KeyedMutex } from '@sf/feeds';
import type { CassandraSession } from './session.js';

/** Schema changes of this process, one table at a time (concurrent CREATE TABLEs disagree). */
const schemaChanges = new KeyedMutex();

/** A table as Cassandra describes it in `system_schema.columns`. */
export interface TableLayout {
  keyspace: string;
  table: string;
  /** `keyspace.table`, for messages. */
  qualified: string;
  /** `"keyspace"."table"`, for CQL. */
  cql: string;
  /** Column name to CQL type. */
  columns: Map<string, string>;
  partitionKey: string[];
  clustering: Array<{ name: string; order: 'ASC' | 'DESC' }>;
}

/** How a table may differ from its spec and still be used. */
export interface LayoutAllowances {
  /** Columns whose type may be `int` or `bigint` (actor, object, target ids). */
  idColumns?: readonly string[];
  /** Other accepted clustering keys (Stream Framework's aggregated table: `activity_id` only). */
  clusteringAlternatives?: ReadonlyArray<readonly string[]>;
}

export interface SchemaOptions {
  replication: Replication;
  /** Appended to `CREATE TABLE ... WITH` for timeline tables, e.g. `gc_grace_seconds = 86400`. */
  tableOptions?: string | undefined;
}

/** Reads a table's layout; undefined when it does not exist. */
export async function readLayout(
  session: CassandraSession,
  table: string,
): Promise<TableLayout | undefined> {
  const rows = session.rows(
    'SELECT column_name, kind, position, type, clustering_order FROM system_schema.columns WHERE keyspace_name = ? AND table_name = ?',
    [session.keyspace, table],
    { operation: 'schema.read', table: `${session.keyspace}.${table}`, fetchSize: 1000 },
  );
  const columns = new Map<string, string>();
  const partition: Array<[number, string]> = [];
  const clustering: Array<[number, string, 'ASC' | 'DESC']> = [];
  for await (const row of rows) {
    const name = String(row.column_name);
    columns.set(name, String(row.type));
    if (row.kind === 'partition_key') partition.push([Number(row.position), name]);
    if (row.kind === 'clustering')
      clustering.push([
        Number(row.position),
        name,
        String(row.clustering_order).toUpperCase() === 'DESC' ? 'DESC' : 'ASC',
      ]);
  }
  if (columns.size === 0) return undefined;
  partition.sort((a, b) => a[0] - b[0]);
  clustering.sort((a, b) => a[0] - b[0]);
  return {
    keyspace: session.keyspace,
    table,
    qualified: `${session.keyspace}.${table}`,
    cql: cqlTable(session.keyspace, table),
    columns,
    partitionKey: partition.map(([, name]) => name),
    clustering: clustering.map(([, name, order]) => ({ name, order })),
  };
}

const same = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks that a table can serve a spec: same partition key, an accepted clustering key, every
 * column present with its type.
 * @throws CassandraSchemaError listing what differs
 */
export function validateLayout(
  spec: TableSpec,
  layout: TableLayout,
  allowances: LayoutAllowances = {},
  allowMissing = false,
): void {
  const problems: string[] = [];
  const partition = spec.partitionKey.map((c) => c.name);
  if (!same(layout.partitionKey, partition)) {
    problems.push(
      `partition key is (${layout.partitionKey.join(', ')}), expected (${partition.join(', ')})`,
    );
  }
  const clustering = spec.clustering.map((c) => c.name);
  const actual = layout.clustering.map((c) => c.name);
  const accepted = [clustering, ...(allowances.clusteringAlternatives ?? [])];
  if (!accepted.some((names) => same(actual, names))) {
    problems.push(
      `clustering key is (${actual.join(', ')}), expected (${accepted.map((names) => names.join(', ')).join(') or (')})`,
    );
  }
  const missing: string[] = [];
  for (const spec_column of [...spec.partitionKey, ...spec.clustering, ...spec.columns]) {
    const type = layout.columns.get(spec_column.name);
    if (type === undefined) {
      missing.push(spec_column.name);
      continue;
    }
    const idColumn = allowances.idColumns?.includes(spec_column.name);
    const ok = idColumn ? type === 'int' || type === 'bigint' : type === spec_column.type;
    if (!ok)
      problems.push(
        `column ${spec_column.name} is ${type}, expected ${idColumn ? 'int or bigint' : spec_column.type}`,
      );
  }
  if (missing.length > 0 && !allowMissing)
    problems.push(`missing column(s) ${missing.join(', ')} (syncSchema() adds them)`);
  if (problems.length > 0) {
    throw new CassandraSchemaError(
      `table ${layout.qualified} cannot be used: ${problems.join('; ')}`,
    );
  }
}

/** The type of an id column in a table (`int` unless the table says `bigint`). */
export function idTypeOf(layout: TableLayout, name: string): IdColumnType {
  return layout.columns.get(name) === 'bigint' ? 'bigint' : 'int';
}

/**
 * Creates keyspaces and tables and adds missing columns; never drops or alters anything else.
 * Memoises per table, so each table is checked once per storage.
 */
export class SchemaManager {
  readonly #session: CassandraSession;
  readonly #options: SchemaOptions;
  #keyspace: Promise<void> | undefined;

  constructor(session: CassandraSession, options: SchemaOptions) {
    this.#session = session;
    this.#options = options;
  }

  /** `CREATE KEYSPACE IF NOT EXISTS` with the configured replication (once). */
  async ensureKeyspace(): Promise<void> {
    const keyspace = this.#session.keyspace;
    this.#keyspace ??= schemaChanges
      .run(keyspace, () =>
        this.#session.ddl(createKeyspaceCql(keyspace, this.#options.replication), {
          operation: 'schema.keyspace',
        }),
      )
      .catch((error: unknown) => {
        this.#keyspace = undefined;
        throw error;
      });
    return this.#keyspace;
  }

  /** Forgets that the keyspace exists (after it was dropped). */
  forgetKeyspace(): void {
    this.#keyspace = undefined;
  }

  /**
   * Creates the table when missing and adds the spec's missing regular columns; returns the
   * resulting layout (validated).
   */
  async sync(
    spec: TableSpec,
    allowances: LayoutAllowances = {},
    timeline = false,
  ): Promise<TableLayout> {
    await this.ensureKeyspace();
    return schemaChanges.run(`${this.#session.keyspace}.${spec.name}`, () =>
      this.#sync(spec, allowances, timeline),
    );
  }

  async #sync(
    spec: TableSpec,
    allowances: LayoutAllowances,
    timeline: boolean,
  ): Promise<TableLayout> {
    const qualified = `${this.#session.keyspace}.${spec.name}`;
    let layout = await readLayout(this.#session, spec.name);
    if (!layout) {
      await this.#session.ddl(
        createTableCql(
          this.#session.keyspace,
          spec,
          timeline ? this.#options.tableOptions : undefined,
        ),
        {
          operation: 'schema.create',
          table: qualified,
        },
      );
      layout = await readLayout(this.#session, spec.name);
      if (!layout)
        throw new CassandraSchemaError(
          `table ${qualified} was created but Cassandra does not describe it`,
        );
    }
    // Check keys and existing column types before adding anything.
    validateLayout(spec, layout, allowances, true);
    const keyColumns = new Set([...layout.partitionKey, ...layout.clustering.map((c) => c.name)]);
    let added = false;
    for (const spec_column of spec.columns.concat(
      spec.clustering.filter((c) => !keyColumns.has(c.name) && !layout!.columns.has(c.name)),
    )) {
      if (layout.columns.has(spec_column.name)) continue;
      await this.#session.ddl(addColumnCql(this.#session.keyspace, spec.name, spec_column), {
        operation: 'schema.alter',
        table: qualified,
      });
      added = true;
    }
    if (added) layout = (await readLayout(this.#session, spec.name))!;
    validateLayout(spec, layout, allowances);
    return layout;
  }

  /**
   * The layout of an existing table, validated.
   * @throws CassandraSchemaError when the table (or keyspace) does not exist
   */
  async describe(spec: TableSpec, allowances: LayoutAllowances = {}): Promise<TableLayout> {
    const layout = await readLayout(this.#session, spec.name);
    if (!layout) {
      throw new CassandraSchemaError(
        `table ${this.#session.keyspace}.${spec.name} does not exist: call storage.syncSchema() after defining the feeds, or pass autoSchema: true`,
      );
    }
    validateLayout(spec, layout, allowances);
    return layout;
  }
}

export type { IdColumnType };
