import type { TimelineOrder } from '@sf/feeds';
import { type LuaFlag, type LuaScript, isStringArray } from './script.js';

export type RangeArgs = readonly [
  order: TimelineOrder,
  idSource: 'member' | 'score',
  lowScore: string,
  lowId: string,
  lowInclusive: LuaFlag,
  highScore: string,
  highId: string,
  highInclusive: LuaFlag,
  offset: number,
  limit: number,
];

export interface RangeSignature {
  keys: readonly [timeline: string];
  args: RangeArgs;
  /** The members of the page, in the requested order. */
  reply: string[];
}

/**
 * sfRangeV1 (range-1): a page of a timeline filtered by exact serialization ids.
 *
 * A member's score orders like its id but may tie with other ids: in the Stream Framework
 * layout scores are the ids as doubles, so 26-digit ids that differ only in their last digits
 * may share a score; in the compact layout a score is an integer made from the id's length and
 * leading digits (layout.ts). Members whose score is strictly inside the bounds' scores are
 * certainly inside the bounds; members whose score EQUALS a bound's score are compared exactly (as decimal strings).
 * Members of equal score keep Redis' order (by member bytes, which is numeric order for
 * equal-length ids).
 *
 *   KEYS[1]  timeline sorted set
 *   ARGV[1]  'desc' (newest first) | 'asc'
 *   ARGV[2]  where a member's id comes from: 'member' (flat timelines: the member is the id) |
 *            'score' (aggregated timelines: ids are whole numbers the double holds exactly)
 *   ARGV[3]  low bound's score in the timeline's layout (Stream Framework's: the id itself,
 *            parsed as a double; compact: see layout.ts) or '-inf'
 *   ARGV[4]  low bound's id ('' = unbounded)        ARGV[5] '1' = inclusive (gte), '0' = gt
 *   ARGV[6]  high bound's score or '+inf'
 *   ARGV[7]  high bound's id ('' = unbounded)       ARGV[8] '1' = inclusive (lte), '0' = lt
 *   ARGV[9]  offset (entries to skip after filtering)
 *   ARGV[10] limit (-1 = all the rest)
 *
 * Returns the members of the page, in the requested order.
 */
export const range: LuaScript<string[]> = {
  name: 'sfRangeV1',
  keys: 1,
  expected: 'a list of members',
  reply: (raw) => (isStringArray(raw) ? raw : undefined),
  source: `
local key = KEYS[1]
local desc = ARGV[1] == 'desc'
local idFromScore = ARGV[2] == 'score'
local lowScore, lowId, lowInclusive = ARGV[3], ARGV[4], ARGV[5] == '1'
local highScore, highId, highInclusive = ARGV[6], ARGV[7], ARGV[8] == '1'
local skip = tonumber(ARGV[9])
local limit = tonumber(ARGV[10])
local page = {}

-- ids are non-negative decimal strings without leading zeros: shorter is smaller
local function compare(a, b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end

local function inside(id)
  if lowId ~= '' then
    local c = compare(id, lowId)
    if c < 0 or (c == 0 and not lowInclusive) then return false end
  end
  if highId ~= '' then
    local c = compare(id, highId)
    if c > 0 or (c == 0 and not highInclusive) then return false end
  end
  return true
end

local function full()
  return limit >= 0 and #page >= limit
end

-- every member whose score equals a bound's score, exactly filtered
local function boundary(score)
  local entries
  if desc then
    entries = redis.call('ZREVRANGEBYSCORE', key, score, score, 'WITHSCORES')
  else
    entries = redis.call('ZRANGEBYSCORE', key, score, score, 'WITHSCORES')
  end
  for i = 1, #entries, 2 do
    if full() then return end
    local member = entries[i]
    local id = member
    if idFromScore then id = string.format('%.0f', tonumber(entries[i + 1])) end
    if inside(id) then
      if skip > 0 then skip = skip - 1 else page[#page + 1] = member end
    end
  end
end

local function interior(hasNext)
  local low = lowId ~= '' and ('(' .. lowScore) or lowScore
  local high = highId ~= '' and ('(' .. highScore) or highScore
  local count = -1
  if limit >= 0 then count = limit - #page end
  local entries
  if desc then
    entries = redis.call('ZREVRANGEBYSCORE', key, high, low, 'LIMIT', skip, count)
  else
    entries = redis.call('ZRANGEBYSCORE', key, low, high, 'LIMIT', skip, count)
  end
  for i = 1, #entries do page[#page + 1] = entries[i] end
  if skip > 0 and hasNext and not full() then
    skip = math.max(0, skip - redis.call('ZCOUNT', key, low, high))
  else
    skip = 0
  end
end

local function value(score)
  if score == '-inf' then return -math.huge end
  if score == '+inf' then return math.huge end
  return tonumber(score)
end
local lowValue, highValue = value(lowScore), value(highScore)
if lowValue > highValue then return page end
if lowId ~= '' and highId ~= '' and lowValue == highValue then
  boundary(lowScore)
  return page
end

local first, last = lowScore, highScore
local hasFirst, hasLast = lowId ~= '', highId ~= ''
if desc then
  first, last = highScore, lowScore
  hasFirst, hasLast = highId ~= '', lowId ~= ''
end
if hasFirst then boundary(first) end
if not full() then interior(hasLast) end
if hasLast and not full() then boundary(last) end
return page
`,
};
