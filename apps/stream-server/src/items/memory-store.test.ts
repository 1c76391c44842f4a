import { describe, expect, it } from 'vitest';
import { memoryItemStore } from './memory-store.js';
import { seeded } from '../test-config.js';
import { indexEntries, normalizeFilters } from './store.js';

const keys = ['user', 'kind'];

async function filled(count: number) {
  const store = memoryItemStore().forTenant('t');
  for (let n = 0; n < count; n++) {
    const item = { n, user: n % 3, kind: n % 2 ? 'odd' : 'even' };
    await store.insert(JSON.stringify(item), indexEntries(item, keys));
  }
  return store;
}

const ns = (texts: string[]) => texts.map((text) => (JSON.parse(text) as { n: number }).n);

describe('memory item store', () => {
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
    const items = memoryItemStore();
    await items.forTenant('a').insert('{"user":1}', [{ key: 'user', value: '1' }]);
    expect(
      await items
        .forTenant('b')
        .query({ filters: [{ key: 'user', values: ['1'] }], start: 0, end: 20 }),
    ).toEqual([]);
    expect(await items.forTenant('a').count()).toBe(1);
  });
});

describe('index entries', () => {
  it('indexes configured keys only, each distinct value once, as text', () => {
    expect(indexEntries({ user: 23, kind: ['a', 'a', 'b', { x: 1 }], other: 'x' }, keys)).toEqual([
      { key: 'user', value: '23' },
      { key: 'kind', value: 'a' },
      { key: 'kind', value: 'b' },
    ]);
    expect(indexEntries({ user: true, kind: 1.5 }, keys)).toEqual([
      { key: 'user', value: 'true' },
      { key: 'kind', value: '1.5' },
    ]);
  });

  it('merges filters on the same key', () => {
    expect(
      normalizeFilters([
        { key: 'user', values: ['1', '2'] },
        { key: 'kind', values: ['a'] },
        { key: 'user', values: ['2', '3'] },
      ]),
    ).toEqual([
      { key: 'user', values: ['1', '2', '3'] },
      { key: 'kind', values: ['a'] },
    ]);
  });
});

describe('memory item store against a brute-force model', () => {
  it('agrees on 300 random queries', async () => {
    const random = seeded(7);
    const pick = (n: number) => Math.floor(random() * n);
    const store = memoryItemStore().forTenant('t');
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
});
