/**
 * What the restricted pickle codec reads and writes: Python's None, bool, int (a `number` when
 * it is a safe integer, else a `bigint`), float, str, list / tuple (both read as arrays) and dict
 * with string keys.
 */
export type PickleValue =
  null | boolean | number | bigint | string | PickleValue[] | { [key: string]: PickleValue };

/** Most container levels the pickle and JSON codecs read or write (the top-level dict is level 1). */
export const MAX_NESTING = 100;
