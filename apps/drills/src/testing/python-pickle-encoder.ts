/**
 * An independent encoder of what CPython 3.11's C pickler (`_pickle.c`) writes, at protocols 0,
 * 2 and 4, for the Python types Stream Framework deployments keep in `extra_context`: dicts with
 * str or int keys, lists, tuples (in sets and keys), str, int (BININT* / LONG1 / protocol 0's
 * `I` and `L`), bool, None, naive `datetime.datetime` (`__reduce_ex__`: the class, then a 1-tuple
 * of its 10-byte state; bytes as SHORT_BINBYTES from protocol 3, else `_codecs.encode(latin1
 * str, 'latin1')`), and `set` (EMPTY_SET + MARK ... ADDITEMS from protocol 4, else a REDUCE of
 * `__builtin__.set` on a list). The memo follows CPython's identity rules: every container,
 * string and reduced object is memoized once; the classes, `_codecs.encode`, the interned
 * 'latin1' and CPython's one-char latin1 / empty string singletons are written again as GETs.
 */
import { PythonDateTime } from '@sf/serializers';
import { encodeLong, le, rawUnicodeEscape, utf8 } from './pickle-bytes.js';

export type PythonKey = null | boolean | number | bigint | string | PythonKey[];
export type PythonPlain =
  | null
  | boolean
  | number
  | bigint
  | string
  | PythonPlain[]
  | { [key: string]: PythonPlain }
  | Map<PythonKey, PythonPlain>
  | Set<PythonKey>
  | PythonDateTime;

const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

