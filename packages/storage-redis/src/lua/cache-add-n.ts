import { type LuaScript, isInteger } from './script.js';

export interface CacheAddSignature {
  /** timeline, state, timeline, state, ... */
  keys: readonly string[];
  args: readonly [maxLength: number, ...pairs: string[]];
  /** Entries that were new, summed over the timelines written. */
  reply: number;
}

/**
 * sfCacheAddV1 (cache-add-n): the cache tier's fanout write (`addToCached`). For each feed given
 * in KEYS as a (timeline, cache state) pair: when the state says the feed is complete in the
 * cache (`c:<token>`), adds the entries and trims, as sfAddManyV1; when a fill is in progress
 * (`l:<token>`), deletes the state, spoiling that fill (it read the durable store before this
 * write); when there is no state (flushed, evicted, never filled), writes nothing, so a lost feed
 * never comes back as a partial one. The check and the write are one atomic step per feed.
 *
 *   KEYS[2i-1]  timeline sorted set
 *   KEYS[2i]    its cache state (same hash slot: see keys.ts)
 *   ARGV[1]     maxLength: keep the `maxLength` highest-ranked entries; -1 = no trim
 *   ARGV[2..]   score, member, score, member, ...
 */
export const cacheAdd: LuaScript<number> = {
  name: 'sfCacheAddV1',
  keys: 'n',
  expected: 'an integer',
  reply: (raw) => (isInteger(raw) ? raw : undefined),
  source: `
--@include "argv-chunks"
--@include "trim"
--@include "add-trimmed"
local maxLength = tonumber(ARGV[1])
local added = 0
for i = 1, #KEYS, 2 do
  local state = redis.call('GET', KEYS[i + 1])
  if state and string.sub(state, 1, 2) == 'c:' then
    local count, failed = addTrimmed(KEYS[i], 2, maxLength)
    if failed then return failed end
    added = added + count
  elseif state then
    redis.call('DEL', KEYS[i + 1])
  end
end
return added
`,
};
