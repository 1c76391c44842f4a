import { describe, expect, it } from 'vitest';
import { InvalidActivityError, InvalidArgumentError } from '@sf/activity';
import { InvalidFeedOptionError, InvalidQueryError } from './errors.js';
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
    for (const bad of [
      -1,
      0.5,
      Number.MAX_SAFE_INTEGER + 1,
      '',
      ' ',
      'a/b',
      'a*',
      '{x}',
      'x'.repeat(129),
      undefined,
      null,
      true,
    ]) {
      // A feed owner id is not an activity's field: an InvalidArgumentError naming `userId`.
      expect(() => validateUserId(bad)).toThrow(InvalidArgumentError);
      expect(() => validateUserId(bad)).toThrow(
        /^a feed owner id must be a non-negative integer or a token of letters, digits and _\.:- \(max 128\), got /,
      );
      const error = thrown(() => validateUserId(bad));
      expect(error).not.toBeInstanceOf(InvalidActivityError);
      expect([error.code, error.path, error.value]).toEqual(['SF_INVALID_ARGUMENT', 'userId', bad]);
    }
  });

  it('validates key formats', () => {
    expect(validateKeyFormat('a:{userId}')).toBe('a:{userId}');
    expect(() => validateKeyFormat('a:b')).toThrow(/exactly once/);
    expect(() => validateKeyFormat('{userId}{userId}')).toThrow(/exactly once/);
    expect(() => validateKeyFormat('')).toThrow(/non-empty string/);
    expect(() => validateKeyFormat(5)).toThrow(/non-empty string/);
    const error = thrown(() => validateKeyFormat('a:b', 'options.markersKeyFormat'));
    expect(error).toBeInstanceOf(InvalidFeedOptionError);
    expect([error.code, error.path, error.value]).toEqual([
      'SF_INVALID_FEED_OPTION',
      'options.markersKeyFormat',
      'a:b',
    ]);
    expect(thrown(() => validateKeyFormat(5)).path).toBe('options.keyFormat');
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
    expect(toIdFilter(first, { activityIdGte: 5n })).toEqual({
      lt: '13732667551230000000042003',
      gte: '5',
    });
    expect(toIdFilter(first, { activityIdLt: '7' })).toEqual({ lt: '7' });
    // A bad bound is a bad query (the activity id error is its cause), with the same message.
    expect(() => toIdFilter({}, { activityIdLt: '-1' })).toThrow(InvalidQueryError);
    expect(() => toIdFilter({}, { activityIdLt: '-1' })).toThrow(
      'an activity id must be a non-negative integer as a decimal string or bigint, got string -1',
    );
    expect(() => toIdFilter({}, { activityIdLt: 1.5 as never })).toThrow(InvalidQueryError);
    expect(() => toIdFilter({}, { activityIdLt: 1.5 as never })).toThrow(
      /^an activity id must be a non-negative integer/,
    );
    const bound = thrown(() => toIdFilter({}, { activityIdLt: '-1' }));
    expect([bound.code, bound.path, bound.value]).toEqual([
      'SF_INVALID_QUERY',
      'filter.activityIdLt',
      '-1',
    ]);
    expect(bound.cause).toBeInstanceOf(InvalidActivityError);
    expect(() => toIdFilter({}, { since: '1' } as never)).toThrow(/unknown filter "since"/);
    expect(thrown(() => toIdFilter({}, { since: '1' } as never)).path).toBe('filter.since');
    expect(thrown(() => toIdFilter({}, null as never)).path).toBe('filter');
  });

  it('maps orderings and validates pages', () => {
    expect(toOrder('-activity_id')).toBe('desc');
    expect(toOrder('activity_id')).toBe('asc');
    expect(() => toOrder('-time' as never)).toThrow(/unknown ordering/);
    expect(validatePage()).toEqual({ offset: 0, limit: null });
    expect(validatePage({ offset: 5, limit: 10 })).toEqual({ offset: 5, limit: 10 });
    expect(() => validatePage({ offset: -1 })).toThrow(/negative indexing/);
    expect(() => validatePage({ limit: -1 })).toThrow(/limit must be/);
    for (const [run, path, value] of [
      [() => toOrder('-time' as never), 'ordering', '-time'],
      [() => validatePage({ offset: -1 }), 'query.offset', -1],
      [() => validatePage({ limit: 1.5 }), 'query.limit', 1.5],
    ] as const) {
      const error = thrown(run);
      expect(error).toBeInstanceOf(InvalidQueryError);
      expect([error.code, error.path, error.value]).toEqual(['SF_INVALID_QUERY', path, value]);
    }
  });
});

function thrown(run: () => unknown): InvalidArgumentError {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidArgumentError) return error;
    throw error;
  }
  throw new Error('expected an InvalidArgumentError');
}
