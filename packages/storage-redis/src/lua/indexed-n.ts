import { type LuaScript, isInteger } from './script.js';

export type IndexedOperation = 'add' | 'remove' | 'trim' | 'delete';

export interface IndexedSignature {
  keys: readonly string[];
  /** op, maxLength, one index base per key, then the operation's items. */
  args: readonly [op: IndexedOperation, maxLength: number, ...rest: (string | number)[]];
  /** Entries added (add) or removed (remove, trim, delete), summed over all timelines. */
  reply: number;
}

/**
 * sfIndexedV1 (indexed-n): writes of flat timelines that keep indexes (`index: { verb, field }`),
 * the timeline and its indexes changed together in one atomic call.
 *
 * A timeline `T` with index base `B` (`{T}:sfidx:` in a cluster, so in T's slot; `T:sfidx:` on
 * one node) has:
 *   B..'values'  hash: member -> JSON array of the index suffixes it is in (`["v:3","f:b1","vf:3:b1"]`)
 *   B..suffix    sorted set per indexed value: the same scores and members as T
 *   B..'counts'  hash: suffix -> entries in that index (fields at 0 are deleted)
 *
 *   KEYS[1..n]      timeline sorted sets
 *   ARGV[1]         'add' | 'remove' | 'trim' | 'delete'
 *   ARGV[2]         maxLength: after 'add' or for 'trim', keep the newest maxLength; -1 = no trim
 *   ARGV[3..n+2]    the index base of each key
 *   add:    then score, member, suffixes (JSON array, or '' for none), ...
 *   remove: then members
 *
 * Every entry leaving T (removal, trim, delete) leaves its indexes and counts in the same call.
 */
export const indexed: LuaScript<number> = {
  name: 'sfIndexedV1',
  keys: 'n',
  expected: 'an integer',
  reply: (raw) => (isInteger(raw) ? raw : undefined),
  source: `
local op = ARGV[1]
local maxLength = tonumber(ARGV[2])
local n = #KEYS
local first = n + 3
local total = 0

local function drop(key, base, members)
  local removed = 0
  local values, counts = base .. 'values', base .. 'counts'
  for _, member in ipairs(members) do
    local gone = redis.call('ZREM', key, member)
    removed = removed + gone
    local encoded = redis.call('HGET', values, member)
    if encoded then
      for _, suffix in ipairs(cjson.decode(encoded)) do
        if redis.call('ZREM', base .. suffix, member) > 0 then
          if redis.call('HINCRBY', counts, suffix, -1) <= 0 then redis.call('HDEL', counts, suffix) end
        end
      end
      redis.call('HDEL', values, member)
    end
  end
  return removed
end

local function trim(key, base, keep)
  if keep < 0 then return 0 end
  local size = redis.call('ZCARD', key)
  if size <= keep then return 0 end
  return drop(key, base, redis.call('ZRANGE', key, 0, size - keep - 1))
end

for i = 1, n do
  local key, base = KEYS[i], ARGV[i + 2]
  if op == 'add' then
    for j = first, #ARGV, 3 do
      local score, member, suffixes = ARGV[j], ARGV[j + 1], ARGV[j + 2]
      local reply = redis.pcall('ZADD', key, score, member)
      if type(reply) == 'table' and reply.err then
        return redis.error_reply(reply.err .. ' (key "' .. key .. '")')
      end
      if reply == 1 then
        total = total + 1
        if suffixes ~= '' then
          redis.call('HSET', base .. 'values', member, suffixes)
          for _, suffix in ipairs(cjson.decode(suffixes)) do
            redis.call('ZADD', base .. suffix, score, member)
            redis.call('HINCRBY', base .. 'counts', suffix, 1)
          end
        end
      end
    end
    trim(key, base, maxLength)
  elseif op == 'remove' then
    total = total + drop(key, base, { unpack(ARGV, first, #ARGV) })
  elseif op == 'trim' then
    total = total + trim(key, base, maxLength)
  elseif op == 'delete' then
    for _, suffix in ipairs(redis.call('HKEYS', base .. 'counts')) do
      redis.call('DEL', base .. suffix)
    end
    total = total + redis.call('ZCARD', key)
    redis.call('DEL', key, base .. 'values', base .. 'counts')
  else
    return redis.error_reply('sfIndexedV1: unknown operation ' .. tostring(op))
  end
end
return total
`,
};
