import { type LuaScript, isInteger } from './script.js';

export interface AddManySignature {
  keys: readonly string[];
  args: readonly [maxLength: number, ...pairs: string[]];
  /** Entries that were new, summed over all timelines. */
  reply: number;
}

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
export const addMany: LuaScript<number> = {
  name: 'sfAddManyV1',
  keys: 'n',
  expected: 'an integer',
  reply: (raw) => (isInteger(raw) ? raw : undefined),
  source: `
--@include "argv-chunks"
--@include "trim"
local maxLength = tonumber(ARGV[1])
local added = 0
for i = 1, #KEYS do
  local key = KEYS[i]
  for from, to in argvChunks(2, #ARGV) do
    local reply = redis.pcall('ZADD', key, unpack(ARGV, from, to))
    if type(reply) == 'table' and reply.err then
      -- e.g. WRONGTYPE: name the timeline, among the many of this call
      return redis.error_reply(reply.err .. ' (key "' .. key .. '")')
    end
    added = added + reply
  end
  trim(key, maxLength)
end
return added
`,
};
