import type { RedisLockOptions } from '../context.js';
import { RedisLockError } from '../errors.js';

/**
 * The integer codes the scripts return, by name. The Lua side gets them as locals of the same
 * names (`--@include "codes"`), so a code is written once, here.
 */
export const ReplyCode = {
  /** sfLockV1: the caller now holds the lock. */
  LOCK_TAKEN: 1,
  /** sfLockV1: another holder has the lock. */
  LOCK_BUSY: 0,
  /** sfCommitV2: the lock is no longer the caller's (it expired); nothing was written. */
  LOCK_LOST: -1,
  /** sfUnlockV1: the caller's lock was released. */
  UNLOCKED: 1,
  /** sfUnlockV1: the lock was not (or no longer) the caller's; nothing was deleted. */
  NOT_LOCK_OWNER: 0,
} as const;

export type ReplyCodeName = keyof typeof ReplyCode;

/** The Lua fragment declaring every code as a local (`local LOCK_LOST = -1`). */
export const codesFragment = Object.entries(ReplyCode)
  .map(([name, value]) => `local ${name} = ${value}`)
  .join('\n');

/**
 * The typed error a lock code ends in once `modify` stops retrying: LOCK_BUSY until
 * `lock.acquireTimeout`, or LOCK_LOST `lock.attempts` times.
 */
export function lockError(
  code: typeof ReplyCode.LOCK_BUSY | typeof ReplyCode.LOCK_LOST,
  lockKey: string,
  lock: Required<RedisLockOptions>,
): RedisLockError {
  const key = JSON.stringify(lockKey);
  if (code === ReplyCode.LOCK_BUSY) {
    return new RedisLockError(
      lockKey,
      `could not take the lock ${key} within ${lock.acquireTimeout} ms (another writer holds it)`,
    );
  }
  return new RedisLockError(
    lockKey,
    `lost the lock ${key} ${lock.attempts} times before writing (lock.ttl ${lock.ttl} ms too short?)`,
  );
}
