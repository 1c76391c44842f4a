import { type LuaScript, isInteger, isStringArray } from './script.js';

/**
 * Fields updated, or, when nothing was written, the fields that did not hold the value the
 * caller read, with what they hold now ('' = absent).
 */
export type UpdateActivitiesReply =
  { updated: number } | { changed: [field: string, current: string][] };

export interface UpdateActivitiesSignature {
  keys: readonly [shard: string];
  /** field, new value, value read before (the caller checked its actor), field, ... */
  args: readonly string[];
  reply: UpdateActivitiesReply;
}

/**
 * sfUpdateActivitiesV1 (update-activities-1): update in place of activities in one activity
 * hash, all or none. Every field must still hold the value the caller read (and checked: stored,
 * same actor); then each is overwritten. A field that is absent now (removed since) or holds
 * something else makes the script write nothing and return those fields with what they hold
 * ('' for absent), for the caller to check again: an update never creates an activity.
 *
 *   KEYS[1]  activity hash (one shard)
 *   ARGV     field, new value, value read, field, new value, value read, ...
 *
 * Returns the number of fields updated (an integer), or, when nothing was written, an array
 * field, current value ('' = absent), field, current value, ...
 */
export const updateActivities: LuaScript<UpdateActivitiesReply> = {
  name: 'sfUpdateActivitiesV1',
  keys: 1,
  expected: 'an integer or field/value pairs',
  reply: (raw) => {
    if (isInteger(raw)) return { updated: raw };
    if (!isStringArray(raw) || raw.length % 2 !== 0) return undefined;
    const changed: [string, string][] = [];
    for (let i = 0; i < raw.length; i += 2) changed.push([raw[i]!, raw[i + 1]!]);
    return { changed };
  },
  source: `
local key = KEYS[1]
local changed = {}
for i = 1, #ARGV, 3 do
  local current = redis.call('HGET', key, ARGV[i])
  if not current then
    changed[#changed + 1] = ARGV[i]
    changed[#changed + 1] = ''
  elseif current ~= ARGV[i + 2] then
    changed[#changed + 1] = ARGV[i]
    changed[#changed + 1] = current
  end
end
if #changed > 0 then return changed end
for i = 1, #ARGV, 3 do
  if ARGV[i + 1] ~= ARGV[i + 2] then redis.call('HSET', key, ARGV[i], ARGV[i + 1]) end
end
return #ARGV / 3
`,
};
