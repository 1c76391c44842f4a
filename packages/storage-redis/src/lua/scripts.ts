import { RedisReplyError, type RedisOperationContext } from '../errors.js';
import { type AddManySignature, addMany } from './add-many-n.js';
import { type CacheAddSignature, cacheAdd } from './cache-add-n.js';
import { type CacheFillSignature, cacheFill } from './cache-fill-2.js';
import { type ClockReadSignature, clockRead } from './clock-read-n.js';
import { type CommitSignature, commit } from './commit-3.js';
import { fragments } from './fragments.js';
import { type IndexedSignature, indexed } from './indexed-n.js';
import { expandIncludes } from './include.js';
import { type LockSignature, lock } from './lock-1.js';
import { type MarkersSignature, markers } from './markers-2.js';
import { type ModifyManySignature, modifyMany } from './modify-many-n.js';
import { type PutActivitiesSignature, putActivities } from './put-activities-1.js';
import { type RangeSignature, range } from './range-1.js';
import type { LuaScript } from './script.js';
import { type UnlockSignature, unlock } from './unlock-1.js';
import { type UpdateActivitiesSignature, updateActivities } from './update-activities-1.js';

/** Every script by the name callers use: what a call passes (KEYS, ARGV) and gets back. */
export interface ScriptSignatures {
  addMany: AddManySignature;
  range: RangeSignature;
  commit: CommitSignature;
  lock: LockSignature;
  unlock: UnlockSignature;
  markers: MarkersSignature;
  modifyMany: ModifyManySignature;
  putActivities: PutActivitiesSignature;
  updateActivities: UpdateActivitiesSignature;
  indexed: IndexedSignature;
  cacheAdd: CacheAddSignature;
  cacheFill: CacheFillSignature;
  clockRead: ClockReadSignature;
}

export type ScriptName = keyof ScriptSignatures;
export type ScriptKeys<N extends ScriptName> = ScriptSignatures[N]['keys'];
export type ScriptArgs<N extends ScriptName> = ScriptSignatures[N]['args'];
export type ScriptReply<N extends ScriptName> = ScriptSignatures[N]['reply'];

/** A script ready to register: `lua` is its source with the includes expanded, what Redis runs. */
export interface LoadedScript<Reply> extends LuaScript<Reply> {
  readonly lua: string;
}

function load<Reply>(script: LuaScript<Reply>): LoadedScript<Reply> {
  return { ...script, lua: expandIncludes(script.name, script.source, fragments) };
}

/** The scripts, registered on each client with `defineCommand` under their versioned names. */
export const scripts: { readonly [N in ScriptName]: LoadedScript<ScriptReply<N>> } = {
  addMany: load(addMany),
  range: load(range),
  commit: load(commit),
  lock: load(lock),
  unlock: load(unlock),
  markers: load(markers),
  modifyMany: load(modifyMany),
  putActivities: load(putActivities),
  updateActivities: load(updateActivities),
  indexed: load(indexed),
  cacheAdd: load(cacheAdd),
  cacheFill: load(cacheFill),
  clockRead: load(clockRead),
};

/** A script's raw reply, typed; a reply of another shape is a RedisReplyError. */
export function scriptReply<N extends ScriptName>(
  name: N,
  raw: unknown,
  context: RedisOperationContext,
): ScriptReply<N> {
  const script: LoadedScript<ScriptReply<N>> = scripts[name];
  const reply = script.reply(raw);
  if (reply === undefined) {
    throw new RedisReplyError(
      context,
      `expected ${script.expected} from ${script.name}, got ${JSON.stringify(raw)?.slice(0, 200)}`,
    );
  }
  return reply;
}
