import {
  dateFromEpochMicroseconds,
  epochMicrosecondsOfDate,
  Activity,
  AggregatedActivity,
  Comment,
  Love,
  NotificationActivity,
  OpaqueActivity,
  SerializationError,
  UnknownVerbError,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { JsonAggregatedActivitySerializer } from './json-aggregated-activity-serializer.js';

const dehydrated = new JsonAggregatedActivitySerializer();
const full = new JsonAggregatedActivitySerializer({
  dehydrate: false,
  aggregatedActivityClass: NotificationActivity,
});

function loadError(serializer: JsonAggregatedActivitySerializer, data: string): SerializationError {
  try {
    serializer.loads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`expected loads(${JSON.stringify(data)}) to throw`);
}

function sample(): NotificationActivity {
  const aggregated = new NotificationActivity({ group: '3-2013-07-08' });
  aggregated.append(
    new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      target: 0,
      epochMicroseconds: 1373266755123456,
    }),
  );
  aggregated.append(
    new Activity({
      idScheme: 'stream-framework',
      actor: 17,
      verb: Love,
      object: 4042,
      target: 11,
      epochMicroseconds: 1373266759127000,
      extraContext: { big: 12345678901234, u: 'café ☃' },
    }),
  );
  aggregated.seenAt = new Date(1373270355123);
  return aggregated;
}

describe('JsonAggregatedActivitySerializer (dehydrate: true, aggregated feeds)', () => {
  it('writes the documented shape, ids only', () => {
    expect(dehydrated.name).toBe('json/aggregated');
    expect(dehydrated.dumps(sample())).toBe(
      'j1:{"group":"3-2013-07-08","createdAt":"1373266755123.456","updatedAt":1373266759127,"seenAt":1373270355123,"readAt":null,' +
        '"minimizedActivities":0,"activityIds":["13732667551230000000042003","13732667591270000004042003"]}',
    );
  });

  it('reads a dehydrated instance with every field exact', () => {
    const aggregated = sample();
    aggregated.minimizedActivities = 85;
    aggregated.readAt = new Date(-5);
    const back = dehydrated.loads(dehydrated.dumps(aggregated));
    expect(back).toBeInstanceOf(AggregatedActivity);
    expect(back.isDehydrated).toBe(true);
    expect(back.group).toBe('3-2013-07-08');
    expect(back.activityIds).toEqual(aggregated.activityIds);
    expect(back.createdAt).toEqual(aggregated.createdAt);
    expect(back.updatedAt).toEqual(aggregated.updatedAt);
    expect(back.seenAt).toEqual(aggregated.seenAt);
    expect(back.readAt).toEqual(new Date(-5));
    expect(back.minimizedActivities).toBe(85);
    expect(back.serializationId).toBe('1373266759000');
    expect(dehydrated.dumps(back)).toBe(dehydrated.dumps(aggregated));
  });

  it('keeps microseconds of dates, before 1970 too (issue 12 item 14)', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activityIds: ['1'],
      createdAt: dateFromEpochMicroseconds(1393909567123456n),
      updatedAt: dateFromEpochMicroseconds(-1500n),
      seenAt: dateFromEpochMicroseconds(1393909567123000n),
    });
    const text = dehydrated.dumps(aggregated);
    expect(text).toContain(
      '"createdAt":"1393909567123.456","updatedAt":"-1.500","seenAt":1393909567123,',
    );
    const back = dehydrated.loads(text);
    expect(epochMicrosecondsOfDate(back.createdAt!)).toBe(1393909567123456n);
    expect(epochMicrosecondsOfDate(back.updatedAt!)).toBe(-1500n);
    expect(back.updatedAt!.getTime()).toBe(-2);
    expect(dehydrated.dumps(back)).toBe(text);
    expect(() => dehydrated.loads(text.replace('"-1.500"', '"-1.5"'))).toThrow(/3 decimals/);
  });

  it('never mutates the value it writes', () => {
    const aggregated = sample();
    dehydrated.dumps(aggregated);
    expect(aggregated.isDehydrated).toBe(false);
    expect(aggregated.activities).toHaveLength(2);
  });

  it('keeps any characters in the group', () => {
    const aggregated = new AggregatedActivity({
      group: 'a;;b,"c"\n☃',
      activityIds: [],
      createdAt: null,
      updatedAt: null,
    });
    const back = dehydrated.loads(dehydrated.dumps(aggregated));
    expect(back.group).toBe('a;;b,"c"\n☃');
    expect(back.createdAt).toBeNull();
    expect(back.activityIds).toEqual([]);
  });

  it('builds the given class', () => {
    const s = new JsonAggregatedActivitySerializer({
      aggregatedActivityClass: NotificationActivity,
    });
    expect(s.loads(dehydrated.dumps(sample()))).toBeInstanceOf(NotificationActivity);
  });
});

