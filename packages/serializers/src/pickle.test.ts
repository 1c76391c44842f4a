import { createHash } from 'node:crypto';
import { SerializationError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { caseValue, hex, latin1, pickleCases, vectors } from '../test/fixtures.js';
import { pickleDumps } from './pickle-dumps.js';
import { pickleLoads } from './pickle-loads.js';
import type { PickleValue } from './pickle-value.js';

const bytes = (text: string) => latin1(text);

function loadError(data: Uint8Array): SerializationError {
  try {
    pickleLoads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected pickleLoads to throw');
}

function dumpError(value: unknown, protocol: 2 | 4 = 4): SerializationError {
  try {
    pickleDumps(value as PickleValue, { protocol });
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected pickleDumps to throw');
}

describe('pickle vectors from Stream Framework 1.4 (Python 3.11)', () => {
  for (const activity of vectors.activities.filter((a) => a.pickle_protocol_2 !== '')) {
    const protocol4 = activity.activity_serializer.split(',').slice(5).join(',');

    it(`reads and rewrites the extra_context of activity ${activity.serialization_id}`, () => {
      expect(pickleLoads(bytes(protocol4))).toEqual(activity.extra_context);
      expect(pickleLoads(bytes(activity.pickle_protocol_0))).toEqual(activity.extra_context);
      expect(pickleLoads(bytes(activity.pickle_protocol_2))).toEqual(activity.extra_context);
      expect(hex(pickleDumps(activity.extra_context as PickleValue))).toBe(hex(bytes(protocol4)));
      expect(hex(pickleDumps(activity.extra_context as PickleValue, { protocol: 2 }))).toBe(
        hex(bytes(activity.pickle_protocol_2)),
      );
    });
  }

  it('reads protocol 0 unicode escapes and I01 booleans', () => {
    expect(
      pickleLoads(
        bytes('(dp0\nVunicode\np1\nVcaf\xe9 \\u2603\np2\nsVok\np3\nI01\nsVno\np4\nI00\ns.'),
      ),
    ).toEqual({
      unicode: 'café ☃',
      ok: true,
      no: false,
    });
  });

  it('reads a Python long and writes it back as LONG1', () => {
    expect(pickleLoads(bytes('(dp0\nVbig\np1\nL12345678901234L\ns.'))).toEqual({
      big: 12345678901234,
    });
    expect(hex(pickleDumps({ big: 12345678901234 }, { protocol: 2 }))).toBe(
      '80027d7100580300000062696771018a06f22fce733a0b73' + '2e',
    );
  });
});

describe('pickle against CPython 3.11 (test/fixtures/pickle-cases.json)', () => {
  for (const c of pickleCases) {
    it(`${c.name}: protocols 0-5 read back, 2 and 4 re-encode byte for byte`, () => {
      const value = caseValue(c.json) as PickleValue;
      for (const protocol of [0, 1, 2, 3, 4, 5] as const) {
        expect(pickleLoads(Buffer.from(c[`p${protocol}`], 'hex'))).toEqual(value);
      }
      expect(hex(pickleDumps(value, { protocol: 2 }))).toBe(c.p2);
      expect(hex(pickleDumps(value))).toBe(c.p4);
    });
  }

  it('frames like CPython: 64 KiB frames, large strings outside frames (sha256 of Python output)', () => {
    const sha = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
    const manyKeys: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) manyKeys[`k${String(i).padStart(5, '0')}`] = `v${i}`.repeat(30);
    const p4 = pickleDumps(manyKeys);
    expect([p4.length, sha(p4)]).toEqual([
      452776,
      '5ecc81e042dd5e98ac671a921f85eb561132a7d57facf67d4feb3e687eb752d0',
    ]);
    const p2 = pickleDumps(manyKeys, { protocol: 2 });
    expect([p2.length, sha(p2)]).toEqual([
      493949,
      'e59aba000d5fc3dacd80b5c9a10f65908d16f39126561644a8707b6301480600',
    ]);

    const mixed: PickleValue = [
      Array.from({ length: 3000 }, (_, i) => `x${i}`.repeat(20)),
      'tail',
      'y'.repeat(70000),
      { a: 'z'.repeat(65536), b: 'q'.repeat(65535) },
      ['é'.repeat(40000)],
    ];
    const m4 = pickleDumps(mixed);
    expect([m4.length, sha(m4)]).toEqual([
      568004,
      '568336d5fdac1cf2df5f576fbb29616223cdb562ee854126aa4437ed3e4c96be',
    ]);
    const m2 = pickleDumps(mixed, { protocol: 2 });
    expect([m2.length, sha(m2)]).toEqual([
      588217,
      '8a1ec25ffe3cc178fbedbe33e8b36a783ecb706d0eddea0f8e0f366327c72490',
    ]);
    expect(pickleLoads(m4)).toEqual(mixed);
  });
});

describe('pickleDumps', () => {
  it('writes small values without a frame, as CPython does below 4 bytes', () => {
    expect(hex(pickleDumps({}))).toBe('80047d942e');
    expect(hex(pickleDumps(null))).toBe('80044e2e');
    expect(hex(pickleDumps(255))).toBe('80044bff2e');
    expect(hex(pickleDumps({}, { protocol: 2 }))).toBe('80027d7100' + '2e');
  });

  it('chooses int opcodes as CPython', () => {
    const body = (value: PickleValue) => hex(pickleDumps(value)).slice(22, -2);
    expect(body(-1)).toBe('4affffffff');
    expect(body(256)).toBe('4d0001');
    expect(body(65536)).toBe('4a00000100');
    expect(body(2 ** 31)).toBe('8a050000008000');
    expect(body(-(2 ** 31) - 1)).toBe('8a05ffffff7fff');
    expect(body(-(2n ** 39n))).toBe('8a050000000080');
  });

  it('writes integer-valued numbers as ints and other numbers as floats', () => {
    expect(hex(pickleDumps(2.0))).toBe('80044b022e');
    expect(hex(pickleDumps(1.5))).toBe('8004950a000000000000004' + '73ff80000000000002e');
    expect(pickleLoads(pickleDumps(2 ** 60))).toBe(2 ** 60); // unsafe integers stay doubles
    expect(pickleLoads(pickleDumps(2n ** 60n))).toBe(2n ** 60n);
  });

  it('shares "" and 1-char latin1 strings like CPython singletons, not longer strings', () => {
    expect(hex(pickleDumps({ a: 'a' }))).toBe('8004950a000000000000007d948c016194680173' + '2e');
    expect(hex(pickleDumps(['ab', 'ab'], { protocol: 2 }))).toBe(
      '80025d7100285802000000616271015802000000616271026' + '52e',
    );
  });

  it('writes a shared object twice (values are trees)', () => {
    const shared = { x: 1 };
    expect(pickleLoads(pickleDumps({ a: shared, b: shared }))).toEqual({
      a: { x: 1 },
      b: { x: 1 },
    });
  });

  it('encodes lone surrogates with surrogatepass, as Python pickles them', () => {
    expect(hex(pickleDumps('\ud800'))).toBe('80049507000000000000008c03eda080942e');
    expect(pickleLoads(pickleDumps('a\ud800b'))).toBe('a\ud800b');
  });

  it.each([
    ['undefined', { when: undefined }, 'value.when', 'undefined'],
    ['a function', { f: () => 1 }, 'value.f', 'a function'],
    ['a symbol', [Symbol('s')], 'value[0]', 'a symbol'],
    ['a Date', { when: new Date(0) }, 'value.when', 'a Date'],
    ['a Map', { m: new Map() }, 'value.m', 'a Map'],
    ['a Set', { s: new Set() }, 'value.s', 'a Set'],
    ['a class instance', { c: new (class Point {})() }, 'value.c', 'an instance of Point'],
    ['a byte array', { b: new Uint8Array(1) }, 'value.b', 'an instance of Uint8Array'],
  ])('refuses %s, naming the path', (_name, value, field, type) => {
    const error = dumpError(value);
    expect(error.field).toBe(field);
    expect(error.message).toContain(type);
  });

  it('refuses circular structures, holes, symbol keys and deep nesting', () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    expect(dumpError(circular).message).toBe('cannot pickle value.self: circular reference');
    // eslint-disable-next-line no-sparse-arrays
    expect(dumpError([1, , 3]).field).toBe('value[1]');
    expect(dumpError({ [Symbol('k')]: 1 }).message).toContain('symbol keys');
    let deep: unknown = 1;
    for (let i = 0; i < 101; i++) deep = [deep];
    expect(dumpError(deep).message).toContain('nested more than 100 levels');
    let ok: unknown = 1;
    for (let i = 0; i < 100; i++) ok = [ok];
    expect(pickleLoads(pickleDumps(ok as PickleValue))).toEqual(ok);
  });

  it('refuses other protocols', () => {
    expect(() => pickleDumps({}, { protocol: 3 as 2 })).toThrow(SerializationError);
  });

  it('keeps a __proto__ key as data', () => {
    const value = JSON.parse('{"__proto__":{"polluted":1}}') as PickleValue;
    const back = pickleLoads(pickleDumps(value)) as Record<string, unknown>;
    expect(Object.keys(back)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('pickleLoads refuses anything but plain data', () => {
  it.each([
    ['GLOBAL os.system + REDUCE (protocol 0)', "cos\nsystem\n(S'echo pwned'\ntR.", 'GLOBAL', 0],
    [
      'GLOBAL posix.system + REDUCE (protocol 2)',
      '\x80\x02cposix\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.',
      'GLOBAL',
      2,
    ],
    [
      'STACK_GLOBAL + REDUCE (protocol 4)',
      '\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.',
      'STACK_GLOBAL',
      28,
    ],
    ['REDUCE on plain data', '\x80\x02}q\x00)R.', 'REDUCE', 6],
    ['BUILD', '\x80\x02}q\x00}q\x01b.', 'BUILD', 8],
    ['INST', "(ios\nsystem\nS'id'\n.", 'INST', 1],
    ['OBJ', '(}o.', 'OBJ', 2],
    ['NEWOBJ', '\x80\x02}q\x00)\x81.', 'NEWOBJ', 6],
    ['NEWOBJ_EX', '\x80\x04})}\x92.', 'NEWOBJ_EX', 5],
    ['PERSID', 'P1\n.', 'PERSID', 0],
    ['BINPERSID', '\x80\x02K\x01Q.', 'BINPERSID', 4],
    ['EXT1', '\x80\x02\x82\x01.', 'EXT1', 2],
    ['EXT2', '\x80\x02\x83\x01\x00.', 'EXT2', 2],
    ['EXT4', '\x80\x02\x84\x01\x00\x00\x00.', 'EXT4', 2],
    [
      'bytes (SHORT_BINBYTES)',
      '\x80\x04\x95\r\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01b\x94C\x02xy\x94s.',
      'SHORT_BINBYTES',
      17,
    ],
    ['BINBYTES', '\x80\x03B\x01\x00\x00\x00a.', 'BINBYTES', 2],
    [
      'a set',
      '\x80\x04\x95\x0e\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01s\x94\x8f\x94(K\x01\x90s.',
      'EMPTY_SET',
      17,
    ],
    [
      'a frozenset',
      '\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01f\x94(\x91\x94s.',
      'FROZENSET',
      18,
    ],
    [
      'a bytearray',
      '\x80\x05\x95\x13\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01x\x94\x96\x01\x00\x00\x00\x00\x00\x00\x00a\x94s.',
      'BYTEARRAY8',
      17,
    ],
    ['NEXT_BUFFER', '\x80\x05\x97.', 'NEXT_BUFFER', 2],
    ['READONLY_BUFFER', '\x80\x05N\x98.', 'READONLY_BUFFER', 3],
    ['POP', '\x80\x02NN0.', 'POP', 4],
    ['DUP', '\x80\x02N2.', 'DUP', 3],
    ['an unknown opcode', '\x80\x02\xff.', 'unknown opcode 0xff', 2],
    [
      'a datetime pickled by Python 3',
      '\x80\x04\x95*\x00\x00\x00\x00\x00\x00\x00\x8c\x08datetime\x94\x8c\x08datetime\x94\x93\x94C\n\x07\xdd\x07\x08\x06;\x0f\x00\x00\x00\x94\x85\x94R\x94.',
      'STACK_GLOBAL',
      33,
    ],
  ])('%s', (_name, data, opcode, offset) => {
    const error = loadError(bytes(data));
    expect(error.message).toContain(opcode);
    expect(error.message).toContain(`at offset ${offset}`);
    expect(error.message).toContain('not allowed');
  });

  it.each([
    ['empty input', '', 'no STOP'],
    ['no STOP', '\x80\x02}q\x00', 'no STOP'],
    ['truncated BINUNICODE', '\x80\x02X\x05\x00\x00\x00ab', 'truncated'],
    ['truncated length', '\x80\x02X\x05\x00', 'truncated'],
    ['truncated line', 'Vabc', 'newline'],
    ['a frame longer than the data', '\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.', 'FRAME'],
    ['a huge BINUNICODE8 length', '\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f.', 'exceeds'],
    ['a negative BINSTRING length', 'T\xff\xff\xff\xff.', 'negative length'],
    ['a negative LONG4 length', '\x80\x02\x8b\xff\xff\xff\xff.', 'negative byte count'],
    ['a huge LONG4', '\x80\x02\x8b\x00\x00\x10\x00.', 'too large'],
    ['protocol 6', '\x80\x06N.', 'unsupported pickle protocol 6'],
    ['stack underflow on APPEND', '\x80\x02a.', 'stack underflow'],
    ['stack underflow on SETITEM', '\x80\x02}K\x01s.', 'stack underflow'],
    ['stack underflow on PUT', '\x80\x02q\x00.', 'stack underflow'],
    ['APPENDS without MARK', '\x80\x02]e.', 'no MARK'],
    ['STOP with an open MARK', '\x80\x02(N.', 'unclosed MARK'],
    ['STOP with two values', '\x80\x02NN.', '2 values'],
    ['STOP on an empty stack', '\x80\x02.', '0 values'],
    ['garbage after STOP', '\x80\x02N.xyz', '3 bytes of garbage after STOP'],
    [
      'non-string dict keys',
      '\x80\x04\x95\x08\x00\x00\x00\x00\x00\x00\x00}\x94K\x01K\x02s.',
      'dict keys must be strings, got an int',
    ],
    ['tuple dict keys', '\x80\x02}(K\x01\x85K\x02u.', 'got a tuple'],
    ['odd SETITEMS', '\x80\x02}(K\x01u.', 'odd number'],
    ['APPEND to a dict', '\x80\x02}Na.', 'cannot append to a dict'],
    ['APPEND to a tuple', '\x80\x02)Na.', 'cannot append to a tuple'],
    ['SETITEM on a list', '\x80\x02]X\x01\x00\x00\x00aNs.', 'cannot set items on a list'],
    ['a missing memo key', '\x80\x02h\x07.', 'memo key 7 not found'],
    ['a bad INT', 'I12a\n.', 'invalid INT'],
    ['a bad FLOAT', 'F1.2.3\n.', 'invalid FLOAT'],
    ['an unquoted STRING', 'Sabc\n.', 'must be quoted'],
    ['a bad \\x escape', "S'\\xZZ'\n.", 'invalid \\x escape'],
    ['a truncated \\u escape', 'V\\u12\n.', 'truncated \\uXXXX'],
    ['invalid UTF-8', '\x80\x02X\x02\x00\x00\x00\xc3(.', 'invalid UTF-8'],
  ])('%s', (_name, data, message) => {
    expect(loadError(bytes(data)).message).toContain(message);
  });

  it('refuses cycles built with the memo', () => {
    // d = {}; d['self'] = d
    expect(loadError(bytes('\x80\x02}q\x00X\x04\x00\x00\x00selfq\x01h\x00s.')).message).toContain(
      'cyclic',
    );
  });

  it('refuses "billion laughs" memo expansion at once', () => {
    // t0 = ['x']; t(n+1) = (t(n), t(n)) 60 times: 2**60 values once expanded
    let data = '\x80\x02]q\x00X\x01\x00\x00\x00xa';
    for (let i = 1; i <= 60; i++)
      data += `h${String.fromCharCode(i - 1)}\x86q${String.fromCharCode(i)}`;
    data += '.';
    // A reader that expanded the memo would never get here: 2**60 values.
    expect(loadError(bytes(data)).message).toContain('more than 100000 values');
  });

  it('reads large flat containers and refuses oversized ones without crashing', () => {
    const many = pickleLoads(bytes(`(${'N'.repeat(90_000)}l.`)) as null[];
    expect(many).toHaveLength(90_000);
    expect(loadError(bytes(`(${'N'.repeat(110_000)}l.`)).message).toContain(
      'more than 100000 values',
    );
    expect(loadError(bytes(`\x80\x02${'('.repeat(200_000)}.`)).message).toContain('unclosed MARK');
    expect(loadError(bytes(`\x80\x02${']'.repeat(200_000)}.`)).message).toContain('200000 values');
  });

  it('refuses 100 000 nested tuples (built with a one-item stack) without overflowing', () => {
    expect(loadError(bytes(`\x80\x02N${'\x85'.repeat(100_000)}.`)).message).toContain(
      'nested more than 100 levels',
    );
  });

  it('refuses nesting deeper than 100 levels', () => {
    expect(loadError(bytes(`\x80\x02${']'.repeat(101)}${'a'.repeat(100)}.`)).message).toContain(
      'nested more than 100',
    );
    expect(pickleLoads(bytes(`\x80\x02${']'.repeat(100)}${'a'.repeat(99)}.`))).toHaveLength(1);
  });

  it('reads Python 2 strings as UTF-8 when valid, else latin1', () => {
    expect(pickleLoads(bytes("S'caf\\xc3\\xa9'\np0\n."))).toBe('café');
    expect(pickleLoads(bytes("S'caf\\xe9\\n\\t\\'\\\\'\np0\n."))).toBe("caf\xe9\n\t'\\");
    expect(pickleLoads(bytes('S"a\\101\\7"\n.'))).toBe('aA\x07');
    expect(pickleLoads(bytes('U\x02\xc3\xa9.'))).toBe('é');
    expect(pickleLoads(bytes('U\x02\xe9\xff.'))).toBe('\xe9\xff');
    expect(pickleLoads(bytes('T\x03\x00\x00\x00abc.'))).toBe('abc');
  });

  it('reads tuples as arrays and the other protocol 0/1 forms', () => {
    expect(
      pickleLoads(
        bytes(
          '\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01t\x94K\x01\x8c\x01a\x94\x86\x94s.',
        ),
      ),
    ).toEqual({ t: [1, 'a'] });
    expect(
      pickleLoads(bytes('\x80\x02}q\x00X\x01\x00\x00\x00tq\x01(K\x01K\x02K\x03K\x04tq\x02s.')),
    ).toEqual({ t: [1, 2, 3, 4] });
    expect(pickleLoads(bytes('\x80\x02}q\x00X\x01\x00\x00\x00eq\x01)s.'))).toEqual({ e: [] });
    expect(
      pickleLoads(bytes('(lp0\nI1\naF-2.5\naFinf\naFnan\naL-5L\na(lp1\naVx\np2\nag2\na.')),
    ).toEqual([1, -2.5, Infinity, NaN, -5, [], 'x', 'x']);
    expect(pickleLoads(bytes('I-7\n.'))).toBe(-7);
    expect(pickleLoads(bytes('L123456789012345678901234567890L\n.'))).toBe(
      123456789012345678901234567890n,
    );
    expect(pickleLoads(bytes('\x80\x02\x8a\x00.'))).toBe(0);
    expect(pickleLoads(bytes('\x80\x02\x8a\x01\xff.'))).toBe(-1);
    expect(pickleLoads(bytes('\x80\x02J\xff\xff\xff\xff.'))).toBe(-1);
    expect(pickleLoads(bytes('V\\u00e9\\U0001F600\\\\u0041\n.'))).toBe('é😀\\\\u0041');
    expect(pickleLoads(bytes('\x80\x02\x89\x88\x86.'))).toEqual([false, true]);
  });

  it('shares nothing: memo references are read as copies', () => {
    const value = pickleLoads(bytes('\x80\x02]q\x00(]q\x01h\x01e.')) as PickleValue[][];
    expect(value).toEqual([[], []]);
    expect(value[0]).not.toBe(value[1]);
  });

  it('accepts only Uint8Array input', () => {
    expect(() => pickleLoads('N.' as unknown as Uint8Array)).toThrow(SerializationError);
  });
});
