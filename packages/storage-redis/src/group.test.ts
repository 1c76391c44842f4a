import { describe, expect, it } from 'vitest';
import { groupBy } from './group.js';

describe('groupBy', () => {
  it('groups by key, keeping the first-seen order of keys and the order of items', () => {
    const groups = groupBy(['b1', 'a1', 'b2', 'c1', 'a2'], (item) => item[0]);
    expect([...groups]).toEqual([
      ['b', ['b1', 'b2']],
      ['a', ['a1', 'a2']],
      ['c', ['c1']],
    ]);
  });

  it('returns an empty map for no items', () => {
    expect(groupBy([], (item: string) => item).size).toBe(0);
  });
});
