import { SerializationError } from '@sf/activity';
import { defineOwn } from './field-path.js';
import { Op, describeOpcode } from './pickle-opcodes.js';
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
  describeItem,
  latin1,
} from './pickle-items.js';
import { ALLOWED_GLOBALS, canonicalKey, reduce } from './pickle-python.js';
import { MAX_NESTING, type PickleKey, type PickleValue } from './pickle-value.js';
import { PythonFrozenSet } from './python-types.js';
import { decodeUtf8 } from './utf8.js';

/** Most values (containers and scalars, shared references counted each time) one pickle may expand to. */
export const MAX_PICKLE_VALUES = 100_000;
/** Longest integer accepted: 4300 decimal digits (Python 3.11's own limit) or 4096 bytes. */
const MAX_INT_DIGITS = 4300;
const MAX_INT_BYTES = 4096;

const ALLOWED =
  'only dicts, lists, tuples, strings, numbers, booleans and None can be read; nothing is ever executed';
const ALLOWED_PYTHON =
  'only plain data, datetime.datetime, datetime.date, datetime.timedelta, set and frozenset can be read; nothing is ever executed';
/** Opcodes read only with `pythonTypes`. */
const PYTHON_OPS: ReadonlySet<number> = new Set([
  Op.GLOBAL,
  Op.STACK_GLOBAL,
  Op.REDUCE,
  Op.EMPTY_SET,
  Op.ADDITEMS,
  Op.FROZENSET,
  Op.SHORT_BINBYTES,
  Op.BINBYTES,
  Op.BINBYTES8,
]);

function intValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

