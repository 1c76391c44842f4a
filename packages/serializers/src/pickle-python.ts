import {
  type Item,
  PickleBytes,
  PickleGlobal,
  PickleList,
  PickleSet,
  PickleString2,
  PickleTuple,
  describeItem,
} from './pickle-items.js';
import { PythonDate, PythonDateTime, PythonTimedelta } from './python-types.js';

/**
 * The only classes and functions a pickle may name (GLOBAL / STACK_GLOBAL), and only to be
 * called by REDUCE with the arguments Python's pickler writes for them: datetime, date and
 * timedelta from their state; set and frozenset from a list; `_codecs.encode(str, 'latin1')`,
 * which protocols 0 to 2 write for bytes (a datetime's state).
 */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'datetime.datetime',
  'datetime.date',
  'datetime.timedelta',
  'builtins.set',
  '__builtin__.set',
  'builtins.frozenset',
  '__builtin__.frozenset',
  '_codecs.encode',
]);

type Fail = (message: string) => never;

/** A canonical form of a dict key or set element, with Python's equality (1, 1.0 and True are equal). */
export function canonicalKey(
  item: Item,
  text: (item: PickleString2) => string,
  fail: Fail,
): string {
  if (item === null) return 'n';
  if (typeof item === 'string') return `s${item}`;
  if (item instanceof PickleString2) return `s${text(item)}`;
  if (typeof item === 'boolean') return item ? 'i1' : 'i0';
  if (typeof item === 'bigint') return `i${item}`;
  if (typeof item === 'number') return Number.isInteger(item) ? `i${item}` : `f${item}`;
  if (item instanceof PythonDateTime) return `T${item.toString()}`;
  if (item instanceof PythonDate) return `D${item.toString()}`;
  if (item instanceof PythonTimedelta) return `d${item.totalMicroseconds}`;
  if (item instanceof PickleTuple)
    return `(${item.items.map((entry) => canonicalKey(entry, text, fail)).join(',')})`;
  return fail(
    `${describeItem(item)} cannot be a dict key or set element (only str, int, float, bool, None, datetime, date, timedelta and tuples of them)`,
  );
}

function stateBytes(item: Item | undefined, what: string, fail: Fail): number[] {
  if (item instanceof PickleBytes || item instanceof PickleString2) return [...item.bytes];
  return fail(
    `${what} needs its state as bytes, got ${item === undefined ? 'nothing' : describeItem(item)}`,
  );
}

function integer(item: Item | undefined, what: string, fail: Fail): number {
  if (typeof item === 'number' && Number.isSafeInteger(item)) return item;
  return fail(`${what} needs integers, got ${item === undefined ? 'nothing' : describeItem(item)}`);
}

function wrap<T>(build: () => T, fail: Fail): T {
  try {
    return build();
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
}

/** What REDUCE builds from an allowed callable and its arguments; anything else is refused. */
export function reduce(callable: Item, args: Item, fail: Fail): Item {
  if (!(callable instanceof PickleGlobal)) return fail(`cannot call ${describeItem(callable)}`);
  if (!(args instanceof PickleTuple))
    return fail(`${callable.name} needs a tuple of arguments, got ${describeItem(args)}`);
  const [first, second, third] = args.items;
  const count = args.items.length;
  switch (callable.name) {
    case 'datetime.datetime':
      if (count === 2 && second !== null)
        return fail('timezone-aware datetimes (with a tzinfo) are not supported, only naive ones');
      if (count !== 1 && count !== 2)
        return fail(`datetime.datetime takes its state, got ${count} arguments`);
      return wrap(
        () => PythonDateTime.fromState(stateBytes(first, 'datetime.datetime', fail)),
        fail,
      );
    case 'datetime.date':
      if (count !== 1) return fail(`datetime.date takes its state, got ${count} arguments`);
      return wrap(() => PythonDate.fromState(stateBytes(first, 'datetime.date', fail)), fail);
    case 'datetime.timedelta':
      if (count !== 3)
        return fail(
          `datetime.timedelta takes (days, seconds, microseconds), got ${count} arguments`,
        );
      return wrap(
        () =>
          new PythonTimedelta(
            integer(first, 'timedelta', fail),
            integer(second, 'timedelta', fail),
            integer(third, 'timedelta', fail),
          ),
        fail,
      );
    case 'builtins.set':
    case '__builtin__.set':
    case 'builtins.frozenset':
    case '__builtin__.frozenset': {
      const set = new PickleSet(callable.name.endsWith('frozenset'));
      if (count === 0) return set;
      if (count !== 1 || !(first instanceof PickleList || first instanceof PickleTuple)) {
        return fail(
          `${callable.name} takes one list, got ${count === 1 ? describeItem(first!) : `${count} arguments`}`,
        );
      }
      set.items.push(...first.items);
      return set;
    }
    case '_codecs.encode': {
      const encoding = second instanceof PickleString2 ? undefined : second;
      if (
        count !== 2 ||
        typeof first !== 'string' ||
        (encoding !== 'latin1' && encoding !== 'latin-1')
      ) {
        return fail(
          "_codecs.encode is only read as encode(str, 'latin1') (how protocols 0 to 2 write bytes)",
        );
      }
      const bytes = new Uint8Array(first.length);
      for (let i = 0; i < first.length; i++) {
        const code = first.charCodeAt(i);
        if (code > 0xff)
          return fail(
            `_codecs.encode: character U+${code.toString(16).padStart(4, '0')} is not latin1`,
          );
        bytes[i] = code;
      }
      return new PickleBytes(bytes);
    }
    default:
      return fail(`${callable.name} is not allowed`);
  }
}
