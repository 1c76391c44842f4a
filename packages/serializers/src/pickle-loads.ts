// Over ~400 lines for one reason: the opcode switch of PickleReader.read is the pickle machine
// itself, one case per opcode as in CPython's load_* functions; split, a reader could not check
// it against the spec in one place. Everything else is elsewhere: argument bytes
// (pickle-cursor.ts), protocol 0 text and numbers (pickle-text.ts), checking and copying the
// result (pickle-graph.ts), Python types (pickle-python.ts).
import { SerializationError } from '@sf/activity';
import { type Fail, PickleCursor, failOn } from './pickle-cursor.js';
import { measure, toValue } from './pickle-graph.js';
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
  describeItem,
} from './pickle-items.js';
import { ALLOWED_GLOBALS, canonicalKey, reduce } from './pickle-python.js';
import {
  MAX_INT_BYTES,
  decimal,
  floatText,
  intValue,
  longValue,
  memoIndex,
  pythonTwoString,
  quotedString,
  rawUnicodeEscape,
} from './pickle-text.js';
import type { PickleValue } from './pickle-value.js';
import { decodeUtf8 } from './utf8.js';

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

/**
 * The pickle machine: runs the opcodes over a stack, a mark stack and a memo, building the
 * value as a graph of `Item`s (pickle-items.ts), which readPickle then checks and copies
 * (pickle-graph.ts). Argument bytes come from a PickleCursor, protocol 0 text arguments are
 * decoded by pickle-text.ts.
 */
class PickleReader {
  #stack: Item[] = [];
  readonly #metastack: Item[][] = [];
  readonly #memo = new Map<number, Item>();
  readonly #in: PickleCursor;
  readonly fail: Fail;

