import { afterAll, describe, expect, it } from 'vitest';
import { seeded } from '../test-config.js';
import { memoryItemStore } from './memory-store.js';
import { indexEntries, normalizeFilters } from './store.js';
import type { ItemFilter, ItemStore } from './store.js';

/**
 * The contract of an item store, one suite for every storage: memory (unit tests), Redis and
 * PostgreSQL (integration tests). `open` gives a store with no items yet (a fresh key prefix or
 * schema); `cleanup` removes everything the suite's stores wrote.
 */
export interface ItemStoreTarget {
  name: string;
  open(): Promise<ItemStore>;
  cleanup?(): Promise<void>;
  /** Also compare the store with the memory store on random queries (not for memory itself). */
  compareWithMemory?: boolean;
}

const keys = ['user', 'kind'];

const ns = (texts: string[]) => texts.map((text) => (JSON.parse(text) as { n: number }).n);

export function describeItemStore(target: ItemStoreTarget): void {
  describe(`item store contract (${target.name})`, () => {
    afterAll(async () => {
      await target.cleanup?.();
    });

    async function filled(count: number) {
      const store = (await target.open()).forTenant('t');
      for (let n = 0; n < count; n++) {
        const item = { n, user: n % 3, kind: n % 2 ? 'odd' : 'even' };
        await store.insert(JSON.stringify(item), indexEntries(item, keys));
      }
      return store;
    }

    it('slices newest first', async () => {
      const store = await filled(10);
      expect(ns(await store.query({ filters: [], start: 0, end: 3 }))).toEqual([9, 8, 7]);
      expect(ns(await store.query({ filters: [], start: 8, end: 20 }))).toEqual([1, 0]);
      expect(await store.query({ filters: [], start: 10, end: 20 })).toEqual([]);
      expect(await store.count()).toBe(10);
    });

    it('unions the values of a key and intersects keys', async () => {
      const store = await filled(12);
      const q = (filters: Array<{ key: string; values: string[] }>, start = 0, end = 20) =>
        store.query({ filters, start, end }).then(ns);
      expect(await q([{ key: 'user', values: ['0'] }])).toEqual([9, 6, 3, 0]);
      expect(await q([{ key: 'user', values: ['0', '1'] }])).toEqual([10, 9, 7, 6, 4, 3, 1, 0]);
      expect(
        await q([
          { key: 'user', values: ['0', '1'] },
          { key: 'kind', values: ['odd'] },
        ]),
      ).toEqual([9, 7, 3, 1]);
      expect(
        await q(
          [
            { key: 'user', values: ['0', '1'] },
            { key: 'kind', values: ['odd'] },
          ],
          1,
          3,
        ),
      ).toEqual([7, 3]);
      expect(await q([{ key: 'user', values: ['7'] }])).toEqual([]);
      expect(
        await q([
          { key: 'user', values: ['0'] },
          { key: 'kind', values: ['none'] },
        ]),
      ).toEqual([]);
    });

    it('keeps tenants apart', async () => {
      const items = await target.open();
      await items.forTenant('a').insert('{"user":1}', [{ key: 'user', value: '1' }]);
      expect(
        await items
          .forTenant('b')
          .query({ filters: [{ key: 'user', values: ['1'] }], start: 0, end: 20 }),
      ).toEqual([]);
      expect(await items.forTenant('a').count()).toBe(1);
    });

    it('agrees with a brute-force model on 300 random queries', async () => {
      const random = seeded(7);
      const pick = (n: number) => Math.floor(random() * n);
      const store = (await target.open()).forTenant('t');
      const model: Array<Record<string, unknown>> = [];
      for (let n = 0; n < 400; n++) {
        const item = {
          n,
          user: pick(12),
          kind: pick(3) === 0 ? ['x', 'y'][pick(2)] : [`k${pick(4)}`, `k${pick(4)}`],
        };
        model.push(item);
        await store.insert(JSON.stringify(item), indexEntries(item, keys));
      }
      for (let q = 0; q < 300; q++) {
        const filters: Array<{ key: string; values: string[] }> = [];
        if (random() < 0.7)
          filters.push({
            key: 'user',
            values: Array.from({ length: 1 + pick(4) }, () => String(pick(14))),
          });
        if (random() < 0.5)
          filters.push({
            key: 'kind',
            values: Array.from(
              { length: 1 + pick(3) },
              () => ['x', 'y', 'k0', 'k1', 'k2', 'k3', 'none'][pick(7)]!,
            ),
          });
        const start = pick(30);
        const end = start + pick(40);
        const matches = model
          .filter((item) =>
            filters.every((f) =>
              indexEntries(item, [f.key]).some((entry) => f.values.includes(entry.value)),
            ),
          )
          .reverse()
          .slice(start, end);
        expect(
          ns(await store.query({ filters: normalizeFilters(filters), start, end })),
          JSON.stringify({ filters, start, end }),
        ).toEqual(matches.map((item) => item.n));
      }
    });

    it('keeps index values with NUL and backslashes apart, as the other stores do', async () => {
      const store = (await target.open()).forTenant('t');
      const values = ['\0', '\\0', '\\', '\\\\', 'a\0b', 'a\\0b', '0', ''];
      for (const [n, kind] of values.entries())
        await store.insert(JSON.stringify({ n, kind }), indexEntries({ n, kind }, keys));
      for (const [n, kind] of values.entries())
        expect(
          ns(await store.query({ filters: [{ key: 'kind', values: [kind] }], start: 0, end: 20 })),
          JSON.stringify(kind),
        ).toEqual([n]);
      expect(
        ns(
          await store.query({
            filters: [{ key: 'kind', values: ['\0', 'a\0b', 'missing'] }],
            start: 0,
            end: 20,
          }),
        ),
      ).toEqual([4, 0]);
    });

    if (target.compareWithMemory) {
      it('answers 300 random queries exactly as the memory store', async () => {
        const random = seeded(11);
        const pick = (n: number) => Math.floor(random() * n);
        const onStore = (await target.open()).forTenant('t');
        const inMemory = memoryItemStore().forTenant('t');
        for (let n = 0; n < 400; n++) {
          const item = {
            n,
            user: pick(12),
            kind: pick(3) === 0 ? 'x' : [`k${pick(4)}`, `k${pick(4)}`],
          };
          const json = JSON.stringify(item);
          const entries = indexEntries(item, keys);
          expect(await onStore.insert(json, entries)).toBe(await inMemory.insert(json, entries));
        }
        for (let q = 0; q < 300; q++) {
          const filters: ItemFilter[] = [];
          if (random() < 0.7)
            filters.push({
              key: 'user',
              values: Array.from({ length: 1 + pick(4) }, () => String(pick(14))),
            });
          if (random() < 0.5)
            filters.push({
              key: 'kind',
              values: Array.from(
                { length: 1 + pick(3) },
                () => ['x', 'k0', 'k1', 'k2', 'k3', 'none'][pick(6)]!,
              ),
            });
          const start = pick(30);
          const query = { filters: normalizeFilters(filters), start, end: start + pick(40) };
          expect(await onStore.query(query), JSON.stringify(query)).toEqual(
            await inMemory.query(query),
          );
        }
        expect(await onStore.count()).toBe(400);
      });
    }
  });
}
