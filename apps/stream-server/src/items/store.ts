/**
 * AwesomeStream's model: items are JSON objects stored in insertion order and indexed by the
 * values of a few configured keys. A query is a list of groups, one per key; an item matches a
 * group when its value for that key is any of the group's values (union), and the query when it
 * matches every group (intersection). Results come newest first, sliced like Python's
 * `items[start:end]`.
 */

/** One filter: the item's `key` must be one of `values` (already normalized with `indexValue`). */
export interface ItemFilter {
  key: string;
  values: string[];
}

export interface ItemQuery {
  filters: ItemFilter[];
  start: number;
  /** Exclusive. */
  end: number;
}

/** One index entry of an item: `key` has `value` (an item is indexed once per distinct pair). */
export interface IndexEntry {
  key: string;
  value: string;
}

/** The items of one tenant. */
export interface TenantItemStore {
  /** Stores an item (its JSON text) under a new id, greater than every earlier id. */
  insert(json: string, entries: readonly IndexEntry[]): Promise<string>;
  /** The JSON texts of the matching items, newest first. */
  query(query: ItemQuery): Promise<string[]>;
  count(): Promise<number>;
}

export interface ItemStore {
  readonly name: 'memory' | 'redis' | 'postgres';
  forTenant(tenant: string): TenantItemStore;
  close(): Promise<void>;
}

/**
 * The index form of a value: strings as they are, numbers in their shortest decimal form
 * (`23` and `23.0` are the same number), booleans as `true` / `false`. So `user=23` in a query
 * string matches an item whose `user` is the number 23 (or the string "23").
 */
export function indexValue(value: string | number | boolean): string {
  return typeof value === 'string' ? value : String(value);
}

/** Index entries of an item for the configured keys; values of an array are each indexed. */
export function indexEntries(item: Record<string, unknown>, keys: readonly string[]): IndexEntry[] {
  const entries: IndexEntry[] = [];
  for (const key of keys) {
    if (!Object.hasOwn(item, key)) continue;
    const raw = item[key];
    const values = Array.isArray(raw) ? raw : [raw];
    const seen = new Set<string>();
    for (const value of values) {
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
        continue;
      const normalized = indexValue(value);
      if (seen.has(normalized)) continue;
      seen.add(normalized);
      entries.push({ key, value: normalized });
    }
  }
  return entries;
}

/** Merges filters on the same key (their values are unioned) and drops duplicate values. */
export function normalizeFilters(filters: readonly ItemFilter[]): ItemFilter[] {
  const byKey = new Map<string, Set<string>>();
  for (const filter of filters) {
    let values = byKey.get(filter.key);
    if (!values) {
      values = new Set();
      byKey.set(filter.key, values);
    }
    for (const value of filter.values) values.add(value);
  }
  return [...byKey].map(([key, values]) => ({ key, values: [...values] }));
}