describe('JsonAggregatedActivitySerializer (dehydrate: false, notification feeds)', () => {
  it('writes full activities inline and reads a hydrated instance', () => {
    expect(full.name).toBe('json/notification');
    const aggregated = sample();
    const text = full.dumps(aggregated);
    expect(text).toBe(
      'j1:{"group":"3-2013-07-08","createdAt":"1373266755123.456","updatedAt":1373266759127,"seenAt":1373270355123,"readAt":null,"minimizedActivities":0,"activities":[' +
        '{"actor":13,"verb":3,"object":42,"target":0,"epochMicroseconds":1373266755123456,"extraContext":{}},' +
        '{"actor":17,"verb":3,"object":4042,"target":11,"epochMicroseconds":1373266759127000,"extraContext":{"big":12345678901234,"u":"café ☃"}}]}',
    );
    const back = full.loads(text);
    expect(back).toBeInstanceOf(NotificationActivity);
    expect(back.isDehydrated).toBe(false);
    expect(
      back.activities.map((a) => [a.actorId, a.targetId, a.epochMicroseconds, a.extraContext]),
    ).toEqual([
      [13, 0, 1373266755123456, {}],
      [17, 11, 1373266759127000, { big: 12345678901234, u: 'café ☃' }],
    ]);
    expect(full.dumps(back)).toBe(text);
    expect(aggregated.activities).toHaveLength(2);
  });

  it('keeps more activities than maxActivities and dates as stored', () => {
    const activities = Array.from(
      { length: 20 },
      (_, i) =>
        `{"actor":1,"verb":2,"object":${i},"target":null,"epochMicroseconds":${i},"extraContext":{}}`,
    );
    const text = `j1:{"group":"g","createdAt":5,"updatedAt":6,"seenAt":null,"readAt":null,"minimizedActivities":3,"activities":[${activities.join(',')}]}`;
    const back = full.loads(text);
    expect(back.activities).toHaveLength(20);
    expect(back.activities[0]!.verb).toBe(Comment);
    expect(back.createdAt?.getTime()).toBe(5);
    expect(back.minimizedActivities).toBe(3);
    expect(full.dumps(back)).toBe(text);
  });

  it('refuses a dehydrated aggregated activity that still has ids', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activityIds: ['1'],
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    expect(() => full.dumps(aggregated)).toThrow(/hydrate it/);
  });

  it('refuses extraContext values JSON cannot carry, naming the path', () => {
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(
      new Activity({
        actor: 1,
        verb: Love,
        object: 2,
        epochMicroseconds: 0,
        extraContext: { n: 1n },
      }),
    );
    try {
      full.dumps(aggregated);
      throw new Error('expected dumps to throw');
    } catch (error) {
      expect(error).toBeInstanceOf(SerializationError);
      expect((error as SerializationError).field).toBe('activities[0].extraContext.n');
      expect((error as SerializationError).message).toContain('a bigint');
    }
  });
});