export function encodePythonPickle(value: PythonPlain, protocol: 0 | 2 | 4): Uint8Array {
  const out: number[] = [];
  let memoSize = 0;
  const shared = new Map<string, number>();
  const put = () => {
    const index = memoSize++;
    if (protocol >= 4) out.push(0x94);
    else if (protocol === 0) out.push(...ascii(`p${index}\n`));
    else if (index < 256) out.push(0x71, index);
    else out.push(0x72, ...le(index, 4));
  };
  const get = (index: number) => {
    if (protocol === 0) out.push(...ascii(`g${index}\n`));
    else if (index < 256) out.push(0x68, index);
    else out.push(0x6a, ...le(index, 4));
  };
  /** Memoized once under `key`, a GET afterwards. */
  const once = (key: string, write: () => void) => {
    const index = shared.get(key);
    if (index !== undefined) return get(index);
    write();
    shared.set(key, memoSize);
    put();
  };

  const str = (text: string, interned?: string) => {
    const singleton =
      interned ??
      (text.length === 0 || (text.length === 1 && text.charCodeAt(0) < 256)
        ? `'${text}`
        : undefined);
    if (singleton !== undefined && shared.has(singleton)) return get(shared.get(singleton)!);
    if (protocol === 0) out.push(0x56, ...rawUnicodeEscape(text), 0x0a);
    else {
      const data = utf8(text);
      if (protocol >= 4 && data.length < 256) out.push(0x8c, data.length, ...data);
      else out.push(0x58, ...le(data.length, 4), ...data);
    }
    if (singleton !== undefined) shared.set(singleton, memoSize);
    put();
  };

  const int = (v: bigint) => {
    if (v >= -(2n ** 31n) && v < 2n ** 31n) {
      if (protocol === 0) return out.push(...ascii(`I${v}\n`));
      if (v >= 0n && v < 256n) return out.push(0x4b, Number(v));
      if (v >= 0n && v < 65536n) return out.push(0x4d, ...le(Number(v), 2));
      return out.push(0x4a, ...le(Number(BigInt.asUintN(32, v)), 4));
    }
    if (protocol === 0) return out.push(...ascii(`L${v}L\n`));
    const bytes = encodeLong(v);
    out.push(0x8a, bytes.length, ...bytes);
  };

  const global = (module: string, name: string) =>
    once(`${module}.${name}`, () => {
      if (protocol >= 4) {
        str(module);
        str(name);
        out.push(0x93);
      } else
        out.push(0x63, ...ascii(`${module === 'builtins' ? '__builtin__' : module}\n${name}\n`));
    });

  /** save_tuple, protocols 2 and 4 (len 1 to 3: TUPLEn; else MARK ... TUPLE); protocol 0: MARK ... TUPLE. */
  const tuple = (items: Array<() => void>) => {
    if (items.length === 0) return out.push(...(protocol === 0 ? [0x28, 0x74] : [0x29]));
    const short = protocol >= 2 && items.length <= 3;
    if (!short) out.push(0x28);
    items.forEach((item) => item());
    out.push(short ? [0x85, 0x86, 0x87][items.length - 1]! : 0x74);
    put();
  };

  /** Items in MARK ... `op` batches (lists and dicts at protocols 2 and 4; one item: no MARK). */
  const batched = (items: Array<() => void>, op: number, one: number) => {
    if (items.length === 0) return;
    if (protocol === 0) {
      for (const item of items) {
        item();
        out.push(one);
      }
      return;
    }
    if (items.length === 1) {
      items[0]!();
      return out.push(one);
    }
    out.push(0x28);
    items.forEach((item) => item());
    out.push(op);
  };

  const list = (items: Array<() => void>) => {
    out.push(...(protocol === 0 ? [0x28, 0x6c] : [0x5d]));
    put();
    batched(items, 0x65, 0x61);
  };

  const dict = (entries: Array<[() => void, () => void]>) => {
    out.push(...(protocol === 0 ? [0x28, 0x64] : [0x7d]));
    put();
    batched(
      entries.map(
        ([key, item]) =>
          () => (key(), item()),
      ),
      0x75,
      0x73,
    );
  };

  const reduceTail = () => {
    out.push(0x52);
    put();
  };

  const datetime = (when: PythonDateTime) => {
    global('datetime', 'datetime');
    const state = when.state(protocol);
    tuple([
      () => {
        if (protocol >= 3) {
          out.push(0x43, state.length, ...state);
          return put();
        }
        global('_codecs', 'encode');
        tuple([() => str(String.fromCharCode(...state)), () => str('latin1', '"latin1')]);
        reduceTail();
      },
    ]);
    reduceTail();
  };

  const save = (v: PythonPlain | PythonKey, hashable = false): void => {
    if (v === null) return void out.push(0x4e);
    if (typeof v === 'boolean')
      return void out.push(...(protocol >= 2 ? [v ? 0x88 : 0x89] : ascii(v ? 'I01\n' : 'I00\n')));
    if (typeof v === 'number' || typeof v === 'bigint') return void int(BigInt(v));
    if (typeof v === 'string') return str(v);
    if (v instanceof PythonDateTime) return datetime(v);
    if (Array.isArray(v)) {
      const items = v.map((item) => () => save(item, hashable));
      return void (hashable ? tuple(items) : list(items));
    }
    if (v instanceof Set) {
      const items = [...v].map((item) => () => save(item, true));
      if (protocol < 4) {
        global('builtins', 'set');
        tuple([() => list(items)]);
        return reduceTail();
      }
      out.push(0x8f);
      put();
      if (items.length > 0) {
        out.push(0x28);
        items.forEach((item) => item());
        out.push(0x90);
      }
      return;
    }
    const entries: Array<[PythonKey, PythonPlain]> = v instanceof Map ? [...v] : Object.entries(v);
    dict(entries.map(([key, item]) => [() => save(key, true), () => save(item)]));
  };

  save(value);
  out.push(0x2e);
  if (protocol === 0) return Uint8Array.from(out);
  if (protocol === 2) return Uint8Array.from([0x80, 0x02, ...out]);
  const frame = out.length >= 4 ? [0x95, ...le(out.length, 8)] : [];
  return Uint8Array.from([0x80, 0x04, ...frame, ...out]);
}
