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
--@include "add-trimmed"
local maxLength = tonumber(ARGV[1])
local added = 0
for i = 1, #KEYS do
  local count, failed = addTrimmed(KEYS[i], 2, maxLength)
  if failed then return failed end
  added = added + count
end
return added
`,
};
