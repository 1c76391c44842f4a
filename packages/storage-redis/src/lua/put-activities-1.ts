import { type LuaScript, isInteger, isStringArray } from './script.js';

/** Fields that were new, or, when nothing was written, the conflicting fields with what they hold. */
export type PutActivitiesReply =
  { added: number } | { conflicts: [field: string, current: string][] };

export interface PutActivitiesSignature {
  keys: readonly [shard: string];
  /** field, value, allowed previous value ('' = none), field, value, allowed, ... */
  args: readonly string[];
  reply: PutActivitiesReply;
}

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
export const putActivities: LuaScript<PutActivitiesReply> = {
  name: 'sfPutActivitiesV1',
  keys: 1,
  expected: 'an integer or field/value pairs',
  reply: (raw) => {
    if (isInteger(raw)) return { added: raw };
    if (!isStringArray(raw) || raw.length % 2 !== 0) return undefined;
    const conflicts: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) conflicts.push([raw[i]!, raw[i + 1]!]);
    return { conflicts };
  },
  source: `
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
};
