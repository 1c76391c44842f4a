import { SerializationError } from '@sf/activity';
import { childPath, describeType, isPlainArray, isPlainObject } from './field-path.js';
import { Op } from './pickle-opcodes.js';
import { MAX_NESTING, type PickleValue } from './pickle-value.js';
import { encodeUtf8 } from './utf8.js';

/** Pickle protocols the writer produces: 4 (Python 3.8+ default) or 2 (readable by Python 2). */
export type PickleProtocol = 2 | 4;

export interface PickleDumpsOptions {
  /** Defaults to 4, as Python 3.8 to 3.13 write by default. */
  protocol?: PickleProtocol;
}

// CPython's _pickle.c constants.
const FRAME_SIZE_MIN = 4;
const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_HEADER_SIZE = 9;
const BATCH_SIZE = 1000;

const ALLOWED =
  'only null, booleans, numbers, bigints, strings, arrays and plain objects can be pickled';

/**
 * Writes opcodes exactly as CPython's C pickler (`_pickle.c`, 3.11) does, framing included:
 * a frame is opened by the first write after the previous one was committed, committed when it
 * reaches 64 KiB at the start of saving the next value, written without its header when under
 * 4 bytes, and strings of 64 KiB or more are written outside any frame.
 */
class PickleWriter {
  #buffer = new Uint8Array(256);
  #length = 0;
  #framing = false;
  #frameStart = -1;
  #memoSize = 0;
  /** Memo indices of the strings CPython keeps as singletons (see `#string`). */
  readonly #singletons = new Map<string, number>();
  readonly #scratch = new DataView(new ArrayBuffer(8));

  constructor(
    private readonly protocol: PickleProtocol,
    private readonly field: string,
  ) {}

  #reserve(count: number): void {
    if (this.#length + count <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + count) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  #write(bytes: ArrayLike<number>): void {
    const needFrame = this.#framing && this.#frameStart === -1;
    this.#reserve(bytes.length + (needFrame ? FRAME_HEADER_SIZE : 0));
    if (needFrame) {
      this.#frameStart = this.#length;
      this.#length += FRAME_HEADER_SIZE;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  #commitFrame(): void {
    if (!this.#framing || this.#frameStart === -1) return;
    const start = this.#frameStart;
    const frameLength = this.#length - start - FRAME_HEADER_SIZE;
    if (frameLength >= FRAME_SIZE_MIN) {
      this.#buffer[start] = Op.FRAME;
      new DataView(this.#buffer.buffer).setBigUint64(start + 1, BigInt(frameLength), true);
    } else {
      this.#buffer.copyWithin(start, start + FRAME_HEADER_SIZE, this.#length);
      this.#length -= FRAME_HEADER_SIZE;
    }
    this.#frameStart = -1;
  }

  #opcodeBoundary(): void {
    if (!this.#framing || this.#frameStart === -1) return;
    if (this.#length - this.#frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET)
      this.#commitFrame();
  }

  #memoize(): void {
    const index = this.#memoSize++;
    if (this.protocol >= 4) this.#write([Op.MEMOIZE]);
    else if (index < 256) this.#write([Op.BINPUT, index]);
    else
      this.#write([
        Op.LONG_BINPUT,
        index & 0xff,
        (index >>> 8) & 0xff,
        (index >>> 16) & 0xff,
        index >>> 24,
      ]);
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
    if (value >= -0x80000000n && value <= 0x7fffffffn) {
      const n = Number(value);
      if (n >= 0 && n <= 0xff) this.#write([Op.BININT1, n]);
      else if (n >= 0 && n <= 0xffff) this.#write([Op.BININT2, n & 0xff, n >> 8]);
      else this.#write([Op.BININT, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff]);
      return;
    }
    // Two's complement, little endian, in the fewest bytes (pickle.encode_long / _PyLong_AsByteArray).
    const magnitude = value < 0n ? -value : value;
    let count = (magnitude.toString(2).length >> 3) + 1;
    let unsigned = BigInt.asUintN(count * 8, value);
    const bytes: number[] = [];
    for (let i = 0; i < count; i++) {
      bytes.push(Number(unsigned & 0xffn));
      unsigned >>= 8n;
    }
    if (value < 0n && count > 1 && bytes[count - 1] === 0xff && (bytes[count - 2]! & 0x80) !== 0) {
      bytes.pop();
      count--;
    }
    if (count < 256) {
      this.#write([Op.LONG1, count]);
    } else {
      this.#write([
        Op.LONG4,
        count & 0xff,
        (count >>> 8) & 0xff,
        (count >>> 16) & 0xff,
        count >>> 24,
      ]);
    }
    this.#write(bytes);
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
      if (index !== undefined) {
        if (index < 256) this.#write([Op.BINGET, index]);
        else
          this.#write([
            Op.LONG_BINGET,
            index & 0xff,
            (index >>> 8) & 0xff,
            (index >>> 16) & 0xff,
            index >>> 24,
          ]);
        return;
      }
      this.#singletons.set(value, this.#memoSize);
    }
    const data = encodeUtf8(value);
    const size = data.length;
    let header: number[];
    if (size <= 0xff && this.protocol >= 4) header = [Op.SHORT_BINUNICODE, size];
    else if (size <= 0xffffffff)
      header = [Op.BINUNICODE, size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff, size >>> 24];
    else this.#fail(this.field, value, 'string too long');
    if (size >= FRAME_SIZE_TARGET) {
      // Large payloads go outside frames (_Pickler_write_bytes).
      this.#commitFrame();
      const framing = this.#framing;
      this.#framing = false;
      this.#write(header);
      this.#write(data);
      this.#framing = framing;
    } else {
      this.#write(header);
      this.#write(data);
    }
    this.#memoize();
  }

  save(value: unknown, path: string, depth: number, ancestors: Set<object>): void {
    this.#opcodeBoundary();
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
      this.#dict(container, path, depth, ancestors);
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
  #dict(dict: Record<string, unknown>, path: string, depth: number, ancestors: Set<object>): void {
    const keys = Object.keys(dict);
    if (keys.length === 0) return;
    const save = (key: string): void => {
      this.save(key, childPath(path, key), depth + 1, ancestors);
      this.save(dict[key], childPath(path, key), depth + 1, ancestors);
    };
    if (keys.length === 1) {
      save(keys[0]!);
      this.#write([Op.SETITEM]);
      return;
    }
    let next = 0;
    let batch: number;
    do {
      batch = 0;
      this.#write([Op.MARK]);
      while (next < keys.length) {
        save(keys[next++]!);
        if (++batch === BATCH_SIZE) break;
      }
      this.#write([Op.SETITEMS]);
    } while (batch === BATCH_SIZE);
  }

  dump(value: unknown): Uint8Array {
    this.#write([Op.PROTO, this.protocol]);
    this.#framing = this.protocol >= 4;
    this.save(value, this.field, 0, new Set());
    this.#write([Op.STOP]);
    this.#commitFrame();
    return this.#buffer.slice(0, this.#length);
  }
}

/**
 * Writes a pickle exactly as CPython 3.11's `pickle.dumps(value, protocol)` would for the same
 * Python value, reporting refused values on `field`.
 * @internal
 */
export function writePickle(value: unknown, protocol: PickleProtocol, field: string): Uint8Array {
  if (protocol !== 2 && protocol !== 4) {
    throw new SerializationError(`unsupported pickle protocol ${String(protocol)} (use 2 or 4)`, {
      field,
    });
  }
  return new PickleWriter(protocol, field).dump(value);
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
  return writePickle(value, options.protocol ?? 4, 'value');
}