class PickleReader {
  #pos = 0;
  #stack: Item[] = [];
  readonly #metastack: Item[][] = [];
  readonly #memo = new Map<number, Item>();
  readonly #view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly field: string | undefined,
    private readonly python: boolean,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string, offset?: number): never {
    const where = offset === undefined ? '' : ` at offset ${offset}`;
    const prefix = this.field === undefined ? 'pickle' : `${this.field}: pickle`;
    throw new SerializationError(`${prefix}: ${message}${where}`, { field: this.field });
  }

  #take(count: number, what: string, offset: number): number {
    if (count > this.bytes.length - this.#pos) {
      this.fail(
        `truncated data: ${what} needs ${count} bytes, ${this.bytes.length - this.#pos} left`,
        offset,
      );
    }
    const start = this.#pos;
    this.#pos += count;
    return start;
  }

  #u8(offset: number): number {
    return this.bytes[this.#take(1, 'argument', offset)]!;
  }

  #u16(offset: number): number {
    return this.#view.getUint16(this.#take(2, 'argument', offset), true);
  }

  #u32(offset: number): number {
    return this.#view.getUint32(this.#take(4, 'argument', offset), true);
  }

  #i32(offset: number): number {
    return this.#view.getInt32(this.#take(4, 'argument', offset), true);
  }

  #u64(offset: number, what: string): number {
    const value = this.#view.getBigUint64(this.#take(8, 'argument', offset), true);
    if (value > BigInt(this.bytes.length))
      this.fail(`${what} length ${value} exceeds the data`, offset);
    return Number(value);
  }

  #bytes(count: number, offset: number): Uint8Array {
    const start = this.#take(count, 'argument', offset);
    return this.bytes.subarray(start, start + count);
  }

  #line(offset: number): string {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end === -1) this.fail('truncated data: line argument without a newline', offset);
    let text = '';
    for (let i = this.#pos; i < end; i++) text += String.fromCharCode(this.bytes[i]!);
    this.#pos = end + 1;
    return text;
  }

  #lineBytes(offset: number): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end === -1) this.fail('truncated data: line argument without a newline', offset);
    const line = this.bytes.subarray(this.#pos, end);
    this.#pos = end + 1;
    return line;
  }

  #push(item: Item): void {
    this.#stack.push(item);
  }

  #pop(offset: number): Item {
    if (this.#stack.length === 0) this.fail('stack underflow', offset);
    return this.#stack.pop()!;
  }

  #top(offset: number): Item {
    if (this.#stack.length === 0) this.fail('stack underflow', offset);
    return this.#stack[this.#stack.length - 1]!;
  }

  #popMark(offset: number): Item[] {
    const previous = this.#metastack.pop();
    if (previous === undefined) this.fail('no MARK on the stack', offset);
    const items = this.#stack;
    this.#stack = previous;
    return items;
  }

  #list(offset: number): PickleList {
    const target = this.#top(offset);
    if (!(target instanceof PickleList))
      this.fail(`cannot append to ${describeItem(target)}`, offset);
    return target;
  }

  #setItems(items: readonly Item[], offset: number): void {
    if (items.length % 2 !== 0) this.fail('odd number of items for a dict', offset);
    const target = this.#top(offset);
    if (!(target instanceof PickleDict))
      this.fail(`cannot set items on ${describeItem(target)}`, offset);
    this.#fillDict(target, items, offset);
  }

  #fillDict(target: PickleDict, items: readonly Item[], offset: number): void {
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i]!;
      if (!this.python && typeof key !== 'string')
        this.fail(`dict keys must be strings, got ${describeItem(key)}`, offset);
      const canonical = this.#canonical(key, offset);
      // Python keeps the first key object and the last value.
      const existing = target.entries.get(canonical);
      target.entries.set(canonical, [existing ? existing[0] : key, items[i + 1]!]);
    }
  }

  #canonical(key: Item, offset: number): string {
    return canonicalKey(
      key,
      (item) => this.#pythonTwoString(item.bytes),
      (message) => this.fail(message, offset),
    );
  }

  /** A Python 2 str: kept as bytes with `pythonTypes` (a datetime's state needs them). */
  #string2(bytes: Uint8Array): Item {
    return this.python ? new PickleString2(bytes) : this.#pythonTwoString(bytes);
  }

  #name(item: Item, offset: number): string {
    if (typeof item === 'string') return item;
    if (item instanceof PickleString2) return this.#pythonTwoString(item.bytes);
    return this.fail(`STACK_GLOBAL needs a module and a name as str, got ${describeItem(item)}`, offset);
  }

  #global(module: string, name: string, opcode: number, offset: number): PickleGlobal {
    const qualified = `${module}.${name}`;
    if (!ALLOWED_GLOBALS.has(qualified)) {
      this.fail(
        `opcode ${describeOpcode(opcode)} naming ${JSON.stringify(qualified.slice(0, 80))} is not allowed (${ALLOWED_PYTHON})`,
        offset,
      );
    }
    return new PickleGlobal(qualified);
  }

  #memoGet(index: number, offset: number): void {
    if (!this.#memo.has(index)) this.fail(`memo key ${index} not found`, offset);
    this.#push(this.#memo.get(index)!);
  }

  #memoPut(index: number, offset: number): void {
    this.#memo.set(index, this.#top(offset));
  }

  #decimal(text: string, offset: number, what: string): bigint {
    if (!/^[+-]?(0|[1-9][0-9]*)$/.test(text) || text.length > MAX_INT_DIGITS + 1) {
      this.fail(`invalid ${what} ${JSON.stringify(text.slice(0, 40))}`, offset);
    }
    return BigInt(text);
  }

  #index(text: string, offset: number): number {
    if (!/^(0|[1-9][0-9]{0,9})$/.test(text))
      this.fail(`invalid memo index ${JSON.stringify(text.slice(0, 40))}`, offset);
    return Number(text);
  }

  #long(bytes: Uint8Array): number | bigint {
    if (bytes.length === 0) return 0;
    let hex = '';
    for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
    let value = BigInt(`0x${hex}`);
    if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
    return intValue(value);
  }

  #float(text: string, offset: number): number {
    const lower = text.toLowerCase();
    if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?nan$/.test(lower)) return NaN;
    if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
      this.fail(`invalid FLOAT ${JSON.stringify(text.slice(0, 40))}`, offset);
    }
    return Number(text);
  }

  /** Python 2 `str`: UTF-8 when valid, else latin1. */
  #pythonTwoString(bytes: Uint8Array): string {
    return decodeUtf8(bytes, false) ?? latin1(bytes);
  }

  #unicode(bytes: Uint8Array, offset: number): string {
    const text = decodeUtf8(bytes, true);
    if (text === undefined) this.fail('invalid UTF-8 in a string', offset);
    return text;
  }

  /** The argument of protocol 0 STRING: a quoted Python 2 literal (`codecs.escape_decode`). */
  #quotedString(line: Uint8Array, offset: number): Uint8Array {
    const quote = line[0];
    if (line.length < 2 || (quote !== 0x27 && quote !== 0x22) || line[line.length - 1] !== quote) {
      this.fail('the STRING opcode argument must be quoted', offset);
    }
    const body = line.subarray(1, line.length - 1);
    const out: number[] = [];
    const simple: Record<number, number> = {
      0x5c: 0x5c,
      0x27: 0x27,
      0x22: 0x22,
      0x61: 7,
      0x62: 8,
      0x66: 12,
      0x6e: 10,
      0x72: 13,
      0x74: 9,
      0x76: 11,
    };
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== 0x5c) {
        out.push(c);
        continue;
      }
      i++;
      if (i >= body.length) this.fail('trailing \\ in a STRING', offset);
      const e = body[i]!;
      if (e === 0x0a) continue;
      const mapped = simple[e];
      if (mapped !== undefined) {
        out.push(mapped);
      } else if (e >= 0x30 && e <= 0x37) {
        let value = e - 0x30;
        for (
          let k = 0;
          k < 2 && i + 1 < body.length && body[i + 1]! >= 0x30 && body[i + 1]! <= 0x37;
          k++
        ) {
          value = value * 8 + (body[++i]! - 0x30);
        }
        out.push(value & 0xff);
      } else if (e === 0x78) {
        const hex = String.fromCharCode(body[i + 1] ?? 0, body[i + 2] ?? 0);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) this.fail('invalid \\x escape in a STRING', offset);
        out.push(parseInt(hex, 16));
        i += 2;
      } else {
        out.push(0x5c, e);
      }
    }
    return Uint8Array.from(out);
  }

  /** The argument of protocol 0 UNICODE: Python's `raw-unicode-escape` codec. */
  #rawUnicodeEscape(line: Uint8Array, offset: number): string {
    const codes: number[] = [];
    for (let i = 0; i < line.length;) {
      if (line[i] !== 0x5c) {
        codes.push(line[i++]!);
        continue;
      }
      const start = i;
      while (i < line.length && line[i] === 0x5c) codes.push(line[i++]!);
      const escaped =
        (i - start) % 2 === 1 && i < line.length && (line[i] === 0x75 || line[i] === 0x55);
      if (!escaped) continue;
      codes.pop();
      const count = line[i] === 0x75 ? 4 : 8;
      i++;
      let hex = '';
      for (let k = 0; k < count && i + k < line.length; k++)
        hex += String.fromCharCode(line[i + k]!);
      if (hex.length !== count || !/^[0-9a-fA-F]+$/.test(hex)) {
        this.fail(
          `truncated \\${count === 4 ? 'uXXXX' : 'UXXXXXXXX'} escape in a UNICODE string`,
          offset,
        );
      }
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) this.fail('\\U escape out of range in a UNICODE string', offset);
      codes.push(code);
      i += count;
    }
    let text = '';
    for (let i = 0; i < codes.length; i += 4096)
      text += String.fromCodePoint(...codes.slice(i, i + 4096));
    return text;
  }

  read(): Item {
    const bytes = this.bytes;
    for (;;) {
      if (this.#pos >= bytes.length) this.fail('truncated data: no STOP opcode', this.#pos);
      const offset = this.#pos;
      const op = bytes[this.#pos++]!;
      if (!this.python && PYTHON_OPS.has(op)) {
        this.fail(`opcode ${describeOpcode(op)} is not allowed (${ALLOWED})`, offset);
      }
      switch (op) {
        case Op.PROTO: {
          const protocol = this.#u8(offset);
          if (protocol > 5) this.fail(`unsupported pickle protocol ${protocol}`, offset);
          break;
        }
        case Op.FRAME: {
          const length = this.#u64(offset, 'FRAME');
          if (length > bytes.length - this.#pos)
            this.fail(`FRAME of ${length} bytes exceeds the remaining data`, offset);
          break;
        }
        case Op.STOP: {
          if (this.#metastack.length > 0) this.fail('STOP with an unclosed MARK', offset);
          if (this.#stack.length !== 1)
            this.fail(`STOP with ${this.#stack.length} values on the stack (expected 1)`, offset);
          if (this.#pos !== bytes.length)
            this.fail(`${bytes.length - this.#pos} bytes of garbage after STOP`, this.#pos);
          return this.#stack[0]!;
        }
        case Op.NONE:
          this.#push(null);
          break;
        case Op.NEWTRUE:
          this.#push(true);
          break;
        case Op.NEWFALSE:
          this.#push(false);
          break;
        case Op.INT: {
          const text = this.#line(offset);
          if (text === '01') this.#push(true);
          else if (text === '00') this.#push(false);
          else this.#push(intValue(this.#decimal(text, offset, 'INT')));
          break;
        }
        case Op.LONG: {
          const text = this.#line(offset);
          this.#push(
            intValue(this.#decimal(text.endsWith('L') ? text.slice(0, -1) : text, offset, 'LONG')),
          );
          break;
        }
        case Op.BININT:
          this.#push(this.#i32(offset));
          break;
        case Op.BININT1:
          this.#push(this.#u8(offset));
          break;
        case Op.BININT2:
          this.#push(this.#u16(offset));
          break;
        case Op.LONG1:
        case Op.LONG4: {
          const count = op === Op.LONG1 ? this.#u8(offset) : this.#i32(offset);
          if (count < 0) this.fail('negative byte count for LONG4', offset);
          if (count > MAX_INT_BYTES)
            this.fail(`integer of ${count} bytes is too large (max ${MAX_INT_BYTES})`, offset);
          this.#push(this.#long(this.#bytes(count, offset)));
          break;
        }
        case Op.FLOAT:
          this.#push(this.#float(this.#line(offset), offset));
          break;
        case Op.BINFLOAT:
          this.#push(this.#view.getFloat64(this.#take(8, 'BINFLOAT', offset), false));
          break;
        case Op.STRING:
          this.#push(this.#string2(this.#quotedString(this.#lineBytes(offset), offset)));
          break;
        case Op.BINSTRING: {
          const count = this.#i32(offset);
          if (count < 0) this.fail('negative length for BINSTRING', offset);
          this.#push(this.#string2(this.#bytes(count, offset)));
          break;
        }
        case Op.SHORT_BINSTRING:
          this.#push(this.#string2(this.#bytes(this.#u8(offset), offset)));
          break;
        case Op.SHORT_BINBYTES:
          this.#push(new PickleBytes(this.#bytes(this.#u8(offset), offset)));
          break;
        case Op.BINBYTES:
          this.#push(new PickleBytes(this.#bytes(this.#u32(offset), offset)));
          break;
        case Op.BINBYTES8:
          this.#push(new PickleBytes(this.#bytes(this.#u64(offset, 'BINBYTES8'), offset)));
          break;
        case Op.GLOBAL: {
          const module = this.#line(offset);
          this.#push(this.#global(module, this.#line(offset), op, offset));
          break;
        }
        case Op.STACK_GLOBAL: {
          const name = this.#name(this.#pop(offset), offset);
          this.#push(this.#global(this.#name(this.#pop(offset), offset), name, op, offset));
          break;
        }
        case Op.REDUCE: {
          const args = this.#pop(offset);
          const callable = this.#pop(offset);
          this.#push(reduce(callable, args, (message) => this.fail(`REDUCE (0x52 'R'): ${message}`, offset)));
          break;
        }
        case Op.EMPTY_SET:
          this.#push(new PickleSet(false));
          break;
        case Op.ADDITEMS: {
          const items = this.#popMark(offset);
          const target = this.#top(offset);
          if (!(target instanceof PickleSet) || target.frozen)
            this.fail(`cannot add items to ${describeItem(target)}`, offset);
          for (const item of items) this.#canonical(item, offset);
          target.items.push(...items);
          break;
        }
        case Op.FROZENSET: {
          const set = new PickleSet(true);
          set.items.push(...this.#popMark(offset));
          for (const item of set.items) this.#canonical(item, offset);
          this.#push(set);
          break;
        }
        case Op.UNICODE:
          this.#push(this.#rawUnicodeEscape(this.#lineBytes(offset), offset));
          break;
        case Op.BINUNICODE:
          this.#push(this.#unicode(this.#bytes(this.#u32(offset), offset), offset));
          break;
        case Op.SHORT_BINUNICODE:
          this.#push(this.#unicode(this.#bytes(this.#u8(offset), offset), offset));
          break;
        case Op.BINUNICODE8:
          this.#push(this.#unicode(this.#bytes(this.#u64(offset, 'BINUNICODE8'), offset), offset));
          break;
        case Op.EMPTY_DICT:
          this.#push(new PickleDict());
          break;
        case Op.EMPTY_LIST:
          this.#push(new PickleList());
          break;
        case Op.EMPTY_TUPLE:
          this.#push(new PickleTuple([]));
          break;
        case Op.MARK:
          this.#metastack.push(this.#stack);
          this.#stack = [];
          break;
        case Op.DICT: {
          const items = this.#popMark(offset);
          if (items.length % 2 !== 0) this.fail('odd number of items for a dict', offset);
          const dict = new PickleDict();
          this.#fillDict(dict, items, offset);
          this.#push(dict);
          break;
        }
        case Op.LIST: {
          const list = new PickleList();
          for (const item of this.#popMark(offset)) list.items.push(item);
          this.#push(list);
          break;
        }
        case Op.TUPLE:
          this.#push(new PickleTuple(this.#popMark(offset)));
          break;
        case Op.TUPLE1:
        case Op.TUPLE2:
        case Op.TUPLE3: {
          const count = op - Op.TUPLE1 + 1;
          if (this.#stack.length < count) this.fail('stack underflow', offset);
          this.#push(new PickleTuple(this.#stack.splice(this.#stack.length - count, count)));
          break;
        }
        case Op.APPEND: {
          const value = this.#pop(offset);
          this.#list(offset).items.push(value);
          break;
        }
        case Op.APPENDS: {
          const items = this.#popMark(offset);
          const list = this.#list(offset);
          for (const item of items) list.items.push(item);
          break;
        }
        case Op.SETITEM: {
          const value = this.#pop(offset);
          const key = this.#pop(offset);
          this.#setItems([key, value], offset);
          break;
        }
        case Op.SETITEMS:
          this.#setItems(this.#popMark(offset), offset);
          break;
        case Op.PUT:
          this.#memoPut(this.#index(this.#line(offset), offset), offset);
          break;
        case Op.BINPUT:
          this.#memoPut(this.#u8(offset), offset);
          break;
        case Op.LONG_BINPUT:
          this.#memoPut(this.#u32(offset), offset);
          break;
        case Op.MEMOIZE:
          this.#memoPut(this.#memo.size, offset);
          break;
        case Op.GET:
          this.#memoGet(this.#index(this.#line(offset), offset), offset);
          break;
        case Op.BINGET:
          this.#memoGet(this.#u8(offset), offset);
          break;
        case Op.LONG_BINGET:
          this.#memoGet(this.#u32(offset), offset);
          break;
        default:
          this.fail(`opcode ${describeOpcode(op)} is not allowed (${ALLOWED})`, offset);
      }
    }
  }

  /**
   * Checks the parsed graph before copying it: counts the values it expands to (shared
   * references, i.e. memo GETs, counted each time) and its height, caching both per container so
   * a "billion laughs" pickle is refused in time linear in its size; refuses cycles.
   */
  measure(
    item: Item,
    depth: number,
    inProgress: Set<object>,
    cache: Map<object, [size: number, height: number]>,
  ): [size: number, height: number] {
    if (item === null || typeof item !== 'object' || childrenOf(item) === undefined) return [1, 0];
    const cached = cache.get(item);
    const deep = `containers nested more than ${MAX_NESTING} levels deep`;
    if (cached) {
      if (depth + cached[1] > MAX_NESTING) this.fail(deep);
      return cached;
    }
    if (depth >= MAX_NESTING) this.fail(deep);
    if (inProgress.has(item)) this.fail('a container contains itself (cyclic reference)');
    inProgress.add(item);
    let size = 1;
    let height = 1;
    for (const child of childrenOf(item) ?? []) {
      const [childSize, childHeight] = this.measure(child, depth + 1, inProgress, cache);
      size += childSize;
      height = Math.max(height, childHeight + 1);
      if (size > MAX_PICKLE_VALUES) {
        this.fail(`the data expands to more than ${MAX_PICKLE_VALUES} values`);
      }
    }
    inProgress.delete(item);
    const result: [number, number] = [size, height];
    cache.set(item, result);
    return result;
  }

  /** Copies a measured graph into plain values: shared references become independent copies. */
  toValue(item: Item): PickleValue {
    if (item === null || typeof item !== 'object') return item;
    if (item instanceof PickleString2) return this.#pythonTwoString(item.bytes);
    if (item instanceof PickleDict) {
      const entries = [...item.entries.values()];
      if (entries.every(([key]) => typeof key === 'string' || key instanceof PickleString2)) {
        const out: { [key: string]: PickleValue } = {};
        for (const [key, entry] of entries) defineOwn(out, this.toValue(key) as string, this.toValue(entry));
        return out;
      }
      // Keys were checked hashable (canonicalKey): scalars, Python types and tuples of them.
      return new Map(entries.map(([key, entry]) => [this.toValue(key) as PickleKey, this.toValue(entry)]));
    }
    if (item instanceof PickleSet) {
      const values = item.items.map((entry) => this.toValue(entry) as PickleKey);
      return item.frozen ? new PythonFrozenSet(values) : new Set(values);
    }
    if (item instanceof PickleList || item instanceof PickleTuple) return item.items.map((entry) => this.toValue(entry));
    if (item instanceof PickleBytes) {
      return this.fail('bytes values are not supported (bytes are only read as the state of a datetime or date)');
    }
    if (item instanceof PickleGlobal) return this.fail(`${item.name} can only be called, it is no value`);
    return item;
  }
}

/**
 * Reads a pickle (protocols 0 to 5) restricted to plain data, reporting errors on `field`.
 * @internal
 */
export function readPickle(bytes: Uint8Array, field: string | undefined, python = false): PickleValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new SerializationError(`${field ?? 'pickle'}: expected a Uint8Array of pickle bytes`, {
      field,
    });
  }
  const reader = new PickleReader(bytes, field, python);
  const root = reader.read();
  // Recursion below is bounded: measure() stops at MAX_NESTING levels before toValue() runs.
  reader.measure(root, 0, new Set(), new Map());
  return reader.toValue(root);
}

export interface PickleLoadsOptions {
  /**
   * Also read what Stream Framework deployments commonly pickle in `extra_context`: dicts with
   * non-str keys (as a `Map`), set and frozenset (`Set`, `PythonFrozenSet`), and naive
   * `datetime.datetime`, `datetime.date`, `datetime.timedelta` (`PythonDateTime`, `PythonDate`,
   * `PythonTimedelta`). Only these classes may be named (GLOBAL / STACK_GLOBAL) and only called
   * (REDUCE) with the arguments Python's pickler writes for them; every other class or function
   * is still refused. Default false.
   */
  pythonTypes?: boolean;
}

/**
 * Reads a pickle written by Python (protocols 0 to 5), accepting only plain data: dicts with
 * string keys, lists, tuples (read as arrays), str, Python 2 str (UTF-8 if valid, else latin1),
 * int (a `number` when safe, else a `bigint`), float, bool and None (plus, with `pythonTypes`,
 * the types listed there). Nothing is executed: any other opcode (GLOBAL, REDUCE, BUILD, INST,
 * OBJ, NEWOBJ, bytes, sets...) is refused.
 *
 * @throws SerializationError naming the opcode and offset for refused opcodes, truncated or
 *   malformed data, trailing bytes after STOP, nesting deeper than 100 levels or data expanding
 *   to more than 100 000 values
 */
export function pickleLoads(bytes: Uint8Array, options: PickleLoadsOptions = {}): PickleValue {
  return readPickle(bytes, undefined, options.pythonTypes === true);
}
