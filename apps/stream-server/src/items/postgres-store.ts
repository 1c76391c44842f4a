import { postgresCall, quoteIdentifier } from '../postgres-state.js';
import type { Queryable } from '../postgres-state.js';
import type { IndexEntry, ItemFilter, ItemQuery, ItemStore, TenantItemStore } from './store.js';

/**
 * An index value as stored: PostgreSQL text cannot hold NUL, so `\` becomes `\\` and NUL
 * becomes `\0` (one-to-one, so equality is kept; every other value is stored as it is).
 */
export function storedValue(value: string): string {
  return /[\\\0]/.test(value)
    ? value.replace(/[\\\0]/g, (c) => (c === '\0' ? '\\0' : '\\\\'))
    : value;
}

/**
 * The statements of one schema. Insert: one statement takes the tenant's next id (a row of
 * `item_sequences`, locked until the statement commits, so ids grow in commit order), writes
 * the item and its index rows. Query: the filters become `IN` sub-selects over `item_index`
 * (one per key, `value = ANY($n)` for its values), the paging `ORDER BY id DESC LIMIT OFFSET`:
 * PostgreSQL returns the page only.
 */
export class ItemStatements {
  readonly insert: string;
  readonly all: string;
  readonly count: string;
  readonly #schema: string;

  constructor(schema: string) {
    const s = quoteIdentifier(schema);
    this.#schema = s;
    this.insert = `WITH seq AS (
        INSERT INTO ${s}.item_sequences AS q (tenant, last_id) VALUES ($1, 1)
        ON CONFLICT (tenant) DO UPDATE SET last_id = q.last_id + 1
        RETURNING last_id),
      item AS (
        INSERT INTO ${s}.items (tenant, id, data) SELECT $1, last_id, $2 FROM seq
        RETURNING id),
      entries AS (
        INSERT INTO ${s}.item_index (tenant, key, value, id)
        SELECT $1, e.key, e.value, item.id FROM item, unnest($3::text[], $4::text[]) AS e(key, value))
      SELECT id::text AS id FROM item`;
    this.all = `SELECT data FROM ${s}.items WHERE tenant = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`;
    this.count = `SELECT count(*)::int AS count FROM ${s}.items WHERE tenant = $1`;
  }

  /** The query of `filters` (at least one): parameters $1 tenant, $2 limit, $3 offset, then key and values of each filter. */
  filtered(filters: readonly ItemFilter[]): string {
    const s = this.#schema;
    const conditions = filters.map(
      (_, i) =>
        `AND i.id IN (SELECT x.id FROM ${s}.item_index x WHERE x.tenant = $1 AND x.key = $${4 + 2 * i} AND x.value = ANY($${5 + 2 * i}::text[]))`,
    );
    return `SELECT i.data FROM ${s}.items i WHERE i.tenant = $1 ${conditions.join(' ')} ORDER BY i.id DESC LIMIT $2 OFFSET $3`;
  }
}

class PostgresTenantItems implements TenantItemStore {
  readonly #db: Queryable;
  readonly #statements: ItemStatements;
  readonly #tenant: string;

  constructor(db: Queryable, statements: ItemStatements, tenant: string) {
    this.#db = db;
    this.#statements = statements;
    this.#tenant = tenant;
  }

  async insert(json: string, entries: readonly IndexEntry[]): Promise<string> {
    const result = await postgresCall(`inserting an item of tenant ${this.#tenant}`, () =>
      this.#db.query<{ id: string }>(this.#statements.insert, [
        this.#tenant,
        json,
        entries.map((entry) => entry.key),
        entries.map((entry) => storedValue(entry.value)),
      ]),
    );
    return result.rows[0]!.id;
  }

  async query({ filters, start, end }: ItemQuery): Promise<string[]> {
    if (end <= start) return [];
    const text = filters.length === 0 ? this.#statements.all : this.#statements.filtered(filters);
    const values: unknown[] = [this.#tenant, end - start, start];
    for (const filter of filters) values.push(filter.key, filter.values.map(storedValue));
    const result = await postgresCall(`items of tenant ${this.#tenant}`, () =>
      this.#db.query<{ data: string }>(text, values),
    );
    return result.rows.map((row) => row.data);
  }

  async count(): Promise<number> {
    const result = await postgresCall(`counting items of tenant ${this.#tenant}`, () =>
      this.#db.query<{ count: number }>(this.#statements.count, [this.#tenant]),
    );
    return result.rows[0]!.count;
  }
}

export interface PostgresItemStoreOptions {
  db: Queryable;
  /** The schema of the tables (created by `createSchema` before use). */
  schema: string;
}

/**
 * Items in PostgreSQL: `items` (tenant, id, JSON text), `item_index` (tenant, key, value, id),
 * `item_sequences` (tenant, last id), all keyed by tenant first. Filters are evaluated by
 * PostgreSQL; only the page's rows come back.
 */
export function postgresItemStore({ db, schema }: PostgresItemStoreOptions): ItemStore {
  const statements = new ItemStatements(schema);
  const tenants = new Map<string, PostgresTenantItems>();
  return {
    name: 'postgres',
    forTenant(tenant) {
      let store = tenants.get(tenant);
      if (!store) {
        store = new PostgresTenantItems(db, statements, tenant);
        tenants.set(tenant, store);
      }
      return store;
    },
    async close() {
      tenants.clear();
    },
  };
}
