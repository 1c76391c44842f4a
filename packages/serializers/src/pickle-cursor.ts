import { SerializationError } from '@sf/activity';

/** Throws the SerializationError of a refused pickle, at a byte offset when there is one. */
export type Fail = (message: string, offset?: number) => never;

/** Errors name `field` when the pickle is part of a larger value (`extraContext: pickle: ...`). */
export function failOn(field: string | undefined): Fail {
  return (message, offset) => {
    const where = offset === undefined ? '' : ` at offset ${offset}`;
    const prefix = field === undefined ? 'pickle' : `${field}: pickle`;
    throw new SerializationError(`${prefix}: ${message}${where}`, { field });
  };
}

/**
 * Reads the arguments of pickle opcodes off the bytes: little-endian integers, counted byte runs
 * and newline-ended lines (protocol 0), refusing reads past the end. `offset` in every method is
 * where the opcode started, for the error.
 */
export class PickleCursor {
  /** The next byte to read. */
  pos = 0;
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #fail: Fail;

  constructor(bytes: Uint8Array, fail: Fail) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#fail = fail;
  }

  take(count: number, what: string, offset: number): number {
    if (count > this.bytes.length - this.pos) {
      this.#fail(
        `truncated data: ${what} needs ${count} bytes, ${this.bytes.length - this.pos} left`,
        offset,
      );
    }
    const start = this.pos;
    this.pos += count;
    return start;
  }

  u8(offset: number): number {
    return this.bytes[this.take(1, 'argument', offset)]!;
  }

  u16(offset: number): number {
    return this.#view.getUint16(this.take(2, 'argument', offset), true);
  }

  u32(offset: number): number {
    return this.#view.getUint32(this.take(4, 'argument', offset), true);
  }

  i32(offset: number): number {
    return this.#view.getInt32(this.take(4, 'argument', offset), true);
  }

  u64(offset: number, what: string): number {
    const value = this.#view.getBigUint64(this.take(8, 'argument', offset), true);
    if (value > BigInt(this.bytes.length))
      this.#fail(`${what} length ${value} exceeds the data`, offset);
    return Number(value);
  }

  float64(offset: number): number {
    return this.#view.getFloat64(this.take(8, 'BINFLOAT', offset), false);
  }

  run(count: number, offset: number): Uint8Array {
    const start = this.take(count, 'argument', offset);
    return this.bytes.subarray(start, start + count);
  }

  line(offset: number): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end === -1) this.#fail('truncated data: line argument without a newline', offset);
    let text = '';
    for (let i = this.pos; i < end; i++) text += String.fromCharCode(this.bytes[i]!);
    this.pos = end + 1;
    return text;
  }

  lineBytes(offset: number): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end === -1) this.#fail('truncated data: line argument without a newline', offset);
    const line = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return line;
  }
}