describe('JsonAggregatedActivitySerializer refuses bad input with a SerializationError', () => {
  const base = {
    group: 'g',
    createdAt: 1,
    updatedAt: 2,
    seenAt: null,
    readAt: null,
    minimizedActivities: 0,
  };
  const ids = (patch: Record<string, unknown>) =>
    `j1:${JSON.stringify({ ...base, activityIds: ['1'], ...patch })}`;
  const acts = (patch: Record<string, unknown>) =>
    `j1:${JSON.stringify({ ...base, activities: [], ...patch })}`;

  it.each([
    ['no prefix', dehydrated, 'v3g;;1.0;;1.0;;-1;;-1;;1;;0', 'version', 'j1: prefix'],
    ['invalid JSON', dehydrated, 'j1:{', undefined, 'invalid JSON'],
    ['an empty group', dehydrated, ids({ group: '' }), 'group', 'non-empty string'],
    ['a numeric group', dehydrated, ids({ group: 3 }), 'group', 'non-empty string'],
    ['a string date', dehydrated, ids({ createdAt: '2013-07-08' }), 'createdAt', 'integer'],
    ['a fractional date', dehydrated, ids({ seenAt: 1.5 }), 'seenAt', 'integer'],
    [
      'a date beyond the Date range',
      dehydrated,
      ids({ readAt: 9e15 }),
      'readAt',
      'outside the range',
    ],
    [
      'a negative minimized count',
      dehydrated,
      ids({ minimizedActivities: -1 }),
      'minimizedActivities',
      'non-negative integer',
    ],
    [
      'a missing date',
      dehydrated,
      `j1:${JSON.stringify({ group: 'g', activityIds: [] })}`,
      'createdAt',
      'missing',
    ],
    [
      'a numeric id',
      dehydrated,
      ids({ activityIds: [1] }),
      'activityIds[0]',
      'decimal activity id',
    ],
    [
      'an id with a leading zero',
      dehydrated,
      ids({ activityIds: ['1', '01'] }),
      'activityIds[1]',
      'decimal activity id',
    ],
    [
      'activityIds not an array',
      dehydrated,
      ids({ activityIds: '1' }),
      'activityIds',
      'expected an array',
    ],
    [
      'full activities given to the dehydrated serializer',
      dehydrated,
      acts({}),
      'activityIds',
      'missing',
    ],
    ['ids given to the notification serializer', full, ids({}), 'activities', 'missing'],
    [
      'a bad activity',
      full,
      acts({ activities: [{ actor: 'x' }] }),
      'activities[0].verb',
      'missing',
    ],
    [
      'a bad activity field',
      full,
      acts({
        activities: [
          { actor: -1, verb: 3, object: 2, target: null, epochMicroseconds: 0, extraContext: {} },
        ],
      }),
      'activities[0].actor',
      'non-negative integer',
    ],
    [
      'an activity that is not an object',
      full,
      acts({ activities: [7] }),
      'activities[0]',
      'expected a JSON object',
    ],
    [
      'a duplicated activity',
      full,
      acts({
        activities: [
          { actor: 1, verb: 3, object: 2, target: null, epochMicroseconds: 0, extraContext: {} },
          { actor: 9, verb: 3, object: 2, target: null, epochMicroseconds: 0, extraContext: {} },
        ],
      }),
      'activities[1]',
      'appears twice',
    ],
  ])('%s', (_name, serializer, data, field, message) => {
    const error = loadError(serializer, data);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('wraps unknown verbs with the UnknownVerbError as cause', () => {
    const error = loadError(
      full,
      acts({
        activities: [
          { actor: 1, verb: 5151, object: 2, target: null, epochMicroseconds: 0, extraContext: {} },
        ],
      }),
    );
    expect(error.field).toBe('activities[0].verb');
    expect(error.cause).toBeInstanceOf(UnknownVerbError);
  });
});

describe('JsonAggregatedActivitySerializer keeps activities it cannot read (issue 12 item 13)', () => {
  it('reads one as an OpaqueActivity and writes it back as it was', () => {
    const text =
      'j1:{"group":"g","createdAt":0,"updatedAt":0,"seenAt":null,"readAt":null,"minimizedActivities":0,"activities":[' +
      '{"actor":1,"verb":998,"object":2,"target":null,"epochMicroseconds":5,"extraContext":{"x":1}},' +
      '{"actor":1,"verb":3,"object":2,"target":null,"epochMicroseconds":5,"extraContext":{}}]}';
    const aggregated = full.loads(text);
    const [opaque, readable] = aggregated.activities;
    expect(opaque).toBeInstanceOf(OpaqueActivity);
    expect(opaque!.serializationId).toBe('2998');
    expect((opaque as OpaqueActivity).reason).toBeInstanceOf(SerializationError);
    expect(readable).not.toBeInstanceOf(OpaqueActivity);
    expect(full.dumps(aggregated)).toBe(text);
  });
});
