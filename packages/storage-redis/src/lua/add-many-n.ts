/**
 * sfAddManyV1 (add-many-n): adds the same entries to every timeline given in KEYS and trims each
 * to its newest `maxLength` entries, in one atomic call. The fanout's hot path: one call per
 * chunk of feeds (per hash slot in a cluster) instead of one round trip per feed.
 *
 *   KEYS[1..n]  timeline sorted sets
 *   ARGV[1]     maxLength: keep the `maxLength` highest-ranked entries; -1 = no trim
 *   ARGV[2..]   score, member, score, member, ...
 *
 * Returns the number of entries that were new, summed over all timelines. A timeline that is not
 * a sorted set stops the call with its error naming the key (timelines before it were written).
 */
export const addMany = {
  name: 'sfAddManyV1',
  lua: `
local maxLength = tonumber(ARGV[1])
local last = #ARGV
local added = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  -- 1000 arguments (500 pairs) per ZADD stays well below Lua's unpack limit
  for first = 2, last, 1000 do
    local reply = redis.pcall('ZADD', key, unpack(ARGV, first, math.min(first + 999, last)))
    if type(reply) == 'table' and reply.err then
      -- e.g. WRONGTYPE: name the timeline, among the many of this call
      return redis.error_reply(reply.err .. ' (key "' .. key .. '")')
    end
    added = added + reply
  end
  if maxLength >= 0 then
    local size = redis.call('ZCARD', key)
    if size > maxLength then
      redis.call('ZREMRANGEBYRANK', key, 0, size - maxLength - 1)
    end
  end
end
return added
`,
} as const;
