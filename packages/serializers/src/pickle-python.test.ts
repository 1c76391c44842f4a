import { SerializationError, epochMicrosecondsOfDate } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { StreamFrameworkActivitySerializer } from './stream-framework-activity-serializer.js';
import { pickleDumps } from './pickle-dumps.js';
import { pickleLoads } from './pickle-loads.js';
import type { PickleValue } from './pickle-value.js';
import { PythonDate, PythonDateTime, PythonFrozenSet, PythonTimedelta } from './python-types.js';

/**
 * Python's types in pickled extra_context (issue 12 item 15). The byte strings are what CPython
 * 3.11's C pickler writes (`pickle.dumps(value, protocol)`), derived opcode by opcode from
 * `_pickle.c`: save_reduce of `datetime.__reduce_ex__` (the class, then a 1-tuple of the 10-byte
 * state), save_bytes (SHORT_BINBYTES from protocol 3; `_codecs.encode(latin1 str, 'latin1')`
 * before), save_global (STACK_GLOBAL of two memoized str from protocol 4; GLOBAL with
 * `__builtin__` for `builtins` before), save_set (EMPTY_SET + MARK ... ADDITEMS from protocol 4;
 * a REDUCE of `set` on a list before), batch_dict_exact, and the memo (MEMOIZE from protocol 4,
 * BINPUT before).
 */
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));
const u32 = (n: number) => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24];
/** Protocol 4: SHORT_BINUNICODE + MEMOIZE. */
const str4 = (text: string) => [0x8c, text.length, ...ascii(text), 0x94];
/** Protocol 2: BINUNICODE + BINPUT. */
const str2 = (bytes: number[], memo: number) => [0x58, ...u32(bytes.length), ...bytes, 0x71, memo];
const framed = (body: number[]) =>
  Uint8Array.from([0x80, 0x04, 0x95, ...u32(body.length), 0, 0, 0, 0, ...body]);
const proto2 = (body: number[]) => Uint8Array.from([0x80, 0x02, ...body]);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const python = { pythonTypes: true } as const;

// datetime(2014, 3, 4, 5, 6, 7, 123456): year 0x07de, then month .. second, microseconds 0x01e240
const STATE = [0x07, 0xde, 0x03, 0x04, 0x05, 0x06, 0x07, 0x01, 0xe2, 0x40];
const WHEN = new PythonDateTime(2014, 3, 4, 5, 6, 7, 123456);

const vectors: Array<
  [name: string, value: PickleValue, protocol4: Uint8Array, protocol2: Uint8Array]
