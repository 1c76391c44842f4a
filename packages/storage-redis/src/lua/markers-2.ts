import type { MarkerCounts } from '@sf/feeds';
import { type LuaFlag, type LuaScript, isInteger } from './script.js';

export interface MarkersSignature {
  keys: readonly [unseen: string, unread: string];
  /** Then the four counted groups: `n, id1 .. idn` each. */
  args: readonly [
    maxLength: number,
    channel: string,
    feedKey: string,
    clearUnseen: LuaFlag,
    clearUnread: LuaFlag,
    ...groups: (string | number)[],
  ];
  reply: MarkerCounts;
}

/**
 * sfMarkersV1 (markers-2): one atomic change of a notification feed's unseen / unread lists
 * (Stream Framework's RedisListsStorage layout: lists of aggregated ids, newest last, capped),
 * returning the counts after it and publishing them when anything changed.
 *
 *   KEYS[1]  unseen list       KEYS[2]  unread list (same hash slot: see keys.ts)
 *   ARGV[1]  maxLength: each list keeps its newest `maxLength` ids (0 = no cap)
 *   ARGV[2]  pub/sub channel ('' = do not publish)
 *   ARGV[3]  the feed key reported in the published event
 *   ARGV[4]  '1' = empty the unseen list first      ARGV[5]  '1' = empty the unread list first
 *   then four counted groups, each `n, id1 .. idn`:
 *     ids to remove from unseen, ids to remove from unread, ids to add to unseen, ids to add to unread
 *   An id added to a list it is already in moves to the end (lists hold each id once).
 *
 * Returns {unseen count, unread count}. Publishes `{"key":..,"unseen":n,"unread":n}` on change.
 */
export const markers: LuaScript<MarkerCounts> = {
  name: 'sfMarkersV1',
  keys: 2,
  expected: '[unseen, unread] counts',
  reply: (raw) =>
    Array.isArray(raw) && raw.length === 2 && isInteger(raw[0]) && isInteger(raw[1])
      ? { unseen: raw[0], unread: raw[1] }
      : undefined,
  source: `
--@include "argv-chunks"
local lists = { KEYS[1], KEYS[2] }
local maxLength = tonumber(ARGV[1])
local channel, feedKey = ARGV[2], ARGV[3]
local changed = false
for i = 1, 2 do
  if ARGV[3 + i] == '1' and redis.call('DEL', lists[i]) > 0 then changed = true end
end
local position = 6
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
local unseen = redis.call('LLEN', lists[1])
local unread = redis.call('LLEN', lists[2])
if changed and channel ~= '' then
  redis.call('PUBLISH', channel, cjson.encode({ key = feedKey, unseen = unseen, unread = unread }))
end
return { unseen, unread }
`,
};
