import { type LuaScript, isInteger } from './script.js';

export interface CacheFillSignature {
  keys: readonly [timeline: string, state: string];
  args: readonly [token: string, maxLength: number, ...pairs: string[]];
  /** 1 = filled, 0 = the fill was spoiled (a write or an eviction since it began). */
  reply: number;
}

/**
 * sfCacheFillV1 (cache-fill-2): the cache tier's fill (`fill`). If the feed's cache state is
 * still the caller's fill (`l:<token>`, set by `beginFill` before it read the durable store),
 * replaces the timeline with the given entries, trims it, and marks it complete (`c:<token>`),
 * in one atomic step; otherwise writes nothing.
 *
 *   KEYS[1]  timeline sorted set
 *   KEYS[2]  its cache state (same hash slot)
 *   ARGV[1]  fill token
 *   ARGV[2]  maxLength; -1 = no trim
 *   ARGV[3..] score, member, score, member, ...
 */
export const cacheFill: LuaScript<number> = {
  name: 'sfCacheFillV1',
  keys: 2,
  expected: '0 or 1',
  reply: (raw) => (isInteger(raw) && (raw === 0 || raw === 1) ? raw : undefined),
  source: `
--@include "argv-chunks"
--@include "trim"
if redis.call('GET', KEYS[2]) ~= 'l:' .. ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
for from, to in argvChunks(3, #ARGV) do
  redis.call('ZADD', KEYS[1], unpack(ARGV, from, to))
end
trim(KEYS[1], tonumber(ARGV[2]))
redis.call('SET', KEYS[2], 'c:' .. ARGV[1])
return 1
`,
};
