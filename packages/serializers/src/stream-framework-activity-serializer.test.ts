import {
  Activity,
  Add,
  Love,
  SerializationError,
  UnknownVerbError,
  VerbRegistry,
  defineVerb,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { vectors } from '../test/fixtures.js';
import { StreamFrameworkActivitySerializer } from './stream-framework-activity-serializer.js';

const serializer = new StreamFrameworkActivitySerializer();

function loadError(
  data: string,
  s: StreamFrameworkActivitySerializer = serializer,
): SerializationError {
  try {
    s.loads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`expected loads(${JSON.stringify(data)}) to throw`);
}

function dumpError(
  activity: unknown,
  s: StreamFrameworkActivitySerializer = serializer,
): SerializationError {
  try {
    s.dumps(activity as Activity);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected dumps to throw');
}

describe('StreamFrameworkActivitySerializer: Stream Framework 1.4 vectors', () => {
  for (const vector of vectors.activities) {
    it(`reads and rewrites activity ${vector.serialization_id} byte for byte`, () => {
      const activity = serializer.loads(vector.activity_serializer);
      expect(activity).toBeInstanceOf(Activity);
      expect(activity.actorId).toBe(vector.actor_id);
      expect(activity.verb.id).toBe(vector.verb_id);
      expect(activity.objectId).toBe(vector.object_id);
      expect(activity.targetId).toBe(vector.target_id);
      expect(activity.time.toISOString()).toBe(vector.time.replace(/(\.\d{3})\d{3}Z$/, '$1Z'));
      expect(activity.epochMicroseconds).toBe(Math.round(vector.epoch * 1e6));
      expect(activity.extraContext).toEqual(vector.extra_context);
      expect(activity.serializationId).toBe(vector.serialization_id);
      expect(serializer.dumps(activity)).toBe(vector.activity_serializer);
    });
  }

  it('writes the vectors from activities built in TypeScript', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 15,
      verb: { id: 2, infinitive: 'comment', pastTense: 'commented' },
      object: 2042,
      target: 9,
      epochMicroseconds: 1373266757125000,
      extraContext: { name: 'Surf Girls', tags: ['a', 'b'], score: 1.5, ok: true, none: null },
    });
    expect(serializer.dumps(activity)).toBe(vectors.activities[2]!.activity_serializer);
  });

  it('matches the examples of the spec (§15), microseconds included', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      target: 7,
      epochMicroseconds: 1373266755123456,
      extraContext: { x: 1 },
    });
    expect(serializer.dumps(activity)).toBe(
      '13,3,42,7,1373266755.123456,\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01x\x94K\x01s.',
    );
    const plain = new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      epochMicroseconds: 1373266755123456,
    });
    expect(serializer.dumps(plain)).toBe('13,3,42,0,1373266755.123456,');
    const back = serializer.loads(
      '13,3,42,7,1373266755.123456,\x80\x04\x95\n\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01x\x94K\x01s.',
    );
    expect(back.epochMicroseconds).toBe(1373266755123456);
    expect(back.serializationId).toBe('13732667551230000000042003');
    expect(back.extraContext).toEqual({ x: 1 });
  });

  it('writes protocol 2 pickles on request', () => {
    const s2 = new StreamFrameworkActivitySerializer({ pickleProtocol: 2 });
    const vector = vectors.activities[1]!;
    const activity = serializer.loads(vector.activity_serializer);
    expect(s2.dumps(activity)).toBe(`14,4,1042,0,1373266756.124000,${vector.pickle_protocol_2}`);
    expect(s2.loads(s2.dumps(activity)).extraContext).toEqual({ item_id: 5 });
  });

  it('reads protocol 0 pickles written by Python 2', () => {
    const vector = vectors.activities[3]!;
    const activity = serializer.loads(`16,1,3042,0,1373266758.126000,${vector.pickle_protocol_0}`);
    expect(activity.extraContext).toEqual({ unicode: 'café ☃', nested: { x: [1, 2, { y: 'z' }] } });
  });

  it('formats the epoch from integer microseconds (no float rounding)', () => {
    const at = (epochMicroseconds: number) =>
      serializer.dumps(
        new Activity({
          idScheme: 'stream-framework',
          actor: 1,
          verb: Love,
          object: 2,
          epochMicroseconds,
        }),
      );
    expect(at(0)).toBe('1,3,2,0,0.000000,');
    expect(at(1)).toBe('1,3,2,0,0.000001,');
    expect(at(4102444800999999)).toBe('1,3,2,0,4102444800.999999,');
    expect(serializer.loads('1,3,2,0,4102444800.999999,').epochMicroseconds).toBe(4102444800999999);
    expect(serializer.loads('1,3,2,0,1373266755.5,').epochMicroseconds).toBe(1373266755500000);
    expect(serializer.loads('1,3,2,0,1373266755,').epochMicroseconds).toBe(1373266755000000);
  });

  it('writes a null target as 0 and reads 0 back as null (as Python: target id 0 is lost)', () => {
    const zero = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 2,
      target: 0,
      epochMicroseconds: 0,
    });
    expect(serializer.dumps(zero)).toBe('1,3,2,0,0.000000,');
    expect(serializer.loads(serializer.dumps(zero)).targetId).toBeNull();
  });

  it('keeps commas inside the pickle (splits on the first 5 commas only)', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Add,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { 'a,b': ',,,' },
    });
    const text = serializer.dumps(activity);
    expect(text.split(',').length).toBeGreaterThan(6);
    expect(serializer.loads(text).extraContext).toEqual({ 'a,b': ',,,' });
  });

  it('writes an empty extraContext as an empty part; a pickled {} reads as {}', () => {
    expect(serializer.loads('1,3,2,0,0.000000,\x80\x04}\x94.').extraContext).toEqual({});
    expect(serializer.dumps(serializer.loads('1,3,2,0,0.000000,\x80\x04}\x94.'))).toBe(
      '1,3,2,0,0.000000,',
    );
  });

  it('uses the given verb registry and activity class', () => {
    const registry = new VerbRegistry();
    const pin = registry.register({ id: 5, infinitive: 'pin', pastTense: 'pinned' });
    class PinActivity extends Activity {}
    const s = new StreamFrameworkActivitySerializer({
      verbRegistry: registry,
      activityClass: PinActivity,
    });
    const activity = s.loads('1,5,2,0,1.000000,');
    expect(activity).toBeInstanceOf(PinActivity);
    expect(activity.verb).toBe(pin);
    const error = loadError('1,3,2,0,1.000000,', s);
    expect(error.field).toBe('verb');
  });

  it('reads leading zeros in ids as Python int() does', () => {
    expect(serializer.loads('007,3,042,0,1.000000,').actorId).toBe(7);
  });
});