> = [
  [
    "{'when': datetime(2014, 3, 4, 5, 6, 7, 123456)}",
    { when: WHEN },
    framed([
      0x7d,
      0x94,
      ...str4('when'),
      ...str4('datetime'),
      ...str4('datetime'),
      0x93,
      0x94,
      0x43,
      10,
      ...STATE,
      0x94,
      0x85,
      0x94,
      0x52,
      0x94,
      0x73,
      0x2e,
    ]),
    proto2([
      0x7d,
      0x71,
      0x00,
      ...str2(ascii('when'), 1),
      0x63,
      ...ascii('datetime\ndatetime\n'),
      0x71,
      0x02,
      0x63,
      ...ascii('_codecs\nencode\n'),
      0x71,
      0x03,
      // the state as a latin1 str, UTF-8 encoded: 0xde -> c3 9e, 0xe2 -> c3 a2
      ...str2([0x07, 0xc3, 0x9e, 0x03, 0x04, 0x05, 0x06, 0x07, 0x01, 0xc3, 0xa2, 0x40], 4),
      ...str2(ascii('latin1'), 5),
      0x86,
      0x71,
      0x06,
      0x52,
      0x71,
      0x07,
      0x85,
      0x71,
      0x08,
      0x52,
      0x71,
      0x09,
      0x73,
      0x2e,
    ]),
  ],
  [
    "{'tags': {1, 2}, 'counts': {1: 'a', 2: 'b'}}",
    {
      tags: new Set([1, 2]),
      counts: new Map([
        [1, 'a'],
        [2, 'b'],
      ]),
    },
    framed([
      0x7d,
      0x94,
      0x28,
      ...str4('tags'),
      0x8f,
      0x94,
      0x28,
      0x4b,
      0x01,
      0x4b,
      0x02,
      0x90,
      ...str4('counts'),
      0x7d,
      0x94,
      0x28,
      0x4b,
      0x01,
      ...str4('a'),
      0x4b,
      0x02,
      ...str4('b'),
      0x75,
      0x75,
      0x2e,
    ]),
    proto2([
      0x7d,
      0x71,
      0x00,
      0x28,
      ...str2(ascii('tags'), 1),
      0x63,
      ...ascii('__builtin__\nset\n'),
      0x71,
      0x02,
      0x5d,
      0x71,
      0x03,
      0x28,
      0x4b,
      0x01,
      0x4b,
      0x02,
      0x65,
      0x85,
      0x71,
      0x04,
      0x52,
      0x71,
      0x05,
      ...str2(ascii('counts'), 6),
      0x7d,
      0x71,
      0x07,
      0x28,
      0x4b,
      0x01,
      ...str2(ascii('a'), 8),
      0x4b,
      0x02,
      ...str2(ascii('b'), 9),
      0x75,
      0x75,
      0x2e,
    ]),
  ],
  [
    "{'a': datetime(2014, 3, 4, 5, 6, 7, 123456), 'b': datetime(2014, 3, 4, 5, 6, 7, 123456)}: the class (and 'latin1') memoized once",
    { a: WHEN, b: new PythonDateTime(2014, 3, 4, 5, 6, 7, 123456) },
    framed([
      0x7d,
      0x94,
      0x28,
      ...str4('a'),
      ...str4('datetime'),
      ...str4('datetime'),
      0x93,
      0x94,
      0x43,
      10,
      ...STATE,
      0x94,
      0x85,
      0x94,
      0x52,
      0x94,
      ...str4('b'),
      0x68,
      0x04,
      0x43,
      10,
      ...STATE,
      0x94,
      0x85,
      0x94,
      0x52,
      0x94,
      0x75,
      0x2e,
    ]),
    proto2([
      0x7d,
      0x71,
      0x00,
      0x28,
      ...str2(ascii('a'), 1),
      0x63,
      ...ascii('datetime\ndatetime\n'),
      0x71,
      0x02,
      0x63,
      ...ascii('_codecs\nencode\n'),
      0x71,
      0x03,
      ...str2([0x07, 0xc3, 0x9e, 0x03, 0x04, 0x05, 0x06, 0x07, 0x01, 0xc3, 0xa2, 0x40], 4),
      ...str2(ascii('latin1'), 5),
      0x86,
      0x71,
      0x06,
      0x52,
      0x71,
      0x07,
      0x85,
      0x71,
      0x08,
      0x52,
      0x71,
      0x09,
      ...str2(ascii('b'), 10),
      0x68,
      0x02,
      0x68,
      0x03,
      ...str2([0x07, 0xc3, 0x9e, 0x03, 0x04, 0x05, 0x06, 0x07, 0x01, 0xc3, 0xa2, 0x40], 11),
      0x68,
      0x05,
      0x86,
      0x71,
      0x0c,
      0x52,
      0x71,
      0x0d,
      0x85,
      0x71,
      0x0e,
      0x52,
      0x71,
      0x0f,
      0x75,
      0x2e,
    ]),
  ],
];

