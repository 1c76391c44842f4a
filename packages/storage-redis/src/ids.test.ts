import { describe, expect, it } from 'vitest';
import { InvalidActivityError } from '@sf/activity';
import { InvalidQueryError } from '@sf/feeds';
import { boundsOf, checkId, compareDecimal } from './ids.js';

describe('ids', () => {
  it('compares decimal strings as numbers', () => {
    expect(compareDecimal('9', '10')).toBe(-1);
    expect(compareDecimal('13886318456780000000500004', '13886318456780000000500003')).toBe(1);
    expect(compareDecimal('42', '42')).toBe(0);
  });

  it('refuses anything but canonical decimal ids', () => {
    for (const bad of ['', '01', '-1', '1e3', '1.5', 'inf', ' 1', 1]) {
      expect(() => checkId(bad, 'id')).toThrow(/serialization id/);
      expect(() => checkId(bad, 'id')).toThrow(InvalidActivityError);
    }
    expect(checkId('0', 'id')).toBe('0');
  });

  it('keeps the tightest bound of each side', () => {
    expect(boundsOf(undefined)).toEqual({ low: null, high: null });
    expect(boundsOf({ gte: '5', gt: '5' })).toEqual({
      low: { id: '5', inclusive: false },
      high: null,
    });
    expect(boundsOf({ gt: '5', gte: '6' })).toEqual({
      low: { id: '6', inclusive: true },
      high: null,
    });
    expect(boundsOf({ gte: '10', gt: '9' })).toEqual({
      low: { id: '10', inclusive: true },
      high: null,
    });
    expect(boundsOf({ lte: '5', lt: '5' })).toEqual({
      low: null,
      high: { id: '5', inclusive: false },
    });
    expect(boundsOf({ lt: '100', lte: '99' })).toEqual({
      low: null,
      high: { id: '99', inclusive: true },
    });
    expect(() => boundsOf({ lt: 'x' })).toThrow(/filter lt/);
    // A filter bound is part of a query: InvalidQueryError naming it, with the same message.
    expect(() => boundsOf({ lt: 'x' })).toThrow(InvalidQueryError);
    expect(() => boundsOf({ gte: '01' })).toThrow(
      'filter gte must be a serialization id (a non-negative decimal string), got "01"',
    );
    expect(() => boundsOf({ gte: '01' })).toThrow(
      expect.objectContaining({ code: 'SF_INVALID_QUERY', path: 'query.filter.gte', value: '01' }),
    );
  });
});
