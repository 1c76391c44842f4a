import type { PythonDate, PythonDateTime, PythonTimedelta } from './python-types.js';

/** A dict key or set element of the Python types the codec reads (arrays are tuples here). */
export type PickleKey =
  | null
  | boolean
  | number
  | bigint
  | string
  | PythonDateTime
  | PythonDate
  | PythonTimedelta
  | PickleKey[];

/**
 * What the restricted pickle codec reads and writes: Python's None, bool, int (a `number` when
 * it is a safe integer, else a `bigint`), float, str, list / tuple (both read as arrays) and dict
 * with string keys. With `pythonTypes`: also dicts with other keys (a `Map`), set (a `Set`),
 * frozenset (a `PythonFrozenSet`), and naive `datetime.datetime`, `datetime.date` and
 * `datetime.timedelta` (`PythonDateTime`, `PythonDate`, `PythonTimedelta`).
 */
export type PickleValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | PickleValue[]
  | { [key: string]: PickleValue }
  | Map<PickleKey, PickleValue>
  | Set<PickleKey>
  | PythonDateTime
  | PythonDate
  | PythonTimedelta;

/** Most container levels the pickle and JSON codecs read or write (the top-level dict is level 1). */
export const MAX_NESTING = 100;
