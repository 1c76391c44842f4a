import { describe, expect, it } from 'vitest';
import { SortedTimeline } from './sorted-timeline.js';

function timeline(ids: string[]): SortedTimeline<string> {
  const result = new SortedTimeline<string>();
  for (const id of ids) result.add({ id, member: id, item: id });
  return result;
}

describe('SortedTimeline', () => {
  it('keeps entries newest first whatever the insertion order, ids compared as numbers', () => {
    const t = timeline(['5', '100', '20', '3', '1000000000000000000000000001']);
    expect(t.entries.map((e) => e.id)).toEqual([
      '1000000000000000000000000001',
      '100',
      '20',
      '5',
      '3',
    ]);
  });

  it('refuses a member twice', () => {
    const t = timeline(['5']);
    expect(t.add({ id: '5', member: '5', item: '5' })).toBe(false);
    expect(t.size).toBe(1);
  });

  it('orders equal ids by member, descending, as Redis does for equal scores', () => {
    const t = new SortedTimeline<string>();
    for (const member of ['b', 'c', 'a']) t.add({ id: '7', member, item: member });
    expect(t.entries.map((e) => e.member)).toEqual(['c', 'b', 'a']);
    expect(t.removeMember('b')).toBe(true);
    expect(t.entries.map((e) => e.member)).toEqual(['c', 'a']);
    expect(t.entriesWithId('7').map((e) => e.member)).toEqual(['c', 'a']);
  });

  it('pages with inclusive and exclusive bounds in both orders', () => {
    const t = timeline(['1', '2', '3', '4', '5', '6']);
    const ids = (entries: Array<{ id: string }>) => entries.map((e) => e.id);
    expect(ids(t.page({}, 'desc', 0, 2))).toEqual(['6', '5']);
    expect(ids(t.page({ lt: '5' }, 'desc', 0, null))).toEqual(['4', '3', '2', '1']);
    expect(ids(t.page({ lte: '5', gt: '2' }, 'desc', 1, null))).toEqual(['4', '3']);
    expect(ids(t.page({ gte: '2', lt: '5' }, 'asc', 0, 2))).toEqual(['2', '3']);
    expect(ids(t.page({ gte: '2', lt: '5' }, 'asc', 2, 5))).toEqual(['4']);
    expect(ids(t.page({ gt: '6' }, 'desc', 0, null))).toEqual([]);
    expect(ids(t.page({ gt: '4', lt: '3' }, 'asc', 0, null))).toEqual([]);
    expect(ids(t.page({}, 'desc', 10, 5))).toEqual([]);
  });

  it('trims the oldest and finds positions', () => {
    const t = timeline(['1', '2', '3', '4']);
    expect(t.indexOfId('3')).toBe(1);
    expect(t.indexOfId('9')).toBe(-1);
    expect(t.trim(2)).toBe(2);
    expect(t.entries.map((e) => e.id)).toEqual(['4', '3']);
    expect(t.byMember.has('1')).toBe(false);
    expect(t.trim(5)).toBe(0);
  });
});
