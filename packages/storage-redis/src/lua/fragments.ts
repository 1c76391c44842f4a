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

  /**
   * `local added, failed = addTrimmed(key, first, maxLength)`: ZADDs the score/member pairs of
   * ARGV[first..] to the sorted set `key` in chunks, then trims it to `maxLength`. Returns the
   * number of entries that were new; when a ZADD fails (e.g. WRONGTYPE), returns nil and the
   * error reply naming the key, which the script returns (the timelines of this call before this
   * one stay written). sfAddManyV1 and sfCacheAddV1 write each timeline with it. Needs
   * "argv-chunks" and "trim".
   */
  'add-trimmed': `
local function addTrimmed(key, first, maxLength)
  local added = 0
  for from, to in argvChunks(first, #ARGV) do
    local reply = redis.pcall('ZADD', key, unpack(ARGV, from, to))
    if type(reply) == 'table' and reply.err then
      -- e.g. WRONGTYPE: name the timeline, among the many of this call
      return nil, redis.error_reply(reply.err .. ' (key "' .. key .. '")')
    end
    added = added + reply
  end
  trim(key, maxLength)
  return added
end`,

  /**
   * `applyMarkers(lists, maxLength, at)`: one change of a notification feed's unseen / unread
   * lists (`lists` = { unseen key, unread key }) read from ARGV at `at`: two clear flags ('1' =
   * empty the list first), then four counted groups `n, id1 .. idn` (remove from unseen, remove
   * from unread, add to unseen, add to unread). An added id moves to the newest end; each list
   * keeps its newest `maxLength` ids (0 = no cap). Returns whether anything changed. Needs
   * "argv-chunks".
   */
  'apply-markers': `
local function applyMarkers(lists, maxLength, at)
  local changed = false
  for i = 1, 2 do
    if ARGV[at + i - 1] == '1' and redis.call('DEL', lists[i]) > 0 then changed = true end
  end
  local position = at + 2
  local function group()
    local n = tonumber(ARGV[position])
    local first = position + 1
    position = position + n + 1
    return first, first + n - 1
  end
  for i = 1, 2 do
    local first, last = group()
    for j = first, last do
      if redis.call('LREM', lists[i], 0, ARGV[j]) > 0 then changed = true end
    end
  end
  for i = 1, 2 do
    local first, last = group()
    if last >= first then
      changed = true
      for j = first, last do redis.call('LREM', lists[i], 0, ARGV[j]) end
      for from, to in argvChunks(first, last) do
        redis.call('RPUSH', lists[i], unpack(ARGV, from, to))
      end
      if maxLength > 0 then redis.call('LTRIM', lists[i], -maxLength, -1) end
    end
  end
  return changed
end`,
};
