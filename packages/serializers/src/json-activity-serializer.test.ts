import {
  Activity,
  Follow,
  Love,
  SerializationError,
  UnknownVerbError,
  VerbRegistry,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { JsonActivitySerializer } from './json-activity-serializer.js';
import { PythonDateTime } from './python-types.js';

const serializer = new JsonActivitySerializer();

function loadError(data: string): SerializationError {
  try {
    serializer.loads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`expected loads(${JSON.stringify(data)}) to throw`);
}

function dumpError(extraContext: Record<string, unknown>): SerializationError {
  const activity = new Activity({
    actor: 1,
    verb: Love,
    object: 2,
    epochMicroseconds: 0,
    extraContext,
  });
  try {
    serializer.dumps(activity);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected dumps to throw');
}

describe('JsonActivitySerializer', () => {
  it('writes the documented shape', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      target: 7,
      epochMicroseconds: 1373266755123456,
      extraContext: { x: 1, a: ['é', null, true, 1.5] },
    });
    expect(serializer.dumps(activity)).toBe(
      'j1:{"actor":13,"verb":3,"object":42,"target":7,"epochMicroseconds":1373266755123456,"extraContext":{"a":["é",null,true,1.5],"x":1}}',
    );
  });

  it('round-trips every field exactly: target 0 vs null, microseconds, nested unicode extraContext', () => {
    const cases = [
      new Activity({ actor: 0, verb: Follow, object: 0, target: 0, epochMicroseconds: 1 }),
      new Activity({
        actor: 1,
        verb: Love,
        object: 9_999_999_999,
        target: null,
        epochMicroseconds: 1373266755123456,
      }),
      new Activity({
        actor: 5,
        verb: Love,
        object: 6,
        epochMicroseconds: 4102444800999999,
        extraContext: {
          unicode: 'café ☃ 😀 \u0000 \ud800 "quoted" \\',
          nested: { deep: [[[{ n: -0.5, big: 2 ** 53 - 1, tiny: 5e-324 }]]] },
          empty: {},
          list: [],
          '': 'empty key',
          '1': 'integer-like key',
        },
      }),
    ];
    cases.push(
      new Activity({
        actor: 7,
        verb: Love,
        object: 8,
        epochMicroseconds: 999,
        extraContext: JSON.parse('{"__proto__":{"not":"a prototype"},"b":[1,{"c":"d"}]}') as Record<
          string,
          unknown
        >,
      }),
    );
    for (const activity of cases) {
      const text = serializer.dumps(activity);
      const back = serializer.loads(text);
      expect(back).toBeInstanceOf(Activity);
      expect(back.actorId).toBe(activity.actorId);
      expect(back.verb).toBe(activity.verb);
      expect(back.objectId).toBe(activity.objectId);
      expect(back.targetId).toBe(activity.targetId);
      expect(back.epochMicroseconds).toBe(activity.epochMicroseconds);
      expect(back.extraContext).toEqual(activity.extraContext);
      expect(back.serializationId).toBe(activity.serializationId);
      expect(serializer.dumps(back)).toBe(text);
    }
    expect(serializer.loads(serializer.dumps(cases[0]!)).targetId).toBe(0);
    const proto = serializer.loads(serializer.dumps(cases[3]!)).extraContext;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__', 'b']);
  });

  it('round-trips strings with every kind of character', () => {
    const text =
      Array.from({ length: 0x800 }, (_, i) => String.fromCharCode(i)).join('') +
      '\ud83d\ude00\udc00\ud800';
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { text },
    });
    expect(serializer.loads(serializer.dumps(activity)).extraContext.text).toBe(text);
  });

  it('is deterministic: key order does not matter', () => {
    const a = new Activity({
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { b: 1, a: { d: 1, c: 2 } },
    });
    const b = new Activity({
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { a: { c: 2, d: 1 }, b: 1 },
    });
    expect(serializer.dumps(a)).toBe(serializer.dumps(b));
  });

  it('uses the given registry and class', () => {
    const registry = new VerbRegistry();
    registry.register({ id: 3, infinitive: 'star', pastTense: 'starred' });
    class MyActivity extends Activity {}
    const s = new JsonActivitySerializer({ verbRegistry: registry, activityClass: MyActivity });
    const back = s.loads(
      serializer.dumps(new Activity({ actor: 1, verb: Love, object: 2, epochMicroseconds: 0 })),
    );
    expect(back).toBeInstanceOf(MyActivity);
    expect(back.verb.infinitive).toBe('star');
  });

  it.each([
    ['undefined', { when: undefined }, 'extraContext.when', 'undefined'],
    ['a function', { fn: () => 1 }, 'extraContext.fn', 'a function'],
    ['a symbol', { s: Symbol('x') }, 'extraContext.s', 'a symbol'],
    ['a bigint', { n: 1n }, 'extraContext.n', 'a bigint'],
    ['NaN', { n: NaN }, 'extraContext.n', 'NaN'],
    ['Infinity', { list: [1, Infinity] }, 'extraContext.list[1]', 'Infinity'],
    ['-Infinity', { n: -Infinity }, 'extraContext.n', '-Infinity'],
    ['a Date', { when: new Date(0) }, 'extraContext.when', 'a Date'],
    ['a Map', { m: new Map() }, 'extraContext.m', 'a Map'],
    ['a Set', { s: new Set([1]) }, 'extraContext.s', 'a Set'],
    ['a class instance', { p: new (class Pin {})() }, 'extraContext.p', 'an instance of Pin'],
    [
      'a key that is no identifier',
      { 'a b': { c: undefined } },
      'extraContext["a b"].c',
      'undefined',
    ],
  ])('refuses %s, naming the field and the type', (_name, extraContext, field, type) => {
    const error = dumpError(extraContext);
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(type);
  });

  it('refuses circular structures, holes and symbol keys', () => {
    const circular: Record<string, unknown> = {};
    circular.again = { circular };
    expect(dumpError({ circular }).message).toBe(
      'cannot serialize extraContext.circular.again.circular as JSON: circular reference',
    );
    // eslint-disable-next-line no-sparse-arrays
    expect(dumpError({ list: [1, , 2] }).field).toBe('extraContext.list[1]');
    expect(dumpError({ o: { [Symbol('k')]: 1 } }).field).toBe('extraContext.o');
  });

  it('accepts shared (non-circular) references', () => {
    const shared = { x: 1 };
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { a: shared, b: shared },
    });
    expect(serializer.loads(serializer.dumps(activity)).extraContext).toEqual({
      a: { x: 1 },
      b: { x: 1 },
    });
  });

  it('refuses to dump a non-Activity', () => {
    expect(() => serializer.dumps({} as Activity)).toThrow(SerializationError);
  });
});

