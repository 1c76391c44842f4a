import { ReplyCode } from './codes.js';
import { type LuaFlag, type LuaScript, isInteger } from './script.js';

export type CommitReply = typeof ReplyCode.LOCK_LOST | { removed: number; added: number };

export interface CommitSignature {
  keys: readonly [timeline: string, lock: string, version: string];
  /** `removeCount` members to remove, then score, member pairs to add. */
  args: readonly [
    token: string,
    maxLength: number,
    bumpVersion: LuaFlag,
    removeCount: number,
    ...membersThenPairs: string[],
  ];
  reply: CommitReply;
}

/**
 * sfCommitV2 (commit-3): the write of a locked read-modify-write (`modify`). Applies the change
 * only while the caller still holds the lock, bumps the feed's version when asked (when batched
 * writes are on, so that a batched `sfModifyManyV1` writer that read the feed before sees the
 * change; off, nothing but Python's keys is written) and releases the lock, atomically.
 *
 *   KEYS[1]  timeline sorted set
 *   KEYS[2]  its lock (same hash slot: see keys.ts)
 *   KEYS[3]  its version counter (same hash slot)
 *   ARGV[1]  lock token of the caller
 *   ARGV[2]  maxLength: keep the `maxLength` highest-ranked entries; -1 = no trim
 *   ARGV[3]  '1' = increment the version counter
 *   ARGV[4]  number of members to remove, r
 *   ARGV[5 .. 4+r]      members to remove (exact raw members as read)
 *   ARGV[5+r ..]        score, member pairs to add
 *
 * Returns LOCK_LOST when the lock is no longer the caller's (nothing written), else {removed, added}.
 */
export const commit: LuaScript<CommitReply> = {
  name: 'sfCommitV2',
  keys: 3,
  expected: 'LOCK_LOST or [removed, added]',
  reply: (raw) => {
    if (raw === ReplyCode.LOCK_LOST) return raw;
    if (Array.isArray(raw) && raw.length === 2 && isInteger(raw[0]) && isInteger(raw[1]))
      return { removed: raw[0], added: raw[1] };
    return undefined;
  },
  source: `
--@include "codes"
--@include "argv-chunks"
--@include "trim"
local key, lock, version = KEYS[1], KEYS[2], KEYS[3]
if redis.call('GET', lock) ~= ARGV[1] then return LOCK_LOST end
local maxLength = tonumber(ARGV[2])
local lastRemove = 4 + tonumber(ARGV[4])
local removed, added = 0, 0
for from, to in argvChunks(5, lastRemove) do
  removed = removed + redis.call('ZREM', key, unpack(ARGV, from, to))
end
for from, to in argvChunks(lastRemove + 1, #ARGV) do
  added = added + redis.call('ZADD', key, unpack(ARGV, from, to))
end
trim(key, maxLength)
if ARGV[3] == '1' then redis.call('INCR', version) end
redis.call('DEL', lock)
return { removed, added }
`,
};
