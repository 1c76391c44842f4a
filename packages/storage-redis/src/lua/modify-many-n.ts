import type { MarkerCounts } from '@sf/feeds';
import { type LuaScript, isInteger } from './script.js';

/** What `sfModifyManyV1` did to one feed. */
export type ModifyManyOutcome = 'changed' | 'locked' | 'written' | MarkerCounts;

export interface ModifyManySignature {
  /** Per feed, `stride` keys: timeline, version, lock (then unseen, unread when stride is 5). */
  keys: readonly string[];
  /** Then one block per feed, each starting with its own length (see the script). */
  args: readonly [
    maxLength: number,
    stride: 3 | 5,
    channel: string,
    ...blocks: (string | number)[],
  ];
  /** One outcome per feed, in KEYS order. */
  reply: ModifyManyOutcome[];
}

function outcome(raw: unknown): ModifyManyOutcome | undefined {
  if (raw === 0) return 'changed';
  if (raw === 2) return 'locked';
  if (raw === 1) return 'written';
  if (Array.isArray(raw) && raw.length === 2 && isInteger(raw[0]) && isInteger(raw[1]))
    return { unseen: raw[0], unread: raw[1] };
  return undefined;
}

/**
 * sfModifyManyV1 (modify-many-n): the write of a batched read-modify-write of many aggregated or
 * notification feeds (`modifyMany`, the aggregated fanout). Each feed's change is applied only if
 * the feed is unchanged since the caller read it: its version counter still holds the value read
 * before the read, and no `modify` holds its lock (a locked writer may have read it already).
 * Every write, here and in sfCommitV2, increments the version.
 *
 *   KEYS      per feed, `stride` keys: timeline, version, lock [, unseen list, unread list]
 *             (one hash slot per call on a cluster)
 *   ARGV[1]   maxLength: keep each timeline's `maxLength` highest-ranked entries; -1 = no trim
 *   ARGV[2]   stride: 3, or 5 when every feed also updates its marker lists
 *   ARGV[3]   pub/sub channel for marker counts ('' = do not publish)
 *   then one block per feed: its length (the items after it), then
 *     expected version ('' = no version key yet, '*' = not checked: the caller read nothing),
 *     r, r members to remove (exact raw members as read), a, a/2 score, member pairs to add,
 *     and with stride 5: markers key (for the published event), markers maxLength, then the
 *     `apply-markers` arguments (two clear flags, four counted id groups).
 *
 * Returns one outcome per feed: 0 = changed since the read, nothing written; 2 = a `modify`
 * holds its lock, nothing written; 1 = written;
 * {unseen, unread} = written, with the marker counts after it (stride 5; published on change as
 * sfMarkersV1 does).
 */
export const modifyMany: LuaScript<ModifyManyOutcome[]> = {
  name: 'sfModifyManyV1',
  keys: 'n',
  expected: 'one outcome per feed (0, 1, 2 or [unseen, unread])',
  reply: (raw) => {
    if (!Array.isArray(raw)) return undefined;
    const outcomes: ModifyManyOutcome[] = [];
    for (const item of raw) {
      const value = outcome(item);
      if (value === undefined) return undefined;
      outcomes.push(value);
    }
    return outcomes;
  },
  source: `
--@include "argv-chunks"
--@include "trim"
--@include "apply-markers"
local maxLength = tonumber(ARGV[1])
local stride = tonumber(ARGV[2])
local channel = ARGV[3]
local replies = {}
local position = 4
for feed = 1, #KEYS / stride do
  local base = (feed - 1) * stride
  local key, version, lock = KEYS[base + 1], KEYS[base + 2], KEYS[base + 3]
  local after = position + 1 + tonumber(ARGV[position])
  local expected = ARGV[position + 1]
  local current = redis.call('GET', version) or ''
  if redis.call('EXISTS', lock) == 1 then
    replies[feed] = 2
  elseif expected ~= '*' and current ~= expected then
    replies[feed] = 0
  else
    local removeFirst = position + 3
    local removeLast = removeFirst + tonumber(ARGV[position + 2]) - 1
    local addFirst = removeLast + 2
    local addLast = addFirst + tonumber(ARGV[removeLast + 1]) - 1
    for from, to in argvChunks(removeFirst, removeLast) do
      redis.call('ZREM', key, unpack(ARGV, from, to))
    end
    for from, to in argvChunks(addFirst, addLast) do
      local reply = redis.pcall('ZADD', key, unpack(ARGV, from, to))
      if type(reply) == 'table' and reply.err then
        return redis.error_reply(reply.err .. ' (key "' .. key .. '")')
      end
    end
    trim(key, maxLength)
    redis.call('INCR', version)
    replies[feed] = 1
    if stride == 5 then
      local lists = { KEYS[base + 4], KEYS[base + 5] }
      local markersKey = ARGV[addLast + 1]
      local changed = applyMarkers(lists, tonumber(ARGV[addLast + 2]), addLast + 3)
      local unseen = redis.call('LLEN', lists[1])
      local unread = redis.call('LLEN', lists[2])
      if changed and channel ~= '' then
        redis.call('PUBLISH', channel, cjson.encode({ key = markersKey, unseen = unseen, unread = unread }))
      end
      replies[feed] = { unseen, unread }
    end
  end
  position = after
end
return replies
`,
};