  constructor(
    bytes: Uint8Array,
    field: string | undefined,
    private readonly python: boolean,
  ) {
    this.fail = failOn(field);
    this.#in = new PickleCursor(bytes, this.fail);
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
      (item) => pythonTwoString(item.bytes),
      (message) => this.fail(message, offset),
    );
  }

  /** A Python 2 str: kept as bytes with `pythonTypes` (a datetime's state needs them). */
  #string2(bytes: Uint8Array): Item {
    return this.python ? new PickleString2(bytes) : pythonTwoString(bytes);
  }

  #name(item: Item, offset: number): string {
    if (typeof item === 'string') return item;
    if (item instanceof PickleString2) return pythonTwoString(item.bytes);
    return this.fail(
      `STACK_GLOBAL needs a module and a name as str, got ${describeItem(item)}`,
      offset,
    );
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

  #unicode(bytes: Uint8Array, offset: number): string {
    const text = decodeUtf8(bytes, true);
    if (text === undefined) this.fail('invalid UTF-8 in a string', offset);
    return text;
  }

  read(): Item {
    const cursor = this.#in;
    const bytes = cursor.bytes;
    for (;;) {
      if (cursor.pos >= bytes.length) this.fail('truncated data: no STOP opcode', cursor.pos);
      const offset = cursor.pos;
      const op = bytes[cursor.pos++]!;
      if (!this.python && PYTHON_OPS.has(op)) {
        this.fail(`opcode ${describeOpcode(op)} is not allowed (${ALLOWED})`, offset);
      }
      switch (op) {
        case Op.PROTO: {
          const protocol = this.#in.u8(offset);
          if (protocol > 5) this.fail(`unsupported pickle protocol ${protocol}`, offset);
          break;
        }
        case Op.FRAME: {
          const length = this.#in.u64(offset, 'FRAME');
          if (length > bytes.length - cursor.pos)
            this.fail(`FRAME of ${length} bytes exceeds the remaining data`, offset);
          break;
        }
        case Op.STOP: {
          if (this.#metastack.length > 0) this.fail('STOP with an unclosed MARK', offset);
          if (this.#stack.length !== 1)
            this.fail(`STOP with ${this.#stack.length} values on the stack (expected 1)`, offset);
          if (cursor.pos !== bytes.length)
            this.fail(`${bytes.length - cursor.pos} bytes of garbage after STOP`, cursor.pos);
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
          const text = this.#in.line(offset);
          if (text === '01') this.#push(true);
          else if (text === '00') this.#push(false);
          else this.#push(intValue(decimal(text, offset, 'INT', this.fail)));
          break;
        }
        case Op.LONG: {
          const text = this.#in.line(offset);
          this.#push(
            intValue(
              decimal(text.endsWith('L') ? text.slice(0, -1) : text, offset, 'LONG', this.fail),
            ),
          );
          break;
        }
        case Op.BININT:
          this.#push(this.#in.i32(offset));
          break;
        case Op.BININT1:
          this.#push(this.#in.u8(offset));
          break;
        case Op.BININT2:
          this.#push(this.#in.u16(offset));
          break;
        case Op.LONG1:
        case Op.LONG4: {
          const count = op === Op.LONG1 ? this.#in.u8(offset) : this.#in.i32(offset);
          if (count < 0) this.fail('negative byte count for LONG4', offset);
          if (count > MAX_INT_BYTES)
            this.fail(`integer of ${count} bytes is too large (max ${MAX_INT_BYTES})`, offset);
          this.#push(longValue(this.#in.run(count, offset)));
          break;
        }
        case Op.FLOAT:
          this.#push(floatText(this.#in.line(offset), offset, this.fail));
          break;
        case Op.BINFLOAT:
          this.#push(this.#in.float64(offset));
          break;
        case Op.STRING:
          this.#push(this.#string2(quotedString(this.#in.lineBytes(offset), offset, this.fail)));
          break;
        case Op.BINSTRING: {
          const count = this.#in.i32(offset);
          if (count < 0) this.fail('negative length for BINSTRING', offset);
          this.#push(this.#string2(this.#in.run(count, offset)));
          break;
        }
        case Op.SHORT_BINSTRING:
          this.#push(this.#string2(this.#in.run(this.#in.u8(offset), offset)));
          break;
        case Op.SHORT_BINBYTES:
          this.#push(new PickleBytes(this.#in.run(this.#in.u8(offset), offset)));
          break;
        case Op.BINBYTES:
          this.#push(new PickleBytes(this.#in.run(this.#in.u32(offset), offset)));
          break;
        case Op.BINBYTES8:
          this.#push(new PickleBytes(this.#in.run(this.#in.u64(offset, 'BINBYTES8'), offset)));
          break;
        case Op.GLOBAL: {
          const module = this.#in.line(offset);
          this.#push(this.#global(module, this.#in.line(offset), op, offset));
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
          this.#push(
            reduce(callable, args, (message) => this.fail(`REDUCE (0x52 'R'): ${message}`, offset)),
          );
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
          this.#push(rawUnicodeEscape(this.#in.lineBytes(offset), offset, this.fail));
          break;
        case Op.BINUNICODE:
          this.#push(this.#unicode(this.#in.run(this.#in.u32(offset), offset), offset));
          break;
        case Op.SHORT_BINUNICODE:
          this.#push(this.#unicode(this.#in.run(this.#in.u8(offset), offset), offset));
          break;
        case Op.BINUNICODE8:
          this.#push(
            this.#unicode(this.#in.run(this.#in.u64(offset, 'BINUNICODE8'), offset), offset),
          );
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
          this.#memoPut(memoIndex(this.#in.line(offset), offset, this.fail), offset);
          break;
        case Op.BINPUT:
          this.#memoPut(this.#in.u8(offset), offset);
          break;
        case Op.LONG_BINPUT:
          this.#memoPut(this.#in.u32(offset), offset);
          break;
        case Op.MEMOIZE:
          this.#memoPut(this.#memo.size, offset);
          break;
        case Op.GET:
          this.#memoGet(memoIndex(this.#in.line(offset), offset, this.fail), offset);
          break;
        case Op.BINGET:
          this.#memoGet(this.#in.u8(offset), offset);
          break;
        case Op.LONG_BINGET:
          this.#memoGet(this.#in.u32(offset), offset);
          break;
        default:
          this.fail(`opcode ${describeOpcode(op)} is not allowed (${ALLOWED})`, offset);
      }
    }
  }
}

/**
 * Reads a pickle (protocols 0 to 5) restricted to plain data, reporting errors on `field`.
 * @internal
 */
export function readPickle(
  bytes: Uint8Array,
  field: string | undefined,
  python = false,
): PickleValue {
  if (!(bytes instanceof Uint8Array)) {
    throw new SerializationError(`${field ?? 'pickle'}: expected a Uint8Array of pickle bytes`, {
      field,
    });
  }
  const reader = new PickleReader(bytes, field, python);
  const root = reader.read();
  // Recursion below is bounded: measure() stops at MAX_NESTING levels before toValue() runs.
  measure(root, 0, new Set(), new Map(), reader.fail);
  return toValue(root, reader.fail);
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
