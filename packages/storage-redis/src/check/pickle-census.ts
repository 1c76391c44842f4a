/**
 * A census of what a Python pickle holds, for the migration check: it walks the opcodes with a
 * stack of type tags (never building values, never executing anything) and counts what Python
 * deployments put in `extra_context` that plain JSON-like data does not cover: datetimes (any
 * object of the `datetime` module), sets, dicts with int keys, ints beyond 2^53, other objects.
 */

import { SfError } from '@sf/activity';

/** What one pickle holds, by finding: `datetime`, `set`, `int-keyed-dict`, `big-int`, `object:<module.name>`. */
export type PickleCensus = Map<string, number>;

type Tag =
  | { t: 'int'; big: boolean }
  | { t: 'str'; v: string }
  | { t: 'scalar' }
  | { t: 'list' }
  | { t: 'tuple'; items: Tag[] }
  | { t: 'dict'; counted: boolean }
  | { t: 'global'; name: string }
  | { t: 'object'; name: string }
  | { t: 'mark' };

const SCALAR: Tag = { t: 'scalar' };
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The walker failed: the pickle is truncated or uses opcodes a data pickle never has. */
export class PickleCensusError extends SfError {
  constructor(message: string) {
    super('SF_PICKLE_CENSUS', message);
  }
}

class Walker {
  #pos = 0;
  readonly #stack: Tag[] = [];
  readonly #memo = new Map<number, Tag>();
  readonly census: PickleCensus = new Map();

  constructor(private readonly bytes: Uint8Array) {}

