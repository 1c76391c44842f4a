import { Activity, Love } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { compareBytes } from './ties.js';
import { compareDecimal } from './ids.js';
import { digits, random } from '../test/ids.js';
import { MAX_COMPACT_ID_LENGTH, compactBoundScore, compactScore } from './layout.js';

function randomId(next: () => number): string {
  const length = 1 + Math.floor(next() * (next() < 0.8 ? 50 : MAX_COMPACT_ID_LENGTH));
  return length === 1
    ? digits(next, 1)
    : String(1 + Math.floor(next() * 9)) + digits(next, length - 1);
}

describe('compact scores', () => {
  it('are the activity time in ms for default-scheme ids, and integers Redis keeps exactly', () => {
    const time = Date.UTC(2024, 0, 1, 12, 30, 15, 123);
    const activity = new Activity({ actor: 7, verb: Love, object: 42, time });
    expect(activity.serializationId).toHaveLength(46);
    expect(compactScore(activity.serializationId)).toBe(String(time));
    const sf = activity.withIdScheme('stream-framework').serializationId;
    expect(compactScore(sf)).toBe(String(time - 180e12));
    for (const id of ['0', '5', '1'.repeat(13), '9'.repeat(MAX_COMPACT_ID_LENGTH)]) {
      expect(Number.isSafeInteger(Number(compactScore(id)))).toBe(true);
    }
  });

  it('order like the ids, and tie only for equal-length ids (which Redis orders by member)', () => {
    const next = random(15);
    const ids = [
      ...Array.from({ length: 3000 }, () => randomId(next)),
      // the length boundaries around the 13 digits of milliseconds
      '9999999999999',
      '1000000000000',
      '999999999999',
      '10000000000000',
      '99999999999999',
      '0',
      '1',
      // ties: default-scheme and Stream Framework-scheme ids of the same millisecond
      ...Array.from(
        { length: 400 },
        (_, i) => `170406720000${i % 2}${digits(next, i < 200 ? 33 : 13)}`,
      ),
    ];
    const byId = [...new Set(ids)].sort(compareDecimal);
    // Redis' order: by score, then by member bytes
    const byScore = [...byId].sort((a, b) => {
      const sa = Number(compactScore(a));
      const sb = Number(compactScore(b));
      return sa !== sb ? sa - sb : compareBytes(a, b);
    });
    expect(byScore).toEqual(byId);
    let ties = 0;
    for (let i = 1; i < byId.length; i++) {
      const [a, b] = [byId[i - 1]!, byId[i]!];
      if (compactScore(a) !== compactScore(b)) continue;
      ties += 1;
      expect(a.length).toBe(b.length);
    }
    expect(ties).toBeGreaterThan(350);
  });

  it('refuse ids too long to score exactly; such a bound is above every entry', () => {
    const long = '1'.repeat(MAX_COMPACT_ID_LENGTH + 1);
    expect(() => compactScore(long)).toThrow(/at most 1000 digits, got one of 1001/);
    expect(compactBoundScore(long)).toBe('+inf');
    expect(compactBoundScore('5')).toBe(compactScore('5'));
  });
});
