import { describe, expect, it } from 'vitest';
import { Activity } from './activity.js';
import { InvalidActivityError } from './errors.js';
import { fnv1a64 } from './ref-hash.js';
import { compareSerializationIds } from './serialization-id.js';
import { Add, Love } from './verb.js';

const T = Date.UTC(2024, 0, 1);
const UUID = '3f2b8c1e-9a4d-4c6b-8f0e-1d2c3b4a5e6f';

describe('FNV-1a 64 stand-ins (issue 16)', () => {
  it('matches the published FNV-1a 64 vectors, over UTF-8 bytes', () => {
    expect(fnv1a64('').toString(16)).toBe('cbf29ce484222325');
    expect(fnv1a64('a').toString(16)).toBe('af63dc4c8601ec8c');
    expect(fnv1a64('foobar').toString(16)).toBe('85944171f73967e8');
    // 'é' is two UTF-8 bytes (c3 a9), not one UTF-16 unit
    let reference = 0xcbf29ce484222325n;
    for (const byte of [0xc3, 0xa9]) {
      reference = BigInt.asUintN(64, (reference ^ BigInt(byte)) * 0x100000001b3n);
    }
    expect(fnv1a64('é')).toBe(reference);
  });
});

describe('string and 64-bit ids (issue 16)', () => {
  it('keeps string actors, objects and targets exactly, with a 46-digit id', () => {
    const activity = new Activity({
      actor: 'user-alice',
      verb: Love,
      object: UUID,
      target: { id: 'board:cats' },
      time: T,
    });
    expect(activity.actorId).toBe('user-alice');
    expect(activity.objectId).toBe(UUID);
    expect(activity.targetId).toBe('board:cats');
    expect(activity.serializationId).toMatch(/^1704067200000[0-9]{10}003[0-9]{20}$/);
    // deterministic: the same fields give the same id
    expect(
      new Activity({ actor: 'user-alice', verb: Love, object: UUID, time: T }).serializationId,
    ).toBe(activity.serializationId);
    // a string actor's stand-in is above every unsigned 64-bit id: never a numeric actor's
    expect(BigInt(activity.serializationId.slice(-20))).toBeGreaterThanOrEqual(1n << 64n);
  });

  it('keeps a string "5" apart from the number 5 and object snowflakes exact', () => {
    const text = new Activity({ actor: 1, verb: Love, object: '5', time: T });
    const number = new Activity({ actor: 1, verb: Love, object: 5, time: T });
    expect(text.objectId).toBe('5');
    expect(text.serializationId).not.toBe(number.serializationId);
    const snowflake = 1790000000000000001n;
    const big = new Activity({ actor: snowflake, verb: Love, object: snowflake, time: T });
    expect(big.objectId).toBe(snowflake);
    expect(big.actorId).toBe(snowflake);
  });

  it('orders string-id activities by time like every other', () => {
    const older = new Activity({ actor: 'a', verb: Love, object: 'zzz', time: T });
    const newer = new Activity({ actor: 1, verb: Love, object: 1, time: T + 1 });
    expect(compareSerializationIds(older.serializationId, newer.serializationId)).toBe(-1);
  });

  it('refuses empty, too long and ill-formed strings', () => {
    expect(() => new Activity({ actor: '', verb: Love, object: 1 })).toThrow(InvalidActivityError);
    expect(() => new Activity({ actor: 1, verb: Love, object: 'x'.repeat(257) })).toThrow(
      /activity object must be a non-negative integer id or a string of 1 to 256 characters/,
    );
    expect(() => new Activity({ actor: 1, verb: Love, object: 1, target: '\uDC00' })).toThrow(
      InvalidActivityError,
    );
  });
});

describe('foreign ids (issue 16)', () => {
  it('makes the id from (time, foreignId) alone, so a re-add is the same activity', () => {
    const first = new Activity({ actor: 1, verb: Add, object: 123, time: T, foreignId: 'pin:123' });
    const again = new Activity({ actor: 1, verb: Love, object: 9, time: T, foreignId: 'pin:123' });
    const later = new Activity({
      actor: 1,
      verb: Add,
      object: 123,
      time: T + 1,
      foreignId: 'pin:123',
    });
    const other = new Activity({ actor: 1, verb: Add, object: 123, time: T, foreignId: 'pin:124' });
    expect(first.foreignId).toBe('pin:123');
    expect(again.serializationId).toBe(first.serializationId);
    expect(later.serializationId).not.toBe(first.serializationId);
    expect(other.serializationId).not.toBe(first.serializationId);
    expect(first.serializationId).toMatch(/^17040672000000000000000000[0-9]{20}$/);
  });

  it('keeps the Stream Framework id in the stream-framework scheme, and survives withIdScheme', () => {
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 42,
      time: T,
      foreignId: 'pin:42',
    });
    const python = activity.withIdScheme('stream-framework');
    expect(python.serializationId).toBe('17040672000000000000042003');
    expect(python.foreignId).toBe('pin:42');
    expect(python.withIdScheme('actor').serializationId).toBe(activity.serializationId);
  });

  it('refuses a foreign id that is not a non-empty string', () => {
    expect(
      () => new Activity({ actor: 1, verb: Love, object: 1, foreignId: 5 as unknown as string }),
    ).toThrow(/activity foreignId must be a string/);
    expect(() => new Activity({ actor: 1, verb: Love, object: 1, foreignId: '' })).toThrow(
      InvalidActivityError,
    );
    expect(new Activity({ actor: 1, verb: Love, object: 1, foreignId: null }).foreignId).toBeNull();
  });
});
