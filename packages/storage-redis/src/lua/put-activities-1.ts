/**
 * sfPutActivitiesV1 (put-activities-1): stores activities in one activity hash, all or none.
 * A field may be written when it is absent, already holds the identical value, or holds the
 * value the caller read, decoded and allowed to be overwritten (same actor). If any field holds
 * something else, nothing is written and the conflicting fields are returned with what they hold,
 * for the caller to decode: another process may have stored another actor's activity under the
 * same id (Stream Framework ids have no actor).
 *
 *   KEYS[1]  activity hash (one shard)
 *   ARGV     field, value, allowed previous value ('' = none), field, value, allowed, ...
 *
 * Returns the number of fields that were new (an integer), or, when nothing was written,
 * an array field, current value, field, current value, ...
 */
export const putActivities = {
  name: 'sfPutActivitiesV1',
  lua: `
local key = KEYS[1]
local conflicts = {}
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', key, ARGV[i])
  if current and current ~= ARGV[i + 1] and (ARGV[i + 2] == '' or current ~= ARGV[i + 2]) then
    conflicts[#conflicts + 1] = ARGV[i]
    conflicts[#conflicts + 1] = current
  end
end
if #conflicts > 0 then return conflicts end
local added = 0
for i = 1, #ARGV, 3 do
  added = added + redis.call('HSET', key, ARGV[i], ARGV[i + 1])
end
return added
`,
} as const;