  #count(finding: string): void {
    this.census.set(finding, (this.census.get(finding) ?? 0) + 1);
  }

  #take(n: number): Uint8Array {
    if (n < 0 || this.#pos + n > this.bytes.length)
      throw new PickleCensusError(`truncated pickle at offset ${this.#pos}`);
    const slice = this.bytes.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return slice;
  }

  #uint(n: number): number {
    const b = this.#take(n);
    let value = 0;
    for (let i = n - 1; i >= 0; i--) value = value * 256 + b[i]!;
    return value;
  }

  #line(): string {
    const end = this.bytes.indexOf(0x0a, this.#pos);
    if (end < 0)
      throw new PickleCensusError(`truncated pickle: no end of line after offset ${this.#pos}`);
    const text = Buffer.from(this.bytes.subarray(this.#pos, end)).toString('latin1');
    this.#pos = end + 1;
    return text;
  }

  #text(n: number): string {
    return Buffer.from(this.#take(n)).toString('utf8');
  }

  #pop(): Tag {
    const tag = this.#stack.pop();
    if (tag === undefined) throw new PickleCensusError(`stack underflow at offset ${this.#pos}`);
    return tag;
  }

  #popMark(): Tag[] {
    const index = this.#stack.map((tag) => tag.t).lastIndexOf('mark');
    if (index < 0) throw new PickleCensusError(`no MARK at offset ${this.#pos}`);
    return this.#stack.splice(index).slice(1);
  }

  #int(value: bigint): Tag {
    const big = value > MAX_SAFE || value < -MAX_SAFE;
    if (big) this.#count('big-int');
    return { t: 'int', big };
  }

  #long(bytes: Uint8Array): Tag {
    let value = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
    if (bytes.length > 0 && bytes[bytes.length - 1]! >= 0x80)
      value -= 1n << BigInt(8 * bytes.length);
    return this.#int(value);
  }

  #setItems(dict: Tag, pairs: Tag[]): void {
    for (let i = 0; i < pairs.length; i += 2) {
      const key = pairs[i]!;
      if (dict.t === 'dict' && key.t === 'int' && !dict.counted) {
        dict.counted = true;
        this.#count('int-keyed-dict');
      }
    }
  }

  /** An object built by calling `callable` (REDUCE, NEWOBJ, INST, OBJ). */
  #object(callable: Tag): Tag {
    const name = callable.t === 'global' ? callable.name : 'unknown';
    if (name.startsWith('datetime.')) this.#count('datetime');
    else if (/^(builtins|__builtin__)\.(set|frozenset)$/.test(name)) this.#count('set');
    else this.#count(`object:${name}`);
    return { t: 'object', name };
  }

  run(): PickleCensus {
    for (;;) {
      const op = this.#take(1)[0]!;
      switch (op) {
        case 0x80:
          this.#take(1);
          break; // PROTO
        case 0x95:
          this.#take(8);
          break; // FRAME
        case 0x2e:
          return this.census; // STOP
        case 0x4e:
        case 0x88:
        case 0x89:
          this.#stack.push(SCALAR);
          break; // NONE NEWTRUE NEWFALSE
        case 0x49: {
          // INT (text; 00 / 01 are bools)
          const line = this.#line();
          this.#stack.push(line === '00' || line === '01' ? SCALAR : this.#int(BigInt(line)));
          break;
        }
        case 0x4c:
          this.#stack.push(this.#int(BigInt(this.#line().replace(/L$/, ''))));
          break; // LONG
        case 0x4a:
          this.#take(4);
          this.#stack.push({ t: 'int', big: false });
          break; // BININT
        case 0x4b:
          this.#take(1);
          this.#stack.push({ t: 'int', big: false });
          break; // BININT1
        case 0x4d:
          this.#take(2);
          this.#stack.push({ t: 'int', big: false });
          break; // BININT2
        case 0x8a:
          this.#stack.push(this.#long(this.#take(this.#uint(1))));
          break; // LONG1
        case 0x8b:
          this.#stack.push(this.#long(this.#take(this.#uint(4))));
          break; // LONG4
        case 0x46:
          this.#line();
          this.#stack.push(SCALAR);
          break; // FLOAT
        case 0x47:
          this.#take(8);
          this.#stack.push(SCALAR);
          break; // BINFLOAT
        case 0x53:
        case 0x56:
          this.#stack.push({ t: 'str', v: this.#line() });
          break; // STRING UNICODE
        case 0x54:
        case 0x58:
          this.#stack.push({ t: 'str', v: this.#text(this.#uint(4)) });
          break; // BINSTRING BINUNICODE
        case 0x55:
        case 0x8c:
          this.#stack.push({ t: 'str', v: this.#text(this.#uint(1)) });
          break; // SHORT_BINSTRING SHORT_BINUNICODE
        case 0x8d:
          this.#stack.push({ t: 'str', v: this.#text(this.#uint(8)) });
          break; // BINUNICODE8
        case 0x43:
          this.#take(this.#uint(1));
          this.#stack.push(SCALAR);
          break; // SHORT_BINBYTES
        case 0x42:
          this.#take(this.#uint(4));
          this.#stack.push(SCALAR);
          break; // BINBYTES
        case 0x8e:
        case 0x96:
          this.#take(this.#uint(8));
          this.#stack.push(SCALAR);
          break; // BINBYTES8 BYTEARRAY8
        case 0x7d:
          this.#stack.push({ t: 'dict', counted: false });
          break; // EMPTY_DICT
        case 0x5d:
          this.#stack.push({ t: 'list' });
          break; // EMPTY_LIST
        case 0x29:
          this.#stack.push({ t: 'tuple', items: [] });
          break; // EMPTY_TUPLE
        case 0x8f:
          this.#count('set');
          this.#stack.push({ t: 'object', name: 'builtins.set' });
          break; // EMPTY_SET
        case 0x28:
          this.#stack.push({ t: 'mark' });
          break; // MARK
        case 0x64: {
          // DICT
          const dict: Tag = { t: 'dict', counted: false };
          this.#setItems(dict, this.#popMark());
          this.#stack.push(dict);
          break;
        }
        case 0x6c:
          this.#popMark();
          this.#stack.push({ t: 'list' });
          break; // LIST
        case 0x74:
          this.#stack.push({ t: 'tuple', items: this.#popMark() });
          break; // TUPLE
        case 0x85:
        case 0x86:
        case 0x87: {
          // TUPLE1..3
          const items = Array.from({ length: op - 0x84 }, () => this.#pop()).reverse();
          this.#stack.push({ t: 'tuple', items });
          break;
        }
        case 0x91:
          this.#popMark();
          this.#count('set');
          this.#stack.push({ t: 'object', name: 'builtins.frozenset' });
          break; // FROZENSET
        case 0x61:
          this.#pop();
          break; // APPEND
        case 0x65:
        case 0x90:
          this.#popMark();
          break; // APPENDS ADDITEMS
        case 0x73: {
          // SETITEM
          const value = this.#pop();
          const key = this.#pop();
          this.#setItems(this.#peek(), [key, value]);
          break;
        }
        case 0x75: {
          // SETITEMS
          const pairs = this.#popMark();
          this.#setItems(this.#peek(), pairs);
          break;
        }
        case 0x70:
          this.#memo.set(Number(this.#line()), this.#peek());
          break; // PUT
        case 0x71:
          this.#memo.set(this.#uint(1), this.#peek());
          break; // BINPUT
        case 0x72:
          this.#memo.set(this.#uint(4), this.#peek());
          break; // LONG_BINPUT
        case 0x94:
          this.#memo.set(this.#memo.size, this.#peek());
          break; // MEMOIZE
        case 0x67:
          this.#stack.push(this.#get(Number(this.#line())));
          break; // GET
        case 0x68:
          this.#stack.push(this.#get(this.#uint(1)));
          break; // BINGET
        case 0x6a:
          this.#stack.push(this.#get(this.#uint(4)));
          break; // LONG_BINGET
        case 0x63: {
          // GLOBAL
          const module = this.#line();
          this.#stack.push({ t: 'global', name: `${module}.${this.#line()}` });
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.#pop();
          const module = this.#pop();
          this.#stack.push({
            t: 'global',
            name: `${module.t === 'str' ? module.v : '?'}.${name.t === 'str' ? name.v : '?'}`,
          });
          break;
        }
        case 0x52:
          this.#pop();
          this.#stack.push(this.#object(this.#pop()));
          break; // REDUCE
        case 0x81:
          this.#pop();
          this.#stack.push(this.#object(this.#pop()));
          break; // NEWOBJ
        case 0x92:
          this.#pop();
          this.#pop();
          this.#stack.push(this.#object(this.#pop()));
          break; // NEWOBJ_EX
        case 0x62:
          this.#pop();
          break; // BUILD (the object stays)
        case 0x69: {
          // INST
          const module = this.#line();
          const name = this.#line();
          this.#popMark();
          this.#stack.push(this.#object({ t: 'global', name: `${module}.${name}` }));
          break;
        }
        case 0x6f: {
          // OBJ
          const [callable = SCALAR] = this.#popMark();
          this.#stack.push(this.#object(callable));
          break;
        }
        case 0x30:
          this.#pop();
          break; // POP
        case 0x31:
          this.#popMark();
          break; // POP_MARK
        case 0x32:
          this.#stack.push(this.#peek());
          break; // DUP
        default:
          throw new PickleCensusError(
            `opcode 0x${op.toString(16).padStart(2, '0')} at offset ${this.#pos - 1} is not one of plain data or objects`,
          );
      }
    }
  }

  #peek(): Tag {
    const tag = this.#stack[this.#stack.length - 1];
    if (tag === undefined) throw new PickleCensusError(`empty stack at offset ${this.#pos}`);
    return tag;
  }

  #get(index: number): Tag {
    const tag = this.#memo.get(index);
    if (tag === undefined)
      throw new PickleCensusError(`memo ${index} read before it was written (offset ${this.#pos})`);
    return tag;
  }
}

/** Counts what a pickle holds; throws PickleCensusError for a malformed one. */
export function pickleCensus(bytes: Uint8Array): PickleCensus {
  try {
    return new Walker(bytes).run();
  } catch (error) {
    // e.g. an INT line that is no number: still a malformed pickle
    if (error instanceof PickleCensusError) throw error;
    throw new PickleCensusError(error instanceof Error ? error.message : String(error));
  }
}
