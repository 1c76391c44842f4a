import { describe, expect, it } from 'vitest';
import {
  Activity,
  AggregatedActivity,
  Comment,
  Love,
  NotificationActivity,
  SerializationError,
} from '@sf/activity';
import { jsonFormat, pickleDumps, pickleLoads, streamFrameworkFormat } from '@sf/serializers';
import type { SerializationFormat } from '@sf/serializers';
import {
  ActivityCodec,
  AggregatedBlobCodec,
  bigIdOf,
  epochText,
  idParameter,
  integerOf,
  varintText,
} from './codec.js';
import type { ActivityFields } from './codec.js';

const time = Date.UTC(2013, 6, 8, 6, 59, 15, 123);
const activity = new Activity({
  actor: 13,
  verb: Love,
  object: 42,
  target: 7,
  time,
  extraContext: { x: 1, tags: ['a'], café: '☃' },
});

const activityWithPythonId = activity.withIdScheme('stream-framework');

function row(fields: ActivityFields) {
  return {
    activity_id: BigInt(fields.activityId),
    actor: fields.actor,
    verb: fields.verb,
    object: fields.object,
    target: fields.target,
    time: fields.time,
    extra_context: fields.extraContext,
  };
}

describe('ActivityCodec', () => {
  it('stores extra_context as JSON in the json format and reads every field back', () => {
    const codec = new ActivityCodec(jsonFormat());
    const fields = codec.encode(activity);
    expect(fields).toMatchObject({
      activityId: activity.serializationId,
      actor: 13,
      verb: Love.id,
      object: 42,
      target: 7,
    });
    expect(fields.time.getTime()).toBe(time);
    expect(JSON.parse(fields.extraContext.toString('utf8'))).toEqual(activity.extraContext);
    const back = codec.decode(row(fields));
    expect(back).toBeInstanceOf(Activity);
    expect(back.serializationId).toBe(activity.serializationId);
    expect(back.extraContext).toEqual(activity.extraContext);
    expect(back.targetId).toBe(7);
    expect(codec.encode(activity)).toBe(fields); // encoded once per activity object
  });

  it('stores extra_context pickled as Stream Framework does in the stream-framework format', () => {
    const codec = new ActivityCodec(streamFrameworkFormat());
    const activity = activityWithPythonId;
    const fields = codec.encode(activity);
    expect(Buffer.from(pickleDumps({ x: 1, tags: ['a'], café: '☃' }))).toEqual(fields.extraContext);
    expect(pickleLoads(fields.extraContext)).toEqual(activity.extraContext);
    expect(codec.decode(row(fields)).extraContext).toEqual(activity.extraContext);
    const plain = new Activity({
      actor: 1,
      verb: Comment,
      object: 2,
      time,
      idScheme: 'stream-framework',
    });
    const empty = codec.encode(plain);
    expect(pickleLoads(empty.extraContext)).toEqual({}); // Python unpickles it unconditionally
    expect(empty.target).toBeNull();
    const read = codec.decode({ ...row(empty), extra_context: null });
    expect(read.extraContext).toEqual({});
    expect(read.targetId).toBeNull();
  });

  it("reads back the id scheme of the row's activity_id in the json format (issue 12 item 3)", () => {
    const codec = new ActivityCodec(jsonFormat());
    for (const stored of [activity, activityWithPythonId]) {
      const back = codec.decode(row(codec.encode(stored)));
      expect([back.idScheme, back.serializationId]).toEqual([
        stored.idScheme,
        stored.serializationId,
      ]);
    }
  });

  it('keeps 64-bit actor and target ids in both formats (issue 12 item 15)', () => {
    const big = new Activity({
      actor: 1234567890123456789n,
      verb: Love,
      object: 42,
      target: 2n ** 62n,
      time,
    });
    for (const format of [jsonFormat(), streamFrameworkFormat()]) {
      const codec = new ActivityCodec(format);
      const fields = codec.encode(
        format.name === 'json' ? big : big.withIdScheme('stream-framework'),
      );
      expect(idParameter(fields.actor, 'bigint', 'actor', 'ks.t')).toBe('1234567890123456789');
      // a bigint column reads back as a bigint
      const back = codec.decode({
        ...row(fields),
        actor: BigInt(fields.actor!),
        target: BigInt(fields.target!),
      });
      expect([back.actorId, back.targetId]).toEqual([1234567890123456789n, 2n ** 62n]);
    }
  });

  it('keeps the whole serialized activity in the blob for other formats', () => {
    const json = jsonFormat();
    const custom: SerializationFormat = { ...json, name: 'custom' };
    const codec = new ActivityCodec(custom);
    expect(codec.encoding).toBe('opaque');
    const fields = codec.encode(activity);
    expect(fields.extraContext.toString('utf8')).toBe(json.activitySerializer().dumps(activity));
    expect(codec.decode(row(fields)).serializationId).toBe(activity.serializationId);
  });

  it('fails with SerializationError on undecodable rows', () => {
    const codec = new ActivityCodec(jsonFormat());
    const good = row(codec.encode(activity));
    expect(() => codec.decode({ ...good, extra_context: Buffer.from('{not json') })).toThrow(
      SerializationError,
    );
    expect(() => codec.decode({ ...good, extra_context: Buffer.from([0xff, 0xfe]) })).toThrow(
      /UTF-8/,
    );
    expect(() => codec.decode({ ...good, extra_context: Buffer.from('[1]') })).toThrow(
      SerializationError,
    );
    expect(() => codec.decode({ ...good, verb: 999 })).toThrow(/unknown verb/);
    expect(() => codec.decode({ ...good, actor: null })).toThrow(/actor/);
    expect(() => codec.decode({ ...good, time: null })).toThrow(/time/);
    const sf = new ActivityCodec(streamFrameworkFormat());
    expect(() => sf.decode({ ...good, extra_context: Buffer.from([0x80, 0x04, 0x63]) })).toThrow(
      SerializationError,
    );
    expect(() => codec.encode({} as Activity)).toThrow(SerializationError);
  });

  it('checks ids against int columns', () => {
    expect(idParameter(2_147_483_647, 'int', 'object', 'ks.t')).toBe(2_147_483_647);
    expect(() => idParameter(2_147_483_648, 'int', 'object', 'ks.t')).toThrow(/idType: 'bigint'/);
    expect(idParameter(9_999_999_999, 'bigint', 'object', 'ks.t')).toBe('9999999999');
  });

  it('reads driver numbers', () => {
    expect(integerOf(5n, 'n')).toBe(5);
    // actor and target ids beyond 2^53 (bigint columns) stay exact (issue 12 item 15)
    expect(bigIdOf(1234567890123456789n, 'actor')).toBe(1234567890123456789n);
    expect(bigIdOf({ toString: () => '1234567890123456789' }, 'actor')).toBe(1234567890123456789n);
    expect(bigIdOf(7, 'actor')).toBe(7);
    expect(integerOf({ toString: () => '12' }, 'n')).toBe(12);
    expect(() => integerOf(-1, 'n')).toThrow(SerializationError);
    expect(varintText(13732667551230000000042003n)).toBe('13732667551230000000042003');
    expect(epochText(1373266755123000)).toBe('1373266755.123000');
    expect(epochText(5)).toBe('0.000005');
  });
});

