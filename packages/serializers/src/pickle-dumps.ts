import { SerializationError } from '@sf/activity';
import { childPath, describeType, isPlainArray, isPlainObject } from './field-path.js';
import { Op } from './pickle-opcodes.js';
import { FRAME_SIZE_TARGET, PickleOutput, intOpcodes } from './pickle-output.js';
import { MAX_NESTING, type PickleValue } from './pickle-value.js';
import { PythonDate, PythonDateTime, PythonFrozenSet, PythonTimedelta } from './python-types.js';
import { encodeUtf8 } from './utf8.js';

/** Pickle protocols the writer produces: 4 (Python 3.8+ default) or 2 (readable by Python 2). */
export type PickleProtocol = 2 | 4;

export interface PickleDumpsOptions {
  /** Defaults to 4, as Python 3.8 to 3.13 write by default. */
  protocol?: PickleProtocol;
  /**
   * Also write `Map` (a dict with any hashable keys), `Set`, `PythonFrozenSet`, `PythonDateTime`,
   * `PythonDate` and `PythonTimedelta` as Python pickles them (arrays inside set elements and
   * dict keys are tuples). Default false.
   */
  pythonTypes?: boolean;
}

// CPython's _pickle.c constant.
const BATCH_SIZE = 1000;

const ALLOWED =
  'only null, booleans, numbers, bigints, strings, arrays and plain objects can be pickled';

function describeKey(key: unknown): string {
  const scalar = key === null || ['number', 'bigint', 'boolean'].includes(typeof key);
  return scalar ? String(key) : describeType(key);
}

/**
 * Writes opcodes exactly as CPython's C pickler (`_pickle.c`, 3.11) does, into a PickleOutput
 * (which frames them and counts the memo); strings of 64 KiB or more are written outside any frame.
 */
