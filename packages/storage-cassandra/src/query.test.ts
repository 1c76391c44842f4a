import { describe, expect, it } from 'vitest';
import { idRange, rangeCql, sliceCql, sortDescending } from './query.js';

const big = '13732667551230000000042003';
const bigger = '13732667551230000000042004';

describe('id ranges', () => {
  it('folds both bounds of each side into the tightest one, comparing exact ids', () => {
    expect(idRange({ gte: big, gt: big })).toEqual({
      lower: { id: big, inclusive: false },
      upper: undefined,
      empty: false,
    });
    expect(idRange({ gte: bigger, gt: big })).toEqual({
      lower: { id: bigger, inclusive: true },
      upper: undefined,
      empty: false,
    });
    expect(idRange({ lte: big, lt: bigger })).toEqual({
      lower: undefined,
      upper: { id: big, inclusive: true },
      empty: false,
    });
    expect(idRange({ lt: '99', lte: '100' }).upper).toEqual({ id: '99', inclusive: false });
  });

  it('adds the paging bound to the filter', () => {
    expect(idRange({ lt: bigger }, { upper: { id: big, inclusive: true } }).upper).toEqual({
      id: big,
      inclusive: true,
    });
    expect(idRange({ lt: big }, { upper: { id: bigger, inclusive: true } }).upper).toEqual({
      id: big,
      inclusive: false,
    });
    expect(idRange({ gt: '5' }, { lower: { id: '7', inclusive: true } }).lower).toEqual({
      id: '7',
      inclusive: true,
    });
  });

  it('knows when nothing can match', () => {
    expect(idRange({ gt: bigger, lt: big }).empty).toBe(true);
    expect(idRange({ gt: big, lte: big }).empty).toBe(true);
    expect(idRange({ gte: big, lte: big }).empty).toBe(false);
    expect(idRange({}).empty).toBe(false);
  });

  it('writes the restrictions and the slice query', () => {
    expect(rangeCql(idRange({ gte: '1', lt: '9' }))).toEqual({
      cql: ' AND activity_id >= ? AND activity_id < ?',
      params: ['1', '9'],
    });
    expect(sliceCql('"ks"."t"', 'activity_id', idRange({ gt: '3' }), 'asc', true)).toEqual({
      cql: 'SELECT activity_id FROM "ks"."t" WHERE feed_id = ? AND activity_id > ? ORDER BY activity_id ASC LIMIT ?',
      params: ['3'],
    });
    expect(sliceCql('"ks"."t"', 'a, b', idRange({}), 'desc', false).cql).toBe(
      'SELECT a, b FROM "ks"."t" WHERE feed_id = ? ORDER BY activity_id DESC',
    );
  });

  it('sorts ids newest first beyond the precision of doubles', () => {
    expect(sortDescending(['9', bigger, big, '10'])).toEqual([bigger, big, '10', '9']);
  });
});
