/**
 * An independent pickle writer for the property tests: it encodes a value with opcodes picked at
 * random from everything Python's pickler (protocols 0 to 5, Python 2 included) may write for
 * plain data: text and binary ints, longs, floats, Python 2 and 3 strings, lists, tuples, dicts
 * (one item at a time, in batches, or built from a MARK), memo PUTs / MEMOIZE and GETs of earlier
 * values, PROTO and FRAME. It returns the bytes, the value a correct reader must produce, and the
 * offsets of every opcode (where the tests splice in forbidden ones).
 */

import {
  OP,
  ascii,
  encodeLong,
  floatText,
  hasLoneSurrogate,
  le,
  prng,
  quoted,
  rawUnicodeEscape,
  utf8,
} from './pickle-bytes.js';

export type Plain = null | boolean | number | bigint | string | Plain[] | { [key: string]: Plain };

export interface EncodedPickle {
  bytes: Uint8Array;
  /** What a correct reader returns (ints as numbers when safe, tuples as arrays, shared values as copies). */
  value: Plain;
  /** Offset of every opcode, STOP included. */
  opcodeOffsets: number[];
}

export function encodePickle(value: Plain, seed: number): EncodedPickle {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const body: number[] = [];
  const offsets: number[] = [];
  const memo: Plain[] = [];
  const op = (code: number, ...args: number[]) => {
    offsets.push(body.length);
    body.push(code, ...args);
  };

  const normalize = (v: bigint): number | bigint =>
    v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;

  const memoize = (v: Plain) => {
    if (random() >= 0.3) return;
    const index = memo.length;
    memo.push(v);
    const kind = pick(['PUT', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE'] as const);
    if (kind === 'PUT') op(OP.PUT, ...ascii(`${index}\n`));
    else if (kind === 'BINPUT' && index < 256) op(OP.BINPUT, index);
    else if (kind === 'LONG_BINPUT' || kind === 'BINPUT') op(OP.LONG_BINPUT, ...le(index, 4));
    else op(OP.MEMOIZE);
  };

  const integer = (v: bigint) => {
    const choices: Array<() => void> = [
      () => op(OP.INT, ...ascii(`${v}\n`)),
      () => op(OP.LONG, ...ascii(`${v}L\n`)),
      () => {
        const bytes = encodeLong(v);
        if (bytes.length < 256) op(OP.LONG1, bytes.length, ...bytes);
        else op(OP.LONG4, ...le(bytes.length, 4), ...bytes);
      },
      () => {
        const bytes = encodeLong(v);
        op(OP.LONG4, ...le(bytes.length, 4), ...bytes);
      },
    ];
    // "I01\n" and "I00\n" are Python 2's True and False, never ints.
    if (v === 0n || v === 1n) choices.shift();
    if (v >= -(2n ** 31n) && v < 2n ** 31n)
      choices.push(() => op(OP.BININT, ...le(Number(BigInt.asUintN(32, v)), 4)));
    if (v >= 0n && v < 256n) choices.push(() => op(OP.BININT1, Number(v)));
    if (v >= 0n && v < 65536n) choices.push(() => op(OP.BININT2, ...le(Number(v), 2)));
    pick(choices)();
  };

  const string = (v: string) => {
    const data = utf8(v);
    const choices: Array<() => void> = [
      () => op(OP.UNICODE, ...rawUnicodeEscape(v), 0x0a),
      () => op(OP.BINUNICODE, ...le(data.length, 4), ...data),
      () => op(OP.BINUNICODE8, ...le(data.length, 8), ...data),
    ];
    if (data.length < 256) choices.push(() => op(OP.SHORT_BINUNICODE, data.length, ...data));
    // Python 2 str: read as UTF-8 when valid, so only for strings without lone surrogates.
    if (!hasLoneSurrogate(v)) {
      choices.push(() => op(OP.STRING, ...quoted(data, random), 0x0a));
      choices.push(() => op(OP.BINSTRING, ...le(data.length, 4), ...data));
      if (data.length < 256) choices.push(() => op(OP.SHORT_BINSTRING, data.length, ...data));
    }
    pick(choices)();
  };

  const items = (list: Plain[]): Plain[] => list.map((item) => emit(item));

  const emit = (v: Plain, isKey = false): Plain => {
    // Sometimes a GET of an earlier complete value instead (the reader must copy it); keys only
    // reuse strings.
    const reusable = memo.flatMap((entry, index) =>
      !isKey || typeof entry === 'string' ? [index] : [],
    );
    if (reusable.length > 0 && random() < 0.1) {
      const index = reusable[Math.floor(random() * reusable.length)]!;
      const kind = pick(['GET', 'BINGET', 'LONG_BINGET'] as const);
      if (kind === 'GET') op(OP.GET, ...ascii(`${index}\n`));
      else if (kind === 'BINGET' && index < 256) op(OP.BINGET, index);
      else op(OP.LONG_BINGET, ...le(index, 4));
      return memo[index]!;
    }
    let result: Plain;
    if (v === null) {
      op(OP.NONE);
      result = null;
    } else if (typeof v === 'boolean') {
      if (random() < 0.5) op(v ? OP.NEWTRUE : OP.NEWFALSE);
      else op(OP.INT, ...ascii(v ? '01\n' : '00\n'));
      result = v;
    } else if (typeof v === 'bigint') {
      integer(v);
      result = normalize(v);
    } else if (typeof v === 'number') {
      result = v;
      if (Number.isSafeInteger(v) && random() < 0.7) {
        integer(BigInt(v));
        result = Number(v) + 0; // an int: -0 is 0
      } else if (random() < 0.5) op(OP.FLOAT, ...ascii(`${floatText(v)}\n`));
      else {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, v, false);
        op(OP.BINFLOAT, ...new Uint8Array(view.buffer));
      }
    } else if (typeof v === 'string') {
      string(v);
      result = v;
    } else if (Array.isArray(v)) {
      result = random() < 0.3 ? tuple(v) : list(v);
    } else {
      result = dict(Object.entries(v));
    }
    memoize(result);
    return result;
  };

  const list = (v: Plain[]): Plain[] => {
    const how = pick(['append', 'appends', 'mark-list'] as const);
    if (how === 'mark-list') {
      op(OP.MARK);
      const out = items(v);
      op(OP.LIST);
      return out;
    }
    op(OP.EMPTY_LIST);
    const out: Plain[] = [];
    if (how === 'append') {
      for (const item of v) {
        out.push(emit(item));
        op(OP.APPEND);
      }
      return out;
    }
    for (let i = 0; i < v.length || (i === 0 && random() < 0.2);) {
      const size = 1 + Math.floor(random() * 3);
      op(OP.MARK);
      out.push(...items(v.slice(i, i + size)));
      op(OP.APPENDS);
      i += size;
    }
    return out;
  };

  const tuple = (v: Plain[]): Plain[] => {
    if (v.length === 0 && random() < 0.7) {
      op(OP.EMPTY_TUPLE);
      return [];
    }
    if (v.length >= 1 && v.length <= 3 && random() < 0.6) {
      const out = items(v);
      op([OP.TUPLE1, OP.TUPLE2, OP.TUPLE3][v.length - 1]!);
      return out;
    }
    op(OP.MARK);
    const out = items(v);
    op(OP.TUPLE);
    return out;
  };

  const dict = (entries: Array<[string, Plain]>): Plain => {
    const out: { [key: string]: Plain } = {};
    const set = (key: string, value: Plain) =>
      Object.defineProperty(out, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    const pair = ([key, value]: [string, Plain]) => {
      const k = emit(key, true);
      set(k as string, emit(value));
    };
    // A repeated key: the last value wins, as in Python.
    if (entries.length > 0 && random() < 0.1) entries = [...entries, [entries[0]![0], null]];
    const how = pick(['setitem', 'setitems', 'mark-dict'] as const);
    if (how === 'mark-dict') {
      op(OP.MARK);
      entries.forEach(pair);
      op(OP.DICT);
      return out;
    }
    op(OP.EMPTY_DICT);
    if (how === 'setitem') {
      for (const entry of entries) {
        pair(entry);
        op(OP.SETITEM);
      }
      return out;
    }
    for (let i = 0; i < entries.length;) {
      const size = 1 + Math.floor(random() * 3);
      op(OP.MARK);
      entries.slice(i, i + size).forEach(pair);
      op(OP.SETITEMS);
      i += size;
    }
    return out;
  };

  const result = emit(value);
  op(OP.STOP);

  // Header: nothing (protocol 0/1), PROTO n, and for protocol 4+ sometimes a FRAME around the body.
  const protocol = Math.floor(random() * 7) - 1;
  const header: number[] = [];
  if (protocol >= 0) header.push(OP.PROTO, Math.min(protocol, 5));
  const framed = protocol >= 4 && random() < 0.7;
  const headerOffsets = protocol >= 0 ? [0] : [];
  if (framed) {
    headerOffsets.push(header.length);
    header.push(OP.FRAME, ...le(body.length, 8));
  }
  return {
    bytes: Uint8Array.from([...header, ...body]),
    value: result,
    opcodeOffsets: [...headerOffsets, ...offsets.map((offset) => offset + header.length)],
  };
}

/** Forbidden opcodes with plausible arguments (what an attacker would send). */
export const forbiddenOpcodes: ReadonlyArray<{ name: string; bytes: number[] }> = [
  { name: 'GLOBAL', bytes: [0x63, ...ascii('os\nsystem\n')] },
  { name: 'STACK_GLOBAL', bytes: [0x93] },
  { name: 'REDUCE', bytes: [0x52] },
  { name: 'BUILD', bytes: [0x62] },
  { name: 'INST', bytes: [0x69, ...ascii('os\nsystem\n')] },
  { name: 'OBJ', bytes: [0x6f] },
  { name: 'NEWOBJ', bytes: [0x81] },
  { name: 'NEWOBJ_EX', bytes: [0x92] },
  { name: 'PERSID', bytes: [0x50, ...ascii('x\n')] },
  { name: 'BINPERSID', bytes: [0x51] },
  { name: 'EXT1', bytes: [0x82, 1] },
  { name: 'EXT2', bytes: [0x83, 1, 0] },
  { name: 'EXT4', bytes: [0x84, 1, 0, 0, 0] },
  { name: 'BINBYTES', bytes: [0x42, 1, 0, 0, 0, 0x41] },
  { name: 'SHORT_BINBYTES', bytes: [0x43, 1, 0x41] },
  { name: 'BINBYTES8', bytes: [0x8e, 1, 0, 0, 0, 0, 0, 0, 0, 0x41] },
  { name: 'BYTEARRAY8', bytes: [0x96, 1, 0, 0, 0, 0, 0, 0, 0, 0x41] },
  { name: 'EMPTY_SET', bytes: [0x8f] },
  { name: 'ADDITEMS', bytes: [0x90] },
  { name: 'FROZENSET', bytes: [0x91] },
  { name: 'NEXT_BUFFER', bytes: [0x97] },
  { name: 'READONLY_BUFFER', bytes: [0x98] },
  { name: 'POP', bytes: [0x30] },
  { name: 'POP_MARK', bytes: [0x31] },
  { name: 'DUP', bytes: [0x32] },
];
