import { defineOwn } from './field-path.js';
import type { Fail } from './pickle-cursor.js';
import {
  type Item,
  PickleBytes,
  PickleDict,
  PickleGlobal,
  PickleList,
  PickleSet,
  PickleString2,
  PickleTuple,
  childrenOf,
} from './pickle-items.js';
import { pythonTwoString } from './pickle-text.js';
import { MAX_NESTING, type PickleKey, type PickleValue } from './pickle-value.js';
import { PythonFrozenSet } from './python-types.js';

/** Most values (containers and scalars, shared references counted each time) one pickle may expand to. */
export const MAX_PICKLE_VALUES = 100_000;

/**
 * Checks the parsed graph before copying it: counts the values it expands to (shared
 * references, i.e. memo GETs, counted each time) and its height, caching both per container so
 * a "billion laughs" pickle is refused in time linear in its size; refuses cycles.
 */
export function measure(
  item: Item,
  depth: number,
  inProgress: Set<object>,
  cache: Map<object, [size: number, height: number]>,
  fail: Fail,
): [size: number, height: number] {
  if (item === null || typeof item !== 'object' || childrenOf(item) === undefined) return [1, 0];
  const cached = cache.get(item);
  const deep = `containers nested more than ${MAX_NESTING} levels deep`;
  if (cached) {
    if (depth + cached[1] > MAX_NESTING) fail(deep);
    return cached;
  }
  if (depth >= MAX_NESTING) fail(deep);
  if (inProgress.has(item)) fail('a container contains itself (cyclic reference)');
  inProgress.add(item);
  let size = 1;
  let height = 1;
  for (const child of childrenOf(item) ?? []) {
    const [childSize, childHeight] = measure(child, depth + 1, inProgress, cache, fail);
    size += childSize;
    height = Math.max(height, childHeight + 1);
    if (size > MAX_PICKLE_VALUES) {
      fail(`the data expands to more than ${MAX_PICKLE_VALUES} values`);
    }
  }
  inProgress.delete(item);
  const result: [number, number] = [size, height];
  cache.set(item, result);
  return result;
}

/** Copies a measured graph into plain values: shared references become independent copies. */
export function toValue(item: Item, fail: Fail): PickleValue {
  if (item === null || typeof item !== 'object') return item;
  if (item instanceof PickleString2) return pythonTwoString(item.bytes);
  if (item instanceof PickleDict) {
    const entries = [...item.entries.values()];
    if (entries.every(([key]) => typeof key === 'string' || key instanceof PickleString2)) {
      const out: { [key: string]: PickleValue } = {};
      for (const [key, entry] of entries)
        defineOwn(out, toValue(key, fail) as string, toValue(entry, fail));
      return out;
    }
    // Keys were checked hashable (canonicalKey): scalars, Python types and tuples of them.
    return new Map(
      entries.map(([key, entry]) => [toValue(key, fail) as PickleKey, toValue(entry, fail)]),
    );
  }
  if (item instanceof PickleSet) {
    const values = item.items.map((entry) => toValue(entry, fail) as PickleKey);
    return item.frozen ? new PythonFrozenSet(values) : new Set(values);
  }
  if (item instanceof PickleList || item instanceof PickleTuple)
    return item.items.map((entry) => toValue(entry, fail));
  if (item instanceof PickleBytes) {
    return fail(
      'bytes values are not supported (bytes are only read as the state of a datetime or date)',
    );
  }
  if (item instanceof PickleGlobal) return fail(`${item.name} can only be called, it is no value`);
  return item;
}
