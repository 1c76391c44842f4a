import { SerializationError } from '@sf/activity';

/**
 * UTF-8 with Python's `surrogatepass` handler: surrogate pairs become one 4-byte sequence, a lone
 * surrogate becomes its 3-byte encoding (as `str.encode('utf-8', 'surrogatepass')`, which pickle
 * uses). `TextEncoder` would replace lone surrogates with U+FFFD instead.
 */
export function encodeUtf8(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 3);
  let length = 0;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
        i++;
      }
    }
    if (code < 0x80) {
      out[length++] = code;
    } else if (code < 0x800) {
      out[length++] = 0xc0 | (code >> 6);
      out[length++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      out[length++] = 0xe0 | (code >> 12);
      out[length++] = 0x80 | ((code >> 6) & 0x3f);
      out[length++] = 0x80 | (code & 0x3f);
    } else {
      out[length++] = 0xf0 | (code >> 18);
      out[length++] = 0x80 | ((code >> 12) & 0x3f);
      out[length++] = 0x80 | ((code >> 6) & 0x3f);
      out[length++] = 0x80 | (code & 0x3f);
    }
  }
  return out.subarray(0, length);
}

/**
 * Strict UTF-8 decoding (no overlong forms, nothing above U+10FFFF, no truncated sequences).
 * With `surrogatePass`, encoded surrogates (ED A0..BF xx) decode to lone surrogates as Python's
 * `surrogatepass` does. Returns undefined for invalid input.
 */
export function decodeUtf8(bytes: Uint8Array, surrogatePass: boolean): string | undefined {
  const units: number[] = [];
  let text = '';
  for (let i = 0; i < bytes.length;) {
    const b0 = bytes[i]!;
    let code: number;
    let size: number;
    if (b0 < 0x80) {
      code = b0;
      size = 1;
    } else if (b0 >= 0xc2 && b0 <= 0xdf) {
      size = 2;
      code = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      size = 3;
      code = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      size = 4;
      code = b0 & 0x07;
    } else {
      return undefined;
    }
    if (i + size > bytes.length) return undefined;
    for (let k = 1; k < size; k++) {
      const b = bytes[i + k]!;
      if ((b & 0xc0) !== 0x80) return undefined;
      code = (code << 6) | (b & 0x3f);
    }
    if (size === 3 && code < 0x800) return undefined;
    if (size === 4 && (code < 0x10000 || code > 0x10ffff)) return undefined;
    if (code >= 0xd800 && code <= 0xdfff && !surrogatePass) return undefined;
    if (code >= 0x10000) {
      code -= 0x10000;
      units.push(0xd800 + (code >> 10), 0xdc00 + (code & 0x3ff));
    } else {
      units.push(code);
    }
    i += size;
    if (units.length >= 8192) {
      text += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return text + String.fromCharCode(...units);
}

/** Bytes to a string with one char (0-255) per byte, as Python's `bytes.decode('latin1')`. */
export function bytesToLatin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return text;
}

/**
 * A string of chars 0-255 back to bytes (Python's `str.encode('latin1')`).
 * @throws SerializationError when a char is above U+00FF
 */
export function latin1ToBytes(text: string, field: string): Uint8Array {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) {
      throw new SerializationError(
        `${field}: char U+${code.toString(16).toUpperCase().padStart(4, '0')} at index ${i} is not a latin1 byte (the pickle part must hold one char 0-255 per byte)`,
        { field },
      );
    }
    bytes[i] = code;
  }
  return bytes;
}