describe('JsonActivitySerializer refuses bad input with a SerializationError', () => {
  const good = (patch: Record<string, unknown>) =>
    `j1:${JSON.stringify({ actor: 1, verb: 3, object: 2, target: null, epochMicroseconds: 5, extraContext: {}, ...patch })}`;

  it.each([
    ['no prefix', '{"actor":1}', 'version', 'j1: prefix'],
    ['a future version', 'j2:{}', 'version', 'unsupported JSON format version "j2:"'],
    ['a Stream Framework string', '13,3,42,0,1373266755.123456,', 'version', 'j1: prefix'],
    ['invalid JSON', 'j1:{"actor":1', undefined, 'invalid JSON'],
    ['truncated', good({}).slice(0, 30), undefined, 'invalid JSON'],
    ['a JSON array', 'j1:[1,2]', undefined, 'expected a JSON object'],
    ['a missing field', 'j1:{"actor":1}', 'verb', 'missing'],
    ['an unknown field', good({ extra: 1 }), 'extra', 'unknown field'],
    ['a string actor', good({ actor: '1' }), 'actor', 'non-negative integer'],
    ['a negative object', good({ object: -1 }), 'object', 'non-negative integer'],
    ['a fractional target', good({ target: 1.5 }), 'target', 'non-negative integer'],
    [
      'a fractional time',
      good({ epochMicroseconds: 1.5 }),
      'epochMicroseconds',
      'non-negative integer',
    ],
    [
      'an unsafe time',
      good({ epochMicroseconds: 2 ** 60 }),
      'epochMicroseconds',
      'non-negative integer',
    ],
    ['an array extraContext', good({ extraContext: [] }), 'extraContext', 'expected a JSON object'],
    ['a null extraContext', good({ extraContext: null }), 'extraContext', 'expected a JSON object'],
  ])('%s', (_name, data, field, message) => {
    const error = loadError(data);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('wraps unknown verbs with the UnknownVerbError as cause', () => {
    const error = loadError(good({ verb: 4242 }));
    expect(error.field).toBe('verb');
    expect(error.cause).toBeInstanceOf(UnknownVerbError);
  });

  it('refuses extraContext nested deeper than 100 levels', () => {
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect(
      loadError(
        `j1:{"actor":1,"verb":3,"object":2,"target":null,"epochMicroseconds":5,"extraContext":{"d":${deep}}}`,
      ).message,
    ).toContain('nested more than 100');
  });

  it('refuses absurdly deep JSON without crashing', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    const error = loadError(
      `j1:{"actor":1,"verb":3,"object":2,"target":null,"epochMicroseconds":5,"extraContext":{"d":${deep}}}`,
    );
    expect(error.message).toMatch(/nested more than 100|invalid JSON/);
  });

  it('refuses a non-string', () => {
    expect(loadError(undefined as unknown as string).message).toContain('expected a string');
  });
});

describe('numbers JSON cannot carry back', () => {
  it('refuses an extraContext number that overflows to Infinity on read', async () => {
    const { jsonFormat } = await import('./index.js');
    const data =
      'j1:{"actor":1,"verb":1,"object":1,"target":null,"epochMicroseconds":0,"extraContext":{"x":{"y":[1e400]}}}';
    expect(() => jsonFormat().activitySerializer().loads(data)).toThrow(
      /extraContext\.x\.y\[0\]: number out of range \(Infinity\)/,
    );
  });
});

describe('64-bit ids and Python types (issue 12 item 15)', () => {
  it('carries actor and target ids beyond 2^53 exactly, as decimal strings', () => {
    const activity = new Activity({
      actor: 1234567890123456789n,
      verb: Love,
      object: 42,
      target: 2n ** 63n,
      epochMicroseconds: 1,
    });
    const text = serializer.dumps(activity);
    expect(text).toBe(
      'j1:{"actor":"1234567890123456789","verb":3,"object":42,"target":"9223372036854775808","epochMicroseconds":1,"extraContext":{},"idScheme":"actor"}',
    );
    const back = serializer.loads(text);
    expect([back.actorId, back.targetId]).toEqual([1234567890123456789n, 2n ** 63n]);
    expect(serializer.dumps(back)).toBe(text);
    // a string is only read beyond 2^53, so every id has one representation
    expect(() => serializer.loads(text.replace('"1234567890123456789"', '"12"'))).toThrow(
      SerializationError,
    );
  });

  it('refuses Python types in extraContext with a SerializationError naming the path', () => {
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 42,
      epochMicroseconds: 1,
      extraContext: { when: new PythonDateTime(2014, 3, 4) },
    });
    expect(() => serializer.dumps(activity)).toThrow(
      /extraContext\.when.*an instance of PythonDateTime/,
    );
  });
});
