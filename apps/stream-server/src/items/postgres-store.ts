import { postgresCall, quoteIdentifier } from '../postgres-state.js';
import type { Queryable } from '../postgres-state.js';
import type { IndexEntry, ItemQuery, ItemStore, TenantItemStore } from './store.js';

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
 * the item and its index rows. Queries: see `query`.
 */
export class ItemStatements {
  readonly insert: string;
  readonly count: string;
  readonly #s: string;

  constructor(schema: string) {
    const s = quoteIdentifier(schema);
    this.#s = s;
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
    this.count = `SELECT count(*)::int AS count FROM ${s}.items WHERE tenant = $1`;
  }

  /**
   * The statement of a query ($1 tenant, $2 limit, $3 offset, then each filter's key and
   * values), in one of three shapes, each fixed so that PostgreSQL's plan does not depend on
   * statistics (a table nobody has analyzed yet gets the same plan):
   *
   * - no filter: the items' primary key, backwards, `LIMIT`/`OFFSET`;
   * - one key with one value: that value's range of `item_index`, backwards, stopping after the
   *   page, then the page's items by primary key;
   * - otherwise, per key, the ids of each of its values (an index range per value, `LATERAL`
   *   over `unnest` of the values), `INTERSECT` between keys (`DISTINCT` for a single key),
   *   `ORDER BY id DESC LIMIT OFFSET`, then the page's items by primary key. As on Redis
   *   (`ZUNIONSTORE`/`ZINTERSTORE`), such a query reads every id its filters match, and only
   *   the page's items.
   */
  query(tenant: string, { filters, start, end }: ItemQuery): { text: string; values: unknown[] } {
    const s = this.#s;
    const values: unknown[] = [tenant, end - start, start];
    const fetch = (page: string) =>
      `SELECT i.data FROM (${page}) p, LATERAL (SELECT i.data FROM ${s}.items i WHERE i.tenant = $1 AND i.id = p.id) i ORDER BY p.id DESC`;
    if (filters.length === 0)
      return {
        text: `SELECT data FROM ${s}.items WHERE tenant = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`,
        values,
      };
    const [first] = filters;
    if (filters.length === 1 && first!.values.length === 1) {
      values.push(first!.key, storedValue(first!.values[0]!));
      return {
        text: fetch(
          `SELECT x.id FROM ${s}.item_index x WHERE x.tenant = $1 AND x.key = $4 AND x.value = $5 ORDER BY x.id DESC LIMIT $2 OFFSET $3`,
        ),
        values,
      };
    }
    const branches = filters.map((filter, n) => {
      values.push(filter.key, filter.values.map(storedValue));
      return `SELECT x.id FROM unnest($${5 + 2 * n}::text[]) AS v(value), LATERAL (SELECT x.id FROM ${s}.item_index x WHERE x.tenant = $1 AND x.key = $${4 + 2 * n} AND x.value = v.value) x`;
    });
    const ids =
      branches.length === 1
        ? branches[0]!.replace(/^SELECT x\.id/, 'SELECT DISTINCT x.id')
        : branches.join(' INTERSECT ');
    return { text: fetch(`${ids} ORDER BY id DESC LIMIT $2 OFFSET $3`), values };
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
    const { text, values } = this.#statements.query(this.#tenant, { filters, start, end });
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
