import { ReplyCode } from './codes.js';
import type { LuaScript } from './script.js';

export type LockReply = typeof ReplyCode.LOCK_TAKEN | typeof ReplyCode.LOCK_BUSY;

export interface LockSignature {
  keys: readonly [lock: string];
  args: readonly [token: string, ttlMs: number];
  reply: LockReply;
}

/**
 * sfLockV1 (lock-1): takes a feed's lock, and never lets a lock without an expiry block a feed.
 *
 *   KEYS[1]  lock key
 *   ARGV[1]  lock token of the caller
 *   ARGV[2]  lock ttl in ms
 *
 * Returns LOCK_TAKEN when the caller now holds the lock, LOCK_BUSY when another holder has it.
 * A lock key found without an expiry (no writer of this package or of Stream Framework leaves
 * one: a hand-made key, a crashed tool, a restore of a dump) gets the ttl now, as if it had just
 * been taken, so it frees itself after ttl ms instead of blocking the feed for ever.
 */
export const lock: LuaScript<LockReply> = {
  name: 'sfLockV1',
  keys: 1,
  expected: 'LOCK_TAKEN or LOCK_BUSY',
  reply: (raw) => (raw === ReplyCode.LOCK_TAKEN || raw === ReplyCode.LOCK_BUSY ? raw : undefined),
  source: `
--@include "codes"
if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then
  return LOCK_TAKEN
end
if redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return LOCK_BUSY
`,
};
