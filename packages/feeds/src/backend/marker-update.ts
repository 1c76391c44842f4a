import type { MarkerLists, MarkerUpdate } from './contracts.js';

/**
 * Applies an update to the lists as the `MarkerStorage` contract says: removals, then clears,
 * then additions (no duplicates, newest last), capped to the newest `maxLength`. Returns new lists.
 * For backends that keep the lists themselves (memory, Cassandra); Redis does the same in Lua.
 */
export function applyMarkerUpdate(
  lists: MarkerLists,
  update: MarkerUpdate,
  maxLength: number,
): MarkerLists {
  const next: MarkerLists = { unseen: [...lists.unseen], unread: [...lists.unread] };
  for (const name of ['unseen', 'unread'] as const) {
    let list = next[name];
    const removed = new Set(update.remove?.[name] ?? []);
    if (removed.size > 0) list = list.filter((id) => !removed.has(id));
    if (update.clear?.[name]) list = [];
    const added = update.add?.[name] ?? [];
    if (added.length > 0) {
      const fresh = new Set(added);
      list = [...list.filter((id) => !fresh.has(id)), ...fresh];
    }
    next[name] = list.length > maxLength ? list.slice(list.length - maxLength) : list;
  }
  return next;
}
