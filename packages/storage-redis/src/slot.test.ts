import { describe, expect, it } from 'vitest';
import { hashTagOf, keySlot } from './slot.js';

describe('keySlot', () => {
  it('matches Redis CLUSTER KEYSLOT', () => {
    // Values from `redis-cli cluster keyslot <key>` on Redis 7.0.
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('user1000')).toBe(3443);
    expect(keySlot('{user1000}.following')).toBe(3443);
    expect(keySlot('a{}b')).toBe(13694);
    expect(keySlot('feed:normal:21')).toBe(14831);
    expect(keySlot('café{☃}')).toBe(16120);
    expect(keySlot('☃')).toBe(16120);
  });

  it('hashes only the first non-empty {...} section', () => {
    expect(hashTagOf('list:{notification_feed:21}:unseen')).toBe('notification_feed:21');
    expect(hashTagOf('{a}{b}')).toBe('a');
    expect(hashTagOf('{}{b}')).toBeNull();
    expect(hashTagOf('a{b')).toBeNull();
    expect(hashTagOf('plain')).toBeNull();
    expect(keySlot('list:{notification_feed:21}:unseen')).toBe(keySlot('notification_feed:21'));
    expect(keySlot('{feed:aggregated:21}:lock')).toBe(keySlot('feed:aggregated:21'));
  });
});
