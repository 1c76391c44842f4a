import { ReplyCode } from './codes.js';
import type { LuaScript } from './script.js';

export type UnlockReply = typeof ReplyCode.UNLOCKED | typeof ReplyCode.NOT_LOCK_OWNER;

export interface UnlockSignature {
  keys: readonly [lock: string];
  args: readonly [token: string];
  reply: UnlockReply;
}

/**
 * sfUnlockV1 (unlock-1): releases a lock only if the caller still holds it.
 *
 *   KEYS[1]  lock key
 *   ARGV[1]  lock token of the caller
 *
 * Returns UNLOCKED when released, NOT_LOCK_OWNER when the lock was not (or no longer) the caller's.
 */
export const unlock: LuaScript<UnlockReply> = {
  name: 'sfUnlockV1',
  keys: 1,
  expected: 'UNLOCKED or NOT_LOCK_OWNER',
  reply: (raw) =>
    raw === ReplyCode.UNLOCKED || raw === ReplyCode.NOT_LOCK_OWNER ? raw : undefined,
  source: `
--@include "codes"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return UNLOCKED
end
return NOT_LOCK_OWNER
`,
};
