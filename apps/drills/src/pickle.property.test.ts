/**
 * Property tests of the restricted pickle reader and writer (`@sf/serializers`):
 * - pickles of allowed types, written by an independent encoder with every opcode variant Python
 *   may use for plain data, decode to the same values;
 * - the same pickles with any forbidden opcode spliced in (GLOBAL, REDUCE, BUILD, INST, OBJ, ...)
 *   are refused with a SerializationError naming it;
 * - garbage bytes load as plain data or throw SerializationError, never anything else, never hang;
 * - pickleDumps output reads back to the value, and is a fixed point.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SerializationError } from '@sf/activity';
import { pickleDumps, pickleLoads } from '@sf/serializers';
import type { PickleValue } from '@sf/serializers';
import { pickleValue, text } from './testing/arbitraries.js';
import { encodePickle, forbiddenOpcodes } from './testing/pickle-encoder.js';
import type { Plain } from './testing/pickle-encoder.js';

const RUNS = Number(process.env.SF_PROPERTY_RUNS || 150);
const HANG_MS = 1000;

/** Plain values, any int size, -0 and NaN included (the reader must reproduce whatever was written). */
const plain: fc.Arbitrary<Plain> = fc.letrec<{ value: Plain }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer({ min: -70_000, max: 70_000 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n }),
    fc.double(),
    text(10),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text(5), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const encoded = fc.tuple(plain, fc.integer()).map(([value, seed]) => encodePickle(value, seed));

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function load(bytes: Uint8Array): PickleValue {
  const start = performance.now();
  const elapsed = () => performance.now() - start;
  let value: PickleValue;
  try {
    value = pickleLoads(bytes);
  } catch (error) {
    if (elapsed() > HANG_MS)
      throw new Error(`pickleLoads took ${elapsed().toFixed(0)} ms on ${hex(bytes).slice(0, 200)}`);
    throw error;
  }
  if (elapsed() > HANG_MS)
    throw new Error(`pickleLoads took ${elapsed().toFixed(0)} ms on ${hex(bytes).slice(0, 200)}`);
  return value;
}

describe('pickleLoads: generated pickles of allowed types', () => {
  it('decode to the values they were written from', () => {
    fc.assert(
      fc.property(encoded, ({ bytes, value }) => {
        expect(load(bytes), hex(bytes)).toEqual(value);
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('are refused, naming the opcode, when a forbidden opcode is spliced in anywhere', () => {
    fc.assert(
      fc.property(
        encoded,
        fc.constantFrom(...forbiddenOpcodes),
        fc.nat(),
        ({ bytes, opcodeOffsets }, forbidden, at) => {
          const offset = opcodeOffsets[at % opcodeOffsets.length]!;
          const poisoned = Uint8Array.from([
            ...bytes.subarray(0, offset),
            ...forbidden.bytes,
            ...bytes.subarray(offset),
          ]);
          let error: unknown;
          try {
            load(poisoned);
          } catch (caught) {
            error = caught;
          }
          expect(error, `${forbidden.name} at ${offset} of ${hex(poisoned)}`).toBeInstanceOf(
            SerializationError,
          );
          expect((error as Error).message).toContain(`${forbidden.name} (0x`);
          expect((error as Error).message).toContain(`offset ${offset}`);
        },
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('refuses the classic code-execution payloads', () => {
    const payloads: Array<[string, string]> = [
      ['GLOBAL', "cos\nsystem\n(S'echo pwned'\ntR."],
      ['GLOBAL', 'cposix\nsystem\np0\n(Vtouch /tmp/x\np1\ntp2\nRp3\n.'],
      [
        'STACK_GLOBAL',
        '\x80\x04\x95\x1c\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94\x8c\x06system\x94\x93\x94\x8c\x04ls /\x94\x85\x94R\x94.',
      ],
      ['INST', "(S'ls'\nios\nsystem\n."],
      ['GLOBAL', 'c__builtin__\neval\n(Vprint(1)\ntR.'],
      ['OBJ', '(}S"ls"\no.'],
      ['BUILD', '}(Vx\nK\x01ub.'],
    ];
    for (const [name, payload] of payloads) {
      const bytes = Uint8Array.from(payload, (c) => c.charCodeAt(0));
      expect(() => pickleLoads(bytes), name).toThrow(SerializationError);
      expect(() => pickleLoads(bytes)).toThrow(new RegExp(`${name} \\(0x`));
    }
  });
});

describe('pickleLoads: garbage bytes', () => {
  const check = (bytes: Uint8Array) => {
    let value: PickleValue;
    try {
      value = load(bytes);
    } catch (error) {
      if (error instanceof SerializationError) return;
      throw new Error(`pickleLoads(${hex(bytes).slice(0, 200)}) threw ${String(error)}`, {
        cause: error,
      });
    }
    // A value read is plain data that writes back to a fixed point.
    const again = pickleDumps(value);
    expect(hex(pickleDumps(pickleLoads(again)))).toBe(hex(again));
  };

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: RUNS * 3 });
  });

  it('random bytes after a PROTO header', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        fc.uint8Array({ maxLength: 200 }),
        (protocol, bytes) => check(Uint8Array.from([0x80, protocol, ...bytes])),
      ),
      { numRuns: RUNS * 3 },
    );
  });

  it('valid pickles with bytes flipped, cut, inserted or duplicated', () => {
    const edits = fc.array(
      fc.record({
        kind: fc.constantFrom('flip', 'cut', 'insert', 'duplicate', 'truncate'),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        length: fc.integer({ min: 1, max: 16 }),
      }),
      { minLength: 1, maxLength: 4 },
    );
    fc.assert(
      fc.property(encoded, edits, ({ bytes }, changes) => {
        let data = [...bytes];
        for (const { kind, at, byte, length } of changes) {
          const i = at % (data.length + 1);
          if (kind === 'flip' && i < data.length) data[i] = byte;
          else if (kind === 'cut') data.splice(i, length);
          else if (kind === 'insert') data.splice(i, 0, byte);
          else if (kind === 'duplicate') data.splice(i, 0, ...data.slice(i, i + length));
          else if (kind === 'truncate') data = data.slice(0, i);
        }
        check(Uint8Array.from(data));
      }),
      { numRuns: RUNS * 3 },
    );
  });

  it('expansion bombs (memo references of memo references) are refused quickly', () => {
    // Ten nested lists, each of ten memo references to the one before: 10^10 values in 250 bytes.
    const bytes: number[] = [0x80, 0x04, ...Array<number>(10).fill(0x28), 0x4b, 0x01, 0x94];
    for (let level = 0; level < 10; level++) {
      for (let i = 0; i < 9; i++) bytes.push(0x68, level);
      bytes.push(0x6c, 0x94);
    }
    bytes.push(0x2e);
    expect(() => load(Uint8Array.from(bytes))).toThrow(/expands to more than [0-9]+ values/);
  });
});

describe('pickleDumps', () => {
  for (const protocol of [2, 4] as const) {
    it(`protocol ${protocol}: writes what pickleLoads reads back, and is a fixed point`, () => {
      fc.assert(
        fc.property(fc.dictionary(text(6), pickleValue, { maxKeys: 5 }), (value) => {
          const bytes = pickleDumps(value as PickleValue, { protocol });
          const back = pickleLoads(bytes);
          expect(back).toEqual(value);
          expect(hex(pickleDumps(back, { protocol }))).toBe(hex(bytes));
        }),
        { numRuns: RUNS * 2 },
      );
    });
  }
});
