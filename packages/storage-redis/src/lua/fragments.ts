import { codesFragment } from './codes.js';

/** The fragments scripts include with `--@include "name"` (see include.ts). */
export const fragments: Readonly<Record<string, string>> = {
  /** The reply codes of codes.ts as locals: `LOCK_TAKEN`, `LOCK_LOST`, ... */
  codes: codesFragment,

  /**
   * `for from, to in argvChunks(first, last)`: ARGV[first..last] in runs of at most 1000, so
   * `unpack(ARGV, from, to)` stays well below Lua's unpack limit; the even run length keeps
   * score/member pairs together.
   */
  'argv-chunks': `
local function argvChunks(first, last)
  local from = first - 1000
  return function()
    from = from + 1000
    if from > last then return nil end
    return from, math.min(from + 999, last)
  end
end`,

  /** `trim(key, maxLength)`: keeps a sorted set's `maxLength` highest-ranked entries; maxLength < 0 keeps all. */
  trim: `
local function trim(key, maxLength)
  if maxLength < 0 then return end
  local size = redis.call('ZCARD', key)
  if size > maxLength then
    redis.call('ZREMRANGEBYRANK', key, 0, size - maxLength - 1)
  end
end`,
};