class PickleWriter {
  readonly #out: PickleOutput;
  /** Memo indices of the strings CPython keeps as singletons (see `#string`). */
  readonly #singletons = new Map<string, number>();
  /** Memo indices of the globals (and the interned 'latin1') written so far, for their repeats. */
  readonly #shared = new Map<string, number>();
  /** Memo indices of the datetime, date and timedelta instances written (a repeat is a GET, as in CPython). */
  readonly #instances = new Map<object, number>();
  readonly #scratch = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly protocol: PickleProtocol,
    private readonly field: string,
    private readonly python: boolean,
  ) {
    this.#out = new PickleOutput(protocol);
  }

  #write(bytes: ArrayLike<number>): void {
    this.#out.write(bytes);
  }

  #memoize(): void {
    this.#out.memoize();
  }

  #get(index: number): void {
    this.#out.get(index);
  }

  #fail(path: string, value: unknown, why?: string): never {
    throw new SerializationError(
      `cannot pickle ${path}: ${why ?? `got ${describeType(value)} (${ALLOWED})`}`,
      {
        field: path,
      },
    );
  }

  #int(value: bigint): void {
    this.#write(intOpcodes(value));
  }

  #float(value: number): void {
    this.#scratch.setFloat64(0, value, false);
    this.#write([Op.BINFLOAT, ...new Uint8Array(this.#scratch.buffer)]);
  }

  #string(value: string): void {
    // CPython has one object for '' and for each 1-char latin1 string, so pickle's identity memo
    // writes a GET for their repeats; other equal strings are distinct objects in general.
    const singleton = value.length === 0 || (value.length === 1 && value.charCodeAt(0) < 256);
    if (singleton) {
      const index = this.#singletons.get(value);
      if (index !== undefined) return this.#get(index);
      this.#singletons.set(value, this.#out.memoSize);
    }
    const data = encodeUtf8(value);
    const size = data.length;
    let header: number[];
    if (size <= 0xff && this.protocol >= 4) header = [Op.SHORT_BINUNICODE, size];
    else if (size <= 0xffffffff)
      header = [Op.BINUNICODE, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24];
    else this.#fail(this.field, value, 'string too long');
    if (size >= FRAME_SIZE_TARGET) {
      this.#out.writeOutsideFrame(header, data);
    } else {
      this.#write(header);
      this.#write(data);
    }
    this.#memoize();
  }

  /** Writes a memo GET when `key` was memoized before; else runs `write` and memoizes as `key`. */
  #shareable(key: string, write: () => void): void {
    const index = this.#shared.get(key);
    if (index !== undefined) return this.#get(index);
    write();
    this.#shared.set(key, this.#out.memoSize);
    this.#memoize();
  }

  /** save_global: `STACK_GLOBAL` from protocol 4, else `GLOBAL` with Python 2 module names. */
  #global(module: string, name: string): void {
    this.#shareable(`${module}.${name}`, () => {
      if (this.protocol >= 4) {
        this.#string(module);
        this.#string(name);
        this.#write([Op.STACK_GLOBAL]);
      } else {
        const python2 = module === 'builtins' ? '__builtin__' : module;
        this.#write([Op.GLOBAL, ...[...`${python2}\n${name}\n`].map((c) => c.charCodeAt(0))]);
      }
    });
  }

  /** save_bytes: SHORT_BINBYTES from protocol 3, else `_codecs.encode(str, 'latin1')`. */
  #bytes(data: number[]): void {
    if (this.protocol >= 3) {
      this.#write([Op.SHORT_BINBYTES, data.length, ...data]);
      this.#memoize();
      return;
    }
    this.#global('_codecs', 'encode');
    this.#string(String.fromCharCode(...data));
    // CPython passes its one interned 'latin1' object: memoized once, then a GET.
    const latin1 = this.#shared.get('"latin1');
    if (latin1 === undefined) {
      this.#shared.set('"latin1', this.#out.memoSize);
      this.#string('latin1');
    } else {
      this.#get(latin1);
    }
    this.#write([Op.TUPLE2]);
    this.#memoize();
    this.#write([Op.REDUCE]);
    this.#memoize();
  }

  /** save_reduce(cls, args) of a datetime type: the class, the argument tuple, REDUCE. */
  #reduceDateType(value: PythonDateTime | PythonDate | PythonTimedelta): void {
    const seen = this.#instances.get(value);
    if (seen !== undefined) return this.#get(seen);
    if (value instanceof PythonTimedelta) {
      this.#global('datetime', 'timedelta');
      for (const part of [value.days, value.seconds, value.microseconds]) this.#int(BigInt(part));
      this.#write([Op.TUPLE3]);
    } else {
      this.#global('datetime', value instanceof PythonDateTime ? 'datetime' : 'date');
      this.#bytes(value instanceof PythonDateTime ? value.state(this.protocol) : value.state());
      this.#write([Op.TUPLE1]);
    }
    this.#memoize();
    this.#write([Op.REDUCE]);
    this.#instances.set(value, this.#out.memoSize);
    this.#memoize();
  }

  /** save_tuple, for set elements and dict keys (Python cannot hash lists: arrays there are tuples). */
  #tuple(items: unknown[], path: string, depth: number, ancestors: Set<object>): void {
    if (items.length === 0) return this.#write([Op.EMPTY_TUPLE]);
    ancestors.add(items);
    if (items.length > 3) this.#write([Op.MARK]);
    items.forEach((item, index) =>
      this.save(item, childPath(path, index), depth + 1, ancestors, true),
    );
    ancestors.delete(items);
    this.#write([
      items.length > 3 ? Op.TUPLE : [Op.TUPLE1, Op.TUPLE2, Op.TUPLE3][items.length - 1]!,
    ]);
    this.#memoize();
  }

  /** save_set / save_frozenset: EMPTY_SET + ADDITEMS batches (FROZENSET) from protocol 4, else a REDUCE of a list. */
  #set(set: Set<unknown>, path: string, depth: number, ancestors: Set<object>): void {
    const items = [...set];
    const frozen = set instanceof PythonFrozenSet;
    const item = (index: number) =>
      this.save(items[index], childPath(path, index), depth + 1, ancestors, true);
    if (this.protocol < 4) {
      this.#global('builtins', frozen ? 'frozenset' : 'set');
      this.#write([Op.EMPTY_LIST]);
      this.#memoize();
      this.#batches(items.length, Op.APPENDS, item, true);
      this.#write([Op.TUPLE1]);
      this.#memoize();
      this.#write([Op.REDUCE]);
      this.#memoize();
    } else if (frozen) {
      this.#write([Op.MARK]);
      items.forEach((_, index) => item(index));
      this.#write([Op.FROZENSET]);
      this.#memoize();
    } else {
      this.#write([Op.EMPTY_SET]);
      this.#memoize();
      if (items.length > 0) this.#batches(items.length, Op.ADDITEMS, item, false);
    }
  }

  /**
   * `count` items in MARK ... `op` batches of 1000, as `_pickle.c` writes them; a full last batch
   * is followed by an empty one. `single` (lists): one item is written with APPEND, none with nothing.
   */
  #batches(count: number, op: number, item: (index: number) => void, single: boolean): void {
    if (single && count === 0) return;
    if (single && count === 1) {
      item(0);
      this.#write([Op.APPEND]);
      return;
    }
    let next = 0;
    let batch: number;
    do {
      batch = 0;
      this.#write([Op.MARK]);
      while (next < count) {
        item(next++);
        if (++batch === BATCH_SIZE) break;
      }
      this.#write([op]);
    } while (batch === BATCH_SIZE && (!single || next < count));
  }

  save(
    value: unknown,
    path: string,
    depth: number,
    ancestors: Set<object>,
    hashable = false,
  ): void {
    this.#out.opcodeBoundary();
    if (value === null) return this.#write([Op.NONE]);
    switch (typeof value) {
      case 'boolean':
        return this.#write([value ? Op.NEWTRUE : Op.NEWFALSE]);
      case 'number':
        // Safe integers are Python ints; any other number (fractions, huge doubles, NaN) a float.
        return Number.isSafeInteger(value) ? this.#int(BigInt(value)) : this.#float(value);
      case 'bigint':
        return this.#int(value);
      case 'string':
        return this.#string(value);
      case 'object':
        break;
      default:
        this.#fail(path, value);
    }
    const container = value;
    if (depth >= MAX_NESTING)
      this.#fail(path, value, `containers nested more than ${MAX_NESTING} levels deep`);
    if (ancestors.has(container)) this.#fail(path, value, 'circular reference');
    if (this.python) {
      if (
        container instanceof PythonDateTime ||
        container instanceof PythonDate ||
        container instanceof PythonTimedelta
      ) {
        return this.#reduceDateType(container);
      }
      if (hashable && isPlainArray(container))
        return this.#tuple(container, path, depth, ancestors);
      if (hashable)
        this.#fail(path, value, `${describeType(value)} cannot be a dict key or set element`);
      if (container instanceof Set) {
        ancestors.add(container);
        this.#set(container, path, depth, ancestors);
        ancestors.delete(container);
        return;
      }
      if (container instanceof Map) {
        ancestors.add(container);
        this.#write([Op.EMPTY_DICT]);
        this.#memoize();
        this.#entries([...(container as Map<unknown, unknown>)], path, depth, ancestors);
        ancestors.delete(container);
        return;
      }
    }
    if (isPlainArray(container)) {
      ancestors.add(container);
      this.#write([Op.EMPTY_LIST]);
      this.#memoize();
      this.#list(container, path, depth, ancestors);
      ancestors.delete(container);
    } else if (isPlainObject(container)) {
      if (Object.getOwnPropertySymbols(container).length > 0)
        this.#fail(path, value, 'symbol keys cannot be pickled');
      ancestors.add(container);
      this.#write([Op.EMPTY_DICT]);
      this.#memoize();
      this.#entries(
        Object.keys(container).map((key) => [key, container[key]]),
        path,
        depth,
        ancestors,
      );
      ancestors.delete(container);
    } else {
      this.#fail(path, value);
    }
  }

  // batch_list_exact
  #list(list: unknown[], path: string, depth: number, ancestors: Set<object>): void {
    const item = (index: number): unknown => {
      if (!(index in list))
        this.#fail(childPath(path, index), undefined, 'arrays with holes cannot be pickled');
      return list[index];
    };
    if (list.length === 0) return;
    if (list.length === 1) {
      this.save(item(0), childPath(path, 0), depth + 1, ancestors);
      this.#write([Op.APPEND]);
      return;
    }
    let total = 0;
    do {
      let batch = 0;
      this.#write([Op.MARK]);
      while (total < list.length) {
        this.save(item(total), childPath(path, total), depth + 1, ancestors);
        total++;
        if (++batch === BATCH_SIZE) break;
      }
      this.#write([Op.APPENDS]);
    } while (total < list.length);
  }

  // batch_dict_exact (which, unlike pickle.py, ends a multiple of 1000 items with an empty MARK SETITEMS)
  #entries(
    entries: Array<[unknown, unknown]>,
    path: string,
    depth: number,
    ancestors: Set<object>,
  ): void {
    if (entries.length === 0) return;
    const save = (index: number): void => {
      const [key, value] = entries[index]!;
      const at = typeof key === 'string' ? childPath(path, key) : `${path}[${describeKey(key)}]`;
      this.save(key, at, depth + 1, ancestors, true);
      this.save(value, at, depth + 1, ancestors);
    };
    if (entries.length === 1) {
      save(0);
      this.#write([Op.SETITEM]);
      return;
    }
    this.#batches(entries.length, Op.SETITEMS, save, false);
  }

  dump(value: unknown): Uint8Array {
    this.#write([Op.PROTO, this.protocol]);
    if (this.protocol >= 4) this.#out.startFraming();
    this.save(value, this.field, 0, new Set());
    this.#write([Op.STOP]);
    this.#out.commitFrame();
    return this.#out.bytes();
  }
}

