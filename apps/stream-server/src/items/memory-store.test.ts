import { describe, expect, it } from 'vitest';
import { memoryItemStore } from './memory-store.js';
import { describeItemStore } from './store-contract.js';
import { indexEntries, normalizeFilters } from './store.js';

const keys = ['user', 'kind'];

describeItemStore({ name: 'memory', open: async () => memoryItemStore() });

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
