import type { IndexEntry, ItemQuery, ItemStore, TenantItemStore } from './store.js';

/** The distinct ids of ascending lists, greatest first. */
function* descending(lists: readonly number[][]): Generator<number> {
  if (lists.length === 1) {
    const ids = lists[0]!;
    for (let i = ids.length - 1; i >= 0; i--) yield ids[i]!;
    return;
  }
  const positions = lists.map((ids) => ids.length - 1);
  let previous = Infinity;
  for (;;) {
    let best = -1;
    for (let k = 0; k < lists.length; k++) {
      if (
        positions[k]! >= 0 &&
        (best === -1 || lists[k]![positions[k]!]! > lists[best]![positions[best]!]!)
      )
        best = k;
    }
    if (best === -1) return;
    const id = lists[best]![positions[best]!]!;
    positions[best]!--;
    if (id !== previous) yield id;
    previous = id;
  }
}

/** Binary search in an ascending list. */
function includes(ids: readonly number[], id: number): boolean {
  let low = 0;
  let high = ids.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const value = ids[middle]!;
    if (value === id) return true;
    if (value < id) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}

/** Items in process memory (tests, development, single-process deployments). */
class MemoryTenantItems implements TenantItemStore {
  #sequence = 0;
  /** id → JSON text; ids are 1, 2, 3, ... so `#ids` is sorted ascending. */
  readonly #items = new Map<number, string>();
  readonly #ids: number[] = [];
  /** `key\0value` → ids, ascending. */
  readonly #index = new Map<string, number[]>();

  async insert(json: string, entries: readonly IndexEntry[]): Promise<string> {
    const id = ++this.#sequence;
    this.#items.set(id, json);
    this.#ids.push(id);
    for (const { key, value } of entries) {
      const indexKey = `${key}\0${value}`;
      const ids = this.#index.get(indexKey);
      if (ids) ids.push(id);
      else this.#index.set(indexKey, [id]);
    }
    return String(id);
  }

  async query({ filters, start, end }: ItemQuery): Promise<string[]> {
    if (end <= start) return [];
    if (filters.length === 0) {
      const from = Math.max(0, this.#ids.length - end);
      const to = this.#ids.length - start;
      return this.#ids
        .slice(from, Math.max(from, to))
        .reverse()
        .map((id) => this.#items.get(id)!);
    }
    // Per filter, the ascending id lists of its values; the filter with the fewest ids drives a
    // newest-first merge, the others are checked by binary search.
    const groups = filters.map((filter) =>
      filter.values.map((value) => this.#index.get(`${filter.key}\0${value}`) ?? []),
    );
    const sizes = groups.map((lists) => lists.reduce((sum, ids) => sum + ids.length, 0));
    if (sizes.some((size) => size === 0)) return [];
    const driver = sizes.indexOf(Math.min(...sizes));
    const others = groups.filter((_, i) => i !== driver);
    const result: string[] = [];
    let skipped = 0;
    for (const id of descending(groups[driver]!)) {
      if (!others.every((lists) => lists.some((ids) => includes(ids, id)))) continue;
      if (skipped < start) {
        skipped++;
        continue;
      }
      result.push(this.#items.get(id)!);
      if (result.length >= end - start) break;
    }
    return result;
  }

  async count(): Promise<number> {
    return this.#items.size;
  }
}

export function memoryItemStore(): ItemStore {
  const tenants = new Map<string, MemoryTenantItems>();
  return {
    name: 'memory',
    forTenant(tenant) {
      let store = tenants.get(tenant);
      if (!store) {
        store = new MemoryTenantItems();
        tenants.set(tenant, store);
      }
      return store;
    },
    async close() {
      tenants.clear();
    },
  };
}
