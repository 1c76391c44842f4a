/**
 * sfCommitV1 (commit-2): the write of a locked read-modify-write (`modify`). Applies the change
 * only while the caller still holds the lock, then releases it, atomically.
 *
 *   KEYS[1]  timeline sorted set
 *   KEYS[2]  its lock (same hash slot: see keys.ts)
 *   ARGV[1]  lock token of the caller
 *   ARGV[2]  maxLength: keep the `maxLength` highest-ranked entries; -1 = no trim
 *   ARGV[3]  number of members to remove, r
 *   ARGV[4 .. 3+r]      members to remove (exact raw members as read)
 *   ARGV[4+r ..]        score, member pairs to add
 *
 * Returns -1 when the lock is no longer the caller's (nothing written), else {removed, added}.
 */
export const commit = {
  name: 'sfCommitV1',
  lua: `
local key, lock = KEYS[1], KEYS[2]
if redis.call('GET', lock) ~= ARGV[1] then return -1 end
local maxLength = tonumber(ARGV[2])
local removeCount = tonumber(ARGV[3])
local lastRemove = 3 + removeCount
local last = #ARGV
local removed, added = 0, 0
for first = 4, lastRemove, 1000 do
  removed = removed + redis.call('ZREM', key, unpack(ARGV, first, math.min(first + 999, lastRemove)))
end
for first = lastRemove + 1, last, 1000 do
  added = added + redis.call('ZADD', key, unpack(ARGV, first, math.min(first + 999, last)))
end
if maxLength >= 0 then
  local size = redis.call('ZCARD', key)
  if size > maxLength then
    redis.call('ZREMRANGEBYRANK', key, 0, size - maxLength - 1)
  end
end
redis.call('DEL', lock)
return { removed, added }
`,
} as const;
