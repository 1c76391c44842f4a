import { PythonDate, PythonDateTime, PythonTimedelta } from './python-types.js';

/** What the pickle reader's stack holds while reading (see `pickle-loads.ts`). */
export class PickleDict {
  /** Entries by a canonical form of the key (Python's dict equality: 1, 1.0 and True are one key). */
  readonly entries = new Map<string, [key: Item, value: Item]>();
}
export class PickleList {
  readonly items: Item[] = [];
}
export class PickleTuple {
  constructor(readonly items: readonly Item[]) {}
}
export class PickleSet {
  readonly items: Item[] = [];
  constructor(readonly frozen: boolean) {}
}
/** A Python 2 `str` (bytes): a string for every use but a datetime's state, which needs the bytes. */
export class PickleString2 {
  constructor(readonly bytes: Uint8Array) {}
}
/** Python 3 `bytes`: only read as the state of a datetime or date. */
export class PickleBytes {
  constructor(readonly bytes: Uint8Array) {}
}
/** A class or function named by GLOBAL / STACK_GLOBAL (only the allowed ones are ever pushed). */
export class PickleGlobal {
  constructor(readonly name: string) {}
}

export type Item =
  | null
  | boolean
  | number
  | bigint
  | string
  | PickleString2
  | PickleBytes
  | PickleGlobal
  | PickleDict
  | PickleList
  | PickleTuple
  | PickleSet
  | PythonDateTime
  | PythonDate
  | PythonTimedelta;

/** The containers `measure` walks (and may find cycles in). */
export function childrenOf(item: Item): Iterable<Item> | undefined {
  if (item instanceof PickleDict) return [...item.entries.values()].flat();
  if (item instanceof PickleList || item instanceof PickleTuple || item instanceof PickleSet)
    return item.items;
  return undefined;
}

export function describeItem(item: Item): string {
  if (item === null) return 'None';
  if (item instanceof PickleDict) return 'a dict';
  if (item instanceof PickleList) return 'a list';
  if (item instanceof PickleTuple) return 'a tuple';
  if (item instanceof PickleSet) return item.frozen ? 'a frozenset' : 'a set';
  if (item instanceof PickleBytes) return 'bytes';
  if (item instanceof PickleGlobal) return item.name;
  if (item instanceof PythonDateTime) return 'a datetime';
  if (item instanceof PythonDate) return 'a date';
  if (item instanceof PythonTimedelta) return 'a timedelta';
  if (typeof item === 'string' || item instanceof PickleString2) return 'a str';
  if (typeof item === 'boolean') return 'a bool';
  return Number.isInteger(item) || typeof item === 'bigint' ? 'an int' : 'a float';
}

/** Latin1 text of bytes (one char per byte). */
export function latin1(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) text += String.fromCharCode(byte);
  return text;
}
