/**
 * The byte-level pieces of the pickle writers of the property tests (pickle-encoder.ts and
 * python-pickle-encoder.ts): opcodes, little-endian and long integers, UTF-8 with surrogatepass,
 * protocol 0 string escapes, and a seeded PRNG so that a fast-check seed reproduces a pickle.
 */

/** A small deterministic PRNG (mulberry32), so a fast-check seed reproduces the pickle. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  FLOAT: 0x46,
  INT: 0x49,
  BININT: 0x4a,
  BININT1: 0x4b,
  LONG: 0x4c,
  BININT2: 0x4d,
  NONE: 0x4e,
  STRING: 0x53,
  BINSTRING: 0x54,
  SHORT_BINSTRING: 0x55,
  UNICODE: 0x56,
  BINUNICODE: 0x58,
  APPEND: 0x61,
  DICT: 0x64,
  EMPTY_DICT: 0x7d,
  APPENDS: 0x65,
  GET: 0x67,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  EMPTY_LIST: 0x5d,
  PUT: 0x70,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  EMPTY_TUPLE: 0x29,
  SETITEMS: 0x75,
  BINFLOAT: 0x47,
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  MEMOIZE: 0x94,
  FRAME: 0x95,
} as const;

export const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

export function le(value: number, bytes: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

/** Two's complement little endian in the fewest bytes (Python's encode_long); 0 is empty. */
export function encodeLong(value: bigint): number[] {
  if (value === 0n) return [];
  let count = 1;
  while (value < -(1n << BigInt(count * 8 - 1)) || value >= 1n << BigInt(count * 8 - 1)) count++;
  let unsigned = BigInt.asUintN(count * 8, value);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    out.push(Number(unsigned & 0xffn));
    unsigned >>= 8n;
  }
  return out;
}

/** UTF-8 with surrogatepass (lone surrogates as 3 bytes), as pickle writes str. */
export function utf8(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (code < 0x80) out.push(code);
    else if (code < 0x800) out.push(0xc0 | (code >> 6), 0x80 | (code & 0x3f));
    else if (code < 0x10000)
      out.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f));
    else
      out.push(
        0xf0 | (code >> 18),
        0x80 | ((code >> 12) & 0x3f),
        0x80 | ((code >> 6) & 0x3f),
        0x80 | (code & 0x3f),
      );
  }
  return out;
}

export function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/** Protocol 0 UNICODE argument: Python's save_str escapes, then raw-unicode-escape. */
export function rawUnicodeEscape(text: string): number[] {
  const out: number[] = [];
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code === 0x5c || code === 0 || code === 0x0a || code === 0x0d || code === 0x1a) {
      out.push(...ascii(`\\u${code.toString(16).padStart(4, '0')}`));
    } else if (code < 0x100) out.push(code);
    else if (code < 0x10000) out.push(...ascii(`\\u${code.toString(16).padStart(4, '0')}`));
    else out.push(...ascii(`\\U${code.toString(16).padStart(8, '0')}`));
  }
  return out;
}

/** Protocol 0 STRING argument: a quoted Python 2 literal of the UTF-8 bytes. */
export function quoted(bytes: number[], random: () => number): number[] {
  const quote = random() < 0.5 ? 0x27 : 0x22;
  const out = [quote];
  for (const b of bytes) {
    if (b === 0x5c) out.push(0x5c, 0x5c);
    else if (b === quote) out.push(0x5c, quote);
    else if (b === 0x0a) out.push(0x5c, 0x6e);
    else if (b < 0x20 || b >= 0x7f) {
      if (random() < 0.5) out.push(...ascii(`\\x${b.toString(16).padStart(2, '0')}`));
      else out.push(0x5c, ...ascii(b.toString(8).padStart(3, '0')));
    } else out.push(b);
  }
  out.push(quote);
  return out;
}

export function floatText(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  if (Object.is(value, -0)) return '-0.0';
  return String(value);
}