/**
 * Writes a pickle exactly as CPython 3.11's `pickle.dumps(value, protocol)` would for the same
 * Python value, reporting refused values on `field`.
 * @internal
 */
export function writePickle(
  value: unknown,
  protocol: PickleProtocol,
  field: string,
  pythonTypes = false,
): Uint8Array {
  if (protocol !== 2 && protocol !== 4) {
    throw new SerializationError(`unsupported pickle protocol ${String(protocol)} (use 2 or 4)`, {
      field,
    });
  }
  return new PickleWriter(protocol, field, pythonTypes).dump(value);
}

/**
 * Pickles plain data byte for byte as CPython 3.11's `pickle.dumps(value, protocol)` does with
 * the equivalent Python value: objects become dicts, arrays lists, safe integers and bigints
 * ints, other numbers floats (so `2.0` is written as the int 2), strings str.
 *
 * Values are written as trees: an object referenced twice is written twice (Python would write
 * a memo reference for a shared dict), and equal strings are never shared.
 *
 * @throws SerializationError naming the path of anything else (undefined, functions, symbols,
 *   Dates, Maps, class instances, circular structures, nesting deeper than 100 levels)
 */
export function pickleDumps(value: PickleValue, options: PickleDumpsOptions = {}): Uint8Array {
  return writePickle(value, options.protocol ?? 4, 'value', options.pythonTypes === true);
}
