import { Op } from './pickle-opcodes.js';

// CPython's _pickle.c constants.
const FRAME_SIZE_MIN = 4;
/** Frames are committed from this size on, and payloads of this size are written outside frames. */
export const FRAME_SIZE_TARGET = 64 * 1024;
const FRAME_HEADER_SIZE = 9;

/**
 * The bytes of a pickle being written, framed exactly as CPython's C pickler (`_pickle.c`, 3.11)
 * frames them: a frame is opened by the first write after the previous one was committed,
 * committed when it reaches 64 KiB at the start of saving the next value (`opcodeBoundary`),
 * and written without its header when under 4 bytes. Also counts the memo: `memoize` stores the
 * last value written under the next index, `get` writes a reference to one.
 */
export class PickleOutput {
  #buffer = new Uint8Array(256);
  #length = 0;
  #framing = false;
  #frameStart = -1;
  #memoSize = 0;

  constructor(private readonly protocol: number) {}

  /** The memo index the next `memoize` uses. */
  get memoSize(): number {
    return this.#memoSize;
  }

  /** Frames everything written from now on (protocol 4, after the PROTO opcode). */
  startFraming(): void {
    this.#framing = true;
  }

  #reserve(count: number): void {
    if (this.#length + count <= this.#buffer.length) return;
    let size = this.#buffer.length * 2;
    while (size < this.#length + count) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buffer.subarray(0, this.#length));
    this.#buffer = next;
  }

  write(bytes: ArrayLike<number>): void {
    const needFrame = this.#framing && this.#frameStart === -1;
    this.#reserve(bytes.length + (needFrame ? FRAME_HEADER_SIZE : 0));
    if (needFrame) {
      this.#frameStart = this.#length;
      this.#length += FRAME_HEADER_SIZE;
    }
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** Writes a large payload outside any frame (_Pickler_write_bytes). */
  writeOutsideFrame(...parts: ArrayLike<number>[]): void {
    this.commitFrame();
    const framing = this.#framing;
    this.#framing = false;
    for (const part of parts) this.write(part);
    this.#framing = framing;
  }

  commitFrame(): void {
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

  opcodeBoundary(): void {
    if (!this.#framing || this.#frameStart === -1) return;
    if (this.#length - this.#frameStart - FRAME_HEADER_SIZE >= FRAME_SIZE_TARGET)
      this.commitFrame();
  }

  memoize(): void {
    const index = this.#memoSize++;
    if (this.protocol >= 4) this.write([Op.MEMOIZE]);
    else if (index < 256) this.write([Op.BINPUT, index]);
    else
      this.write([
        Op.LONG_BINPUT,
        index & 0xff,
        (index >>> 8) & 0xff,
        (index >>> 16) & 0xff,
        index >>> 24,
      ]);
  }

  get(index: number): void {
    if (index < 256) this.write([Op.BINGET, index]);
    else
      this.write([
        Op.LONG_BINGET,
        index & 0xff,
        (index >>> 8) & 0xff,
        (index >>> 16) & 0xff,
        index >>> 24,
      ]);
  }

  /** The pickle written so far (a copy). */
  bytes(): Uint8Array {
    return this.#buffer.slice(0, this.#length);
  }
}

/** An int's opcodes: BININT1/2/BININT when it fits 32 bits, else LONG1/LONG4 (`pickle.encode_long`). */
export function intOpcodes(value: bigint): number[] {
  if (value >= -0x80000000n && value <= 0x7fffffffn) {
    const n = Number(value);
    if (n >= 0 && n <= 0xff) return [Op.BININT1, n];
    if (n >= 0 && n <= 0xffff) return [Op.BININT2, n & 0xff, n >> 8];
    return [Op.BININT, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >>> 24) & 0xff];
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
  const header =
    count < 256
      ? [Op.LONG1, count]
      : [Op.LONG4, count & 0xff, (count >>> 8) & 0xff, (count >>> 16) & 0xff, count >>> 24];
  return [...header, ...bytes];
}
