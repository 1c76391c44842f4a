/**
 * sfUnlockV1 (unlock-1): releases a lock only if the caller still holds it.
 *
 *   KEYS[1]  lock key
 *   ARGV[1]  lock token of the caller
 *
 * Returns 1 when released, 0 when the lock was not (or no longer) the caller's.
 */
export const unlock = {
  name: 'sfUnlockV1',
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`,
} as const;
