import type { LuaScript } from './script.js';

export interface ClockReadSignature {
  /** The clock's shard hashes a lookup touches. */
  keys: readonly string[];
  /** For each key in order: how many user ids, then those ids. */
  args: readonly (string | number)[];
  /** The stored times (or null), in the order of the ids. */
  reply: Array<string | null>;
}

/**
 * sfClockReadV1 (clock-read-n): the activity clock's `lastActive` on a single node: one HMGET
 * per shard hash, run inside Redis, so a lookup of a fanout's followers is one command whatever
 * the number of shards it touches (a pipeline of up to 32 HMGETs cost as much as the fanout's
 * write). A cluster keeps the pipelined HMGETs: its shards live in other slots.
 *
 *   KEYS[i]   a shard hash of the clock
 *   ARGV      n1, id, ..., n2, id, ...: the ids looked up in KEYS[1], then in KEYS[2], ...
 *
 * Returns the values in the order of the ids, nil where a user was never touched.
 */
export const clockRead: LuaScript<Array<string | null>> = {
  name: 'sfClockReadV1',
  keys: 'n',
  expected: 'an array of times or nils',
  reply: (raw) =>
    Array.isArray(raw) && raw.every((value) => value === null || typeof value === 'string')
      ? (raw as Array<string | null>)
      : undefined,
  source: `
--@include "argv-chunks"
local values = {}
local at = 1
for i = 1, #KEYS do
  local n = tonumber(ARGV[at])
  for from, to in argvChunks(at + 1, at + n) do
    local found = redis.call('HMGET', KEYS[i], unpack(ARGV, from, to))
    for j = 1, to - from + 1 do
      values[#values + 1] = found[j]
    end
  end
  at = at + n + 1
end
return values
`,
};