describe('pickle with pythonTypes: what Python deployments keep in extra_context', () => {
  it.each(vectors)(
    '%s: reads and writes back the exact bytes at protocols 4 and 2',
    (_name, value, protocol4, protocol2) => {
      for (const [protocol, bytes] of [
        [4, protocol4],
        [2, protocol2],
      ] as const) {
        const loaded = pickleLoads(bytes, python);
        expect(loaded).toEqual(value);
        expect(
          hex(pickleDumps(loaded, { protocol, pythonTypes: true })),
          `protocol ${protocol}`,
        ).toBe(hex(bytes));
      }
    },
  );

  it('writes one datetime object referenced twice as a memo GET, as CPython does', () => {
    // d = datetime(...); pickle.dumps({'a': d, 'b': d}, 4)
    const bytes = framed([
      0x7d,
      0x94,
      0x28,
      ...str4('a'),
      ...str4('datetime'),
      ...str4('datetime'),
      0x93,
      0x94,
      0x43,
      10,
      ...STATE,
      0x94,
      0x85,
      0x94,
      0x52,
      0x94,
      ...str4('b'),
      0x68,
      0x07,
      0x75,
      0x2e,
    ]);
    const loaded = pickleLoads(bytes, python) as { a: PythonDateTime; b: PythonDateTime };
    expect(loaded.a).toBe(loaded.b);
    expect(hex(pickleDumps(loaded, { pythonTypes: true }))).toBe(hex(bytes));
  });

  it('keeps microseconds and reads the datetime as UTC', () => {
    const loaded = pickleLoads(vectors[0]![2], python) as { when: PythonDateTime };
    expect(loaded.when).toBeInstanceOf(PythonDateTime);
    expect(loaded.when.toString()).toBe('2014-03-04T05:06:07.123456');
    expect(loaded.when.epochMicroseconds).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(loaded.when.toDate())).toBe(1393909567123456n);
    expect(PythonDateTime.fromEpochMicroseconds(1393909567123456n)).toEqual(WHEN);
    expect(PythonDateTime.fromEpochMicroseconds(-1n).toString()).toBe('1969-12-31T23:59:59.999999');
  });

  it('reads what Python 2 wrote: a str state, protocol 0 escapes, an int-keyed dict', () => {
    // Python 2.7: pickle.dumps({'when': datetime(...)}) (protocol 0)
    const py2 = `(dp0\nS'when'\np1\ncdatetime\ndatetime\np2\n(S'\\x07\\xde\\x03\\x04\\x05\\x06\\x07\\x01\\xe2@'\np3\ntp4\nRp5\ns.`;
    expect(pickleLoads(Uint8Array.from(ascii(py2)), python)).toEqual({ when: WHEN });
    // Python 2.7, protocol 2: SHORT_BINSTRING state
    const py2b = proto2([
      0x7d,
      0x71,
      0x00,
      0x55,
      4,
      ...ascii('when'),
      0x71,
      0x01,
      0x63,
      ...ascii('datetime\ndatetime\n'),
      0x71,
      0x02,
      0x55,
      10,
      ...STATE,
      0x71,
      0x03,
      0x85,
      0x71,
      0x04,
      0x52,
      0x71,
      0x05,
      0x73,
      0x2e,
    ]);
    expect(pickleLoads(py2b, python)).toEqual({ when: WHEN });
    // Python 3, protocol 0: UNICODE state in raw-unicode-escape (latin1 bytes as they are)
    const py3 = [
      ...ascii('(dp0\nVwhen\np1\ncdatetime\ndatetime\np2\n(c_codecs\nencode\np3\n(V'),
      ...STATE,
      ...ascii('\np4\nVlatin1\np5\ntp6\nRp7\ntp8\nRp9\ns.'),
    ];
    expect(pickleLoads(Uint8Array.from(py3), python)).toEqual({ when: WHEN });
  });

  it('reads and writes back date, timedelta and frozenset', () => {
    const value = {
      day: new PythonDate(2014, 3, 4),
      span: new PythonTimedelta(-1, 86_399, 999_999),
      frozen: new PythonFrozenSet(['x', [1, 'y']]),
      big: 1234567890123456789n,
    };
    for (const protocol of [2, 4] as const) {
      const bytes = pickleDumps(value, { protocol, pythonTypes: true });
      const back = pickleLoads(bytes, python) as typeof value;
      expect(back).toEqual(value);
      expect(back.frozen).toBeInstanceOf(PythonFrozenSet);
      expect(hex(pickleDumps(back, { protocol, pythonTypes: true }))).toBe(hex(bytes));
    }
    // the frozenset's tuple element is written as a tuple (Python cannot hash a list)
    expect(
      hex(pickleDumps({ f: new PythonFrozenSet([[1, 'y']]) }, { pythonTypes: true })),
    ).toContain('4b018c017994' + '86' + '94');
  });

  it.each([
    ['os.system', framed([...str4('os'), ...str4('system'), 0x93, 0x94, 0x2e]), 'STACK_GLOBAL'],
    ['decimal.Decimal', Uint8Array.from(ascii('cdecimal\nDecimal\n(V1.5\ntR.')), 'GLOBAL'],
    [
      'a tz-aware datetime',
      framed([
        ...str4('datetime'),
        ...str4('datetime'),
        0x93,
        0x94,
        0x43,
        10,
        ...STATE,
        0x94,
        ...str4('datetime'),
        ...str4('timezone'),
        0x93,
        0x86,
        0x52,
        0x2e,
      ]),
      'STACK_GLOBAL',
    ],
    [
      'a naive datetime with a tzinfo argument',
      framed([
        ...str4('datetime'),
        ...str4('datetime'),
        0x93,
        0x94,
        0x43,
        10,
        ...STATE,
        0x94,
        0x4b,
        0x01,
        0x86,
        0x52,
        0x2e,
      ]),
      'timezone-aware',
    ],
    [
      'a bad datetime state',
      framed([
        ...str4('datetime'),
        ...str4('datetime'),
        0x93,
        0x94,
        0x43,
        3,
        1,
        2,
        3,
        0x85,
        0x52,
        0x2e,
      ]),
      '10-byte state',
    ],
    [
      'a set called on a dict',
      framed([...str4('builtins'), ...str4('set'), 0x93, 0x7d, 0x85, 0x52, 0x2e]),
      'takes one list',
    ],
    ['bytes as a value', framed([0x43, 1, 0x41, 0x2e]), 'bytes values are not supported'],
    ['a list as a dict key', framed([0x7d, 0x5d, 0x4b, 0x01, 0x73, 0x2e]), 'cannot be a dict key'],
    [
      'a list in a set',
      framed([0x8f, 0x28, 0x5d, 0x90, 0x2e]),
      'cannot be a dict key or set element',
    ],
    [
      '_codecs.encode with another encoding',
      Uint8Array.from(ascii('c_codecs\nencode\n(Vx\nVutf8\ntR.')),
      "encode(str, 'latin1')",
    ],
    ['BUILD', Uint8Array.from([0x80, 0x02, 0x7d, 0x7d, 0x62, 0x2e]), 'BUILD'],
  ])('still refuses %s', (_name, bytes, message) => {
    let error: unknown;
    try {
      pickleLoads(bytes, python);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toContain(message);
  });

  it('without pythonTypes, refuses them as before', () => {
    expect(() => pickleLoads(vectors[0]![2])).toThrow(/STACK_GLOBAL \(0x93\) is not allowed/);
    expect(() => pickleDumps({ when: WHEN })).toThrow(/an instance of PythonDateTime/);
  });
});

describe('StreamFrameworkActivitySerializer with Python types and 64-bit ids (issue 12 item 15)', () => {
  const serializer = new StreamFrameworkActivitySerializer();
  const latin1 = (bytes: Uint8Array) => String.fromCharCode(...bytes);

  it.each(vectors)(
    '%s: the activity reads and dumps back to the same string',
    (_name, value, protocol4, protocol2) => {
      // a snowflake actor and target, as Python deployments have them (object ids stay under 10^10)
      const text4 = `1234567890123456789,3,42,1234567890123456790,1393909567.123456,${latin1(protocol4)}`;
      const activity = serializer.loads(text4);
      expect(activity.actorId).toBe(1234567890123456789n);
      expect(activity.targetId).toBe(1234567890123456790n);
      expect(activity.extraContext).toEqual(value);
      expect(serializer.dumps(activity)).toBe(text4);
      const text2 = `7,3,42,0,1393909567.123456,${latin1(protocol2)}`;
      expect(
        new StreamFrameworkActivitySerializer({ pickleProtocol: 2 }).dumps(serializer.loads(text2)),
      ).toBe(text2);
    },
  );
});