describe('AggregatedBlobCodec', () => {
  const activities = [1, 2, 3].map(
    (i) =>
      new Activity({ actor: i, verb: Love, object: i, time: time + i * 1000, extraContext: { i } }),
  );

  it('stores aggregated activities with their activities, and reads them hydrated', () => {
    for (const format of [jsonFormat(), streamFrameworkFormat()]) {
      const codec = new AggregatedBlobCodec(
        'aggregated',
        format.aggregatedSerializer(),
        format.activitySerializer(),
      );
      const scheme = format.name === 'stream-framework' ? 'stream-framework' : 'actor';
      const aggregated = new AggregatedActivity({
        group: '3-2013-07-08',
        activities: activities.map((a) => a.withIdScheme(scheme)),
      });
      aggregated.minimizedActivities = 4;
      const back = codec.decode(codec.encode(aggregated));
      expect(back.isDehydrated).toBe(false);
      expect(back.activityIds).toEqual(aggregated.activityIds);
      expect(back.activities.map((a) => a.extraContext)).toEqual([{ i: 1 }, { i: 2 }, { i: 3 }]);
      expect(back.serializationId).toBe(aggregated.serializationId);
      expect(back.minimizedActivities).toBe(4);
    }
  });

  it('leaves rows written with ids only dehydrated (the feed hydrates them)', () => {
    const format = jsonFormat();
    const codec = new AggregatedBlobCodec(
      'aggregated',
      format.aggregatedSerializer(),
      format.activitySerializer(),
    );
    const dehydrated = new AggregatedActivity({ group: 'g', activities }).dehydrate();
    const back = codec.decode(codec.encode(dehydrated));
    expect(back.isDehydrated).toBe(true);
    expect(back.activityIds).toEqual(activities.map((a) => a.serializationId));
  });

  it('stores notification activities as the notification serializer writes them', () => {
    const format = jsonFormat();
    const serializer = format.notificationSerializer();
    const codec = new AggregatedBlobCodec('notification', serializer, format.activitySerializer());
    const notification = new NotificationActivity({ group: '3-7-2013-07-08', activities });
    const blob = codec.encode(notification);
    expect(blob.toString('utf8')).toBe(serializer.dumps(notification));
    const back = codec.decode(blob);
    expect(back).toBeInstanceOf(NotificationActivity);
    expect(back.activities).toHaveLength(3);
  });

  it('fails with SerializationError on undecodable blobs', () => {
    const format = jsonFormat();
    const codec = new AggregatedBlobCodec(
      'aggregated',
      format.aggregatedSerializer(),
      format.activitySerializer(),
    );
    for (const blob of [
      Buffer.alloc(0),
      null,
      Buffer.from('nope'),
      Buffer.from('[1]'),
      Buffer.from('["j1:{}"]'),
      Buffer.from([0xc3]),
    ]) {
      expect(() => codec.decode(blob)).toThrow(SerializationError);
    }
  });
});
