import { describe, expect, it } from 'vitest';
import { InvalidActivityError } from '@sf/activity';
import { formatFeedKey, userIdFromKey, validateKeyFormat, validateUserId } from './keys.js';
import { toIdFilter, toOrder, validatePage } from './query.js';

describe('feed keys', () => {
  it('fills {userId} and Stream Framework %(user_id)s formats', () => {
    expect(formatFeedKey('feed:normal:{userId}', 21)).toBe('feed:normal:21');
    expect(formatFeedKey('feed_%(user_id)s', 42)).toBe('feed_42');
    expect(formatFeedKey('{sf}:feed:{userId}', 'abc-1')).toBe('{sf}:feed:abc-1');
  });

  it('validates user ids', () => {
    expect(validateUserId(0)).toBe(0);
    expect(validateUserId('u_1.2:3-4')).toBe('u_1.2:3-4');
    for (const bad of [-1, 0.5, Number.MAX_SAFE_INTEGER + 1, '', ' ', 'a/b', 'a*', '{x}', 'x'.repeat(129), undefined, null, true]) {
      expect(() => validateUserId(bad)).toThrow(InvalidActivityError);
    }
  });

  it('validates key formats', () => {
    expect(validateKeyFormat('a:{userId}')).toBe('a:{userId}');
    expect(() => validateKeyFormat('a:b')).toThrow(/exactly once/);
    expect(() => validateKeyFormat('{userId}{userId}')).toThrow(/exactly once/);
    expect(() => validateKeyFormat('')).toThrow(/non-empty string/);
    expect(() => validateKeyFormat(5)).toThrow(/non-empty string/);
  });

  it('recovers the user id from a key', () => {
    expect(userIdFromKey('notification_feed:{userId}', 'notification_feed:33')).toBe('33');
    expect(userIdFromKey('n:{userId}:x', 'n:7:x')).toBe('7');
    expect(userIdFromKey('n:{userId}:x', 'n::x')).toBeUndefined();
    expect(userIdFromKey('n:{userId}', 'other:7')).toBeUndefined();
  });
});

describe('queries', () => {
  it('builds exact id filters that combine', () => {
    const first = toIdFilter({}, { activityIdLt: '13732667551230000000042003' });
    expect(first).toEqual({ lt: '13732667551230000000042003' });
    expect(toIdFilter(first, { activityIdGte: 5n })).toEqual({ lt: '13732667551230000000042003', gte: '5' });
    expect(toIdFilter(first, { activityIdLt: '7' })).toEqual({ lt: '7' });
    expect(() => toIdFilter({}, { activityIdLt: '-1' })).toThrow(InvalidActivityError);
    expect(() => toIdFilter({}, { activityIdLt: 1.5 as never })).toThrow(InvalidActivityError);
    expect(() => toIdFilter({}, { since: '1' } as never)).toThrow(/unknown filter "since"/);
  });

  it('maps orderings and validates pages', () => {
    expect(toOrder('-activity_id')).toBe('desc');
    expect(toOrder('activity_id')).toBe('asc');
    expect(() => toOrder('-time' as never)).toThrow(/unknown ordering/);
    expect(validatePage()).toEqual({ offset: 0, limit: null });
    expect(validatePage({ offset: 5, limit: 10 })).toEqual({ offset: 5, limit: 10 });
    expect(() => validatePage({ offset: -1 })).toThrow(/negative indexing/);
    expect(() => validatePage({ limit: -1 })).toThrow(/limit must be/);
  });
});