describe('StreamFrameworkActivitySerializer refuses bad input with a SerializationError', () => {
  it.each([
    ['an empty string', '', undefined, 'expected 6 comma-separated parts'],
    ['too few parts', '1,3,2,0', undefined, 'found 4'],
    ['a truncated string', '13,3,42,7,1373266755.12', undefined, 'found 5'],
    ['semicolons instead of commas', '1;3;2;0;1.0;', undefined, 'found 1'],
    ['a non-numeric actor', 'x,3,2,0,1.000000,', 'actor', 'non-negative integer'],
    ['a negative object', '1,3,-2,0,1.000000,', 'object', 'non-negative integer'],
    ['a float target', '1,3,2,1.5,1.000000,', 'target', 'non-negative integer'],
    ['an empty verb', '1,,2,0,1.000000,', 'verb', 'non-negative integer'],
    ['spaces around an id', '1, 3,2,0,1.000000,', 'verb', 'non-negative integer'],
    // (unsafe actor and target ids are read as bigints: issue 12 item 15)
    ['an unsafe object id', '1,3,99999999999999999,0,1.000000,', 'object', 'non-negative integer'],
    [
      'an actor id of 41 digits',
      `${'9'.repeat(41)},3,2,0,1.000000,`,
      'actor',
      'non-negative integer',
    ],
    ['a non-numeric epoch', '1,3,2,0,abc,', 'time', 'epoch seconds'],
    ['an exponent epoch', '1,3,2,0,1e9,', 'time', 'epoch seconds'],
    ['7 decimals', '1,3,2,0,1.0000001,', 'time', 'epoch seconds'],
    ['a negative epoch', '1,3,2,0,-1.000000,', 'time', 'out of range'],
    ['an object id with 11 digits', '1,3,12345678901,0,1.000000,', 'object', 'more than 10 digits'],
    ['a pickle char above U+00FF', '1,3,2,0,1.000000,\u20ac', 'extraContext', 'not a latin1 byte'],
    ['a truncated pickle', '1,3,2,0,1.000000,\x80\x04\x95\n\x00\x00', 'extraContext', 'truncated'],
    ['a pickled list', '1,3,2,0,1.000000,\x80\x04]\x94.', 'extraContext', 'expected a dict'],
    ['GLOBAL os.system', "1,3,2,0,1.000000,cos\nsystem\n(S'id'\ntR.", 'extraContext', 'GLOBAL'],
    [
      'STACK_GLOBAL + REDUCE',
      '1,3,2,0,1.000000,\x80\x04\x95\x1d\x00\x00\x00\x00\x00\x00\x00\x8c\x05posix\x94\x8c\x06system\x94\x93\x94\x8c\x02id\x94\x85\x94R\x94.',
      'extraContext',
      'STACK_GLOBAL',
    ],
    ['BUILD', '1,3,2,0,1.000000,\x80\x02}q\x00}q\x01b.', 'extraContext', 'BUILD'],
    ['INST', "1,3,2,0,1.000000,(ios\nsystem\nS'id'\n.", 'extraContext', 'INST'],
    ['OBJ', '1,3,2,0,1.000000,(}o.', 'extraContext', 'OBJ'],
    ['NEWOBJ', '1,3,2,0,1.000000,\x80\x02}q\x00)\x81.', 'extraContext', 'NEWOBJ'],
  ])('%s', (_name, data, field, message) => {
    const error = loadError(data);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('wraps an unknown verb id, keeping UnknownVerbError as the cause', () => {
    const error = loadError('1,999,2,0,1.000000,');
    expect(error.field).toBe('verb');
    expect(error.message).toContain('unknown verb id 999');
    expect(error.cause).toBeInstanceOf(UnknownVerbError);
  });

  it('refuses a non-string', () => {
    expect(loadError(42 as unknown as string).message).toContain('expected a string');
  });

  it('refuses to dump a non-Activity or an extraContext pickle cannot carry', () => {
    expect(dumpError({ actorId: 1 }).message).toContain('can only dump an Activity');
    const when = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { when: new Date(0) },
    });
    const error = dumpError(when);
    expect(error.field).toBe('extraContext.when');
    expect(error.message).toContain('a Date');
    const fn = new Activity({
      idScheme: 'stream-framework',
      actor: 1,
      verb: Love,
      object: 2,
      epochMicroseconds: 0,
      extraContext: { nested: [{ f: () => 1 }] },
    });
    expect(dumpError(fn).field).toBe('extraContext.nested[0].f');
  });

  it('never throws anything but SerializationError on random garbage', () => {
    const alphabet = [
      '1',
      '3',
      ',',
      '.',
      '-',
      ';',
      '\x80',
      '\x04',
      '\x95',
      '}',
      '\x94',
      's',
      'c',
      'R',
      'K',
      '(',
      'u',
      'X',
      '\x00',
      'e',
      ']',
    ];
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let i = 0; i < 3000; i++) {
      let text = i % 2 ? '1,3,2,0,1.000000,\x80\x04' : '';
      const length = Math.floor(random() * 30);
      for (let k = 0; k < length; k++) text += alphabet[Math.floor(random() * alphabet.length)];
      try {
        serializer.loads(text);
      } catch (error) {
        expect(error).toBeInstanceOf(SerializationError);
      }
    }
  });

  it('registers custom verbs through the default registry', () => {
    const pin = defineVerb({ id: 77, infinitive: 'pin', pastTense: 'pinned' });
    expect(serializer.loads('1,77,2,0,1.000000,').verb).toBe(pin);
  });
});
