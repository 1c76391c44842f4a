import { latin1 } from './pickle-items.js';
import type { Fail } from './pickle-cursor.js';
import { decodeUtf8 } from './utf8.js';

/** Longest integer accepted: 4300 decimal digits (Python 3.11's own limit) or 4096 bytes. */
const MAX_INT_DIGITS = 4300;
export const MAX_INT_BYTES = 4096;

/** A Python int: a `number` when safe, else a `bigint`. */
export function intValue(value: bigint): number | bigint {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value;
}

/** An INT or LONG line: a decimal integer of at most 4300 digits. */
export function decimal(text: string, offset: number, what: string, fail: Fail): bigint {
  if (!/^[+-]?(0|[1-9][0-9]*)$/.test(text) || text.length > MAX_INT_DIGITS + 1) {
    fail(`invalid ${what} ${JSON.stringify(text.slice(0, 40))}`, offset);
  }
  return BigInt(text);
}

/** A PUT or GET line: a memo index. */
export function memoIndex(text: string, offset: number, fail: Fail): number {
  if (!/^(0|[1-9][0-9]{0,9})$/.test(text))
    fail(`invalid memo index ${JSON.stringify(text.slice(0, 40))}`, offset);
  return Number(text);
}

/** LONG1 / LONG4 bytes: a little-endian two's complement integer. */
export function longValue(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let hex = '';
  for (let i = bytes.length - 1; i >= 0; i--) hex += bytes[i]!.toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if (bytes[bytes.length - 1]! & 0x80) value -= 1n << BigInt(bytes.length * 8);
  return intValue(value);
}

/** A FLOAT line: Python's repr of a float (inf and nan included). */
export function floatText(text: string, offset: number, fail: Fail): number {
  const lower = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(lower)) return lower.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(lower)) return NaN;
  if (!/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(text)) {
    fail(`invalid FLOAT ${JSON.stringify(text.slice(0, 40))}`, offset);
  }
  return Number(text);
}

/** Python 2 `str`: UTF-8 when valid, else latin1. */
export function pythonTwoString(bytes: Uint8Array): string {
  return decodeUtf8(bytes, false) ?? latin1(bytes);
}

/** The argument of protocol 0 STRING: a quoted Python 2 literal (`codecs.escape_decode`). */
export function quotedString(line: Uint8Array, offset: number, fail: Fail): Uint8Array {
  const quote = line[0];
  if (line.length < 2 || (quote !== 0x27 && quote !== 0x22) || line[line.length - 1] !== quote) {
    fail('the STRING opcode argument must be quoted', offset);
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
    if (i >= body.length) fail('trailing \\ in a STRING', offset);
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
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail('invalid \\x escape in a STRING', offset);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(0x5c, e);
    }
  }
  return Uint8Array.from(out);
}

/** The argument of protocol 0 UNICODE: Python's `raw-unicode-escape` codec. */
export function rawUnicodeEscape(line: Uint8Array, offset: number, fail: Fail): string {
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
    for (let k = 0; k < count && i + k < line.length; k++) hex += String.fromCharCode(line[i + k]!);
    if (hex.length !== count || !/^[0-9a-fA-F]+$/.test(hex)) {
      fail(`truncated \\${count === 4 ? 'uXXXX' : 'UXXXXXXXX'} escape in a UNICODE string`, offset);
    }
    const code = parseInt(hex, 16);
    if (code > 0x10ffff) fail('\\U escape out of range in a UNICODE string', offset);
    codes.push(code);
    i += count;
  }
  let text = '';
  for (let i = 0; i < codes.length; i += 4096)
    text += String.fromCodePoint(...codes.slice(i, i + 4096));
  return text;
}
