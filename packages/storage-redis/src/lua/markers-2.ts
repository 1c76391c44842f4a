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
--@include "apply-markers"
local lists = { KEYS[1], KEYS[2] }
local maxLength = tonumber(ARGV[1])
local channel, feedKey = ARGV[2], ARGV[3]
local changed = applyMarkers(lists, maxLength, 4)
local unseen = redis.call('LLEN', lists[1])
local unread = redis.call('LLEN', lists[2])
if changed and channel ~= '' then
  redis.call('PUBLISH', channel, cjson.encode({ key = feedKey, unseen = unseen, unread = unread }))
end
return { unseen, unread }
`,
};
