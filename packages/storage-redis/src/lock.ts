import { randomBytes } from 'node:crypto';
import type { RedisStorageContext } from './context.js';
import { ReplyCode, lockError } from './lua/codes.js';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Takes the lock of a feed: `SET lock token PX ttl NX` (`sfLockV1`, which also gives a lock key
 * found without an expiry the ttl, so it cannot block the feed for ever), retried with jittered
 * exponential backoff until `acquireTimeout`. Returns the token that proves ownership.
 */
export async function acquireLock(context: RedisStorageContext, lockKey: string): Promise<string> {
  const { ttl, acquireTimeout, retryDelay, maxRetryDelay } = context.lock;
  const token = randomBytes(12).toString('base64url');
  const deadline = Date.now() + acquireTimeout;
  let delay = retryDelay;
  for (;;) {
    const reply = await context.runner.script(
      { operation: 'timeline.modify (lock)', key: lockKey },
      'lock',
      [lockKey],
      [token, ttl],
    );
    if (reply === ReplyCode.LOCK_TAKEN) return token;
    const left = deadline - Date.now();
    if (left <= 0) throw lockError(reply, lockKey, context.lock);
    await sleep(Math.min(left, Math.max(1, Math.round(delay * (0.5 + Math.random())))));
    delay = Math.min(maxRetryDelay, delay * 2);
  }
}

/** Releases a lock if it is still ours; never throws (the lock expires anyway). */
export async function releaseLock(
  context: RedisStorageContext,
  lockKey: string,
  token: string,
): Promise<void> {
  try {
    await context.runner.script(
      { operation: 'timeline.modify (unlock)', key: lockKey },
      'unlock',
      [lockKey],
      [token],
    );
  } catch {
    // Redis is unreachable: the lock expires after its ttl.
  }
}
