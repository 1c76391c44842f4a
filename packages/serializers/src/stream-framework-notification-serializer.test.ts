import {
  OpaqueActivity,
  Activity,
  AggregatedActivity,
  Love,
  NotificationActivity,
  SerializationError,
  UnknownVerbError,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { redisScenario, redisText, vectors } from '../test/fixtures.js';
import { StreamFrameworkActivitySerializer } from './stream-framework-activity-serializer.js';
import { StreamFrameworkNotificationSerializer } from './stream-framework-notification-serializer.js';

const serializer = new StreamFrameworkNotificationSerializer();

function loadError(data: string): SerializationError {
  try {
    serializer.loads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`expected loads(${JSON.stringify(data)}) to throw`);
}

function dumpError(value: unknown): SerializationError {
  try {
    serializer.dumps(value as AggregatedActivity);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected dumps to throw');
}

const activity = (object: number, epochMicroseconds: number, extraContext = {}) =>
  new Activity({
    idScheme: 'stream-framework',
    actor: 13,
    verb: Love,
    object,
    epochMicroseconds,
    extraContext,
  });

describe('StreamFrameworkNotificationSerializer: Stream Framework 1.4 vectors', () => {
  for (const vector of vectors.recent_verb_aggregated) {
    it(`reads and rewrites group ${vector.group} byte for byte`, () => {
      const aggregated = serializer.loads(vector.notification_serializer);
      expect(aggregated).toBeInstanceOf(NotificationActivity);
      expect(aggregated.isDehydrated).toBe(false);
      expect(aggregated.group).toBe(vector.group);
      // Python dehydrated the object before writing it: the vector has no activities.
      expect(aggregated.activities).toEqual([]);
      expect(aggregated.createdAt?.getTime()).toBe(Date.parse(vector.created_at));
      expect(aggregated.updatedAt?.getTime()).toBe(Date.parse(vector.updated_at));
      expect(aggregated.seenAt?.getTime() ?? null).toBe(
        vector.seen_at === null ? null : Date.parse(vector.seen_at),
      );
      expect(aggregated.readAt).toBeNull();
      expect(aggregated.minimizedActivities).toBe(vector.minimized_activities);
      expect(aggregated.serializationId).toBe(vector.serialization_id);
      expect(serializer.dumps(aggregated)).toBe(vector.notification_serializer);
    });
  }

  it('reads the notification feed members Python left in Redis, full activities inline', () => {
    const members = redisScenario.keys['notification_feed:21']!.value as [string, number][];
    expect(members.length).toBeGreaterThan(0);
    for (const [raw, score] of members) {
      const text = redisText(raw);
      const aggregated = serializer.loads(text);
      expect(aggregated.activities.length).toBeGreaterThan(0);
      expect(Number(aggregated.serializationId)).toBe(score);
      expect(aggregated.activities[0]!.extraContext).toHaveProperty('item_id');
      expect(serializer.dumps(aggregated)).toBe(text);
    }
  });

  it('matches the example of the spec (§15)', () => {
    const aggregated = new NotificationActivity({ group: '3-2013-07-08' });
    aggregated.append(activity(42, 1373266755123456));
    const text = serializer.dumps(aggregated);
    expect(text).toBe(
      'v33-2013-07-08;;1373266755.123456;;1373266755.123456;;-1;;-1;;13,3,42,0,1373266755.123456,;;0',
    );
    const back = serializer.loads(text);
    expect(back.activities[0]!.epochMicroseconds).toBe(1373266755123456);
    expect(serializer.dumps(back)).toBe(text);
  });

  it('round-trips several activities with extraContext, exactly, without mutating the input', () => {
    const aggregated = new NotificationActivity({ group: 'g' });
    for (let i = 0; i < 17; i++)
      aggregated.append(activity(100 + i, 1373266755000000 + i * 1000001, i % 2 ? { i } : {}));
    expect(aggregated.activities).toHaveLength(15);
    expect(aggregated.minimizedActivities).toBe(2);
    aggregated.seenAt = new Date(1373266799000);
    const text = serializer.dumps(aggregated);
    expect(aggregated.activities).toHaveLength(15);
    expect(aggregated.isDehydrated).toBe(false);
    const back = serializer.loads(text);
    expect(back.activityIds).toEqual(aggregated.activityIds);
    expect(back.activities.map((a) => a.extraContext)).toEqual(
      aggregated.activities.map((a) => a.extraContext),
    );
    expect(back.minimizedActivities).toBe(2);
    expect(back.createdAt).toEqual(aggregated.createdAt);
    expect(back.updatedAt).toEqual(aggregated.updatedAt);
    expect(back.seenAt).toEqual(aggregated.seenAt);
    expect(serializer.dumps(back)).toBe(text);
  });

  it('keeps more activities than maxActivities and dates as stored (no re-derivation)', () => {
    const texts = Array.from({ length: 20 }, (_, i) => `1,3,${i + 1},0,${100 + i}.000000,`);
    const text = `v3g;;5.000000;;6.000000;;-1;;-1;;${texts.join(';')};;7`;
    const back = serializer.loads(text);
    expect(back.activities).toHaveLength(20);
    expect(back.createdAt?.getTime()).toBe(5000);
    expect(back.updatedAt?.getTime()).toBe(6000);
    expect(back.minimizedActivities).toBe(7);
    expect(serializer.dumps(back)).toBe(text);
  });

  it('builds the given class and writes pickles with the given protocol', () => {
    const s = new StreamFrameworkNotificationSerializer({
      aggregatedActivityClass: AggregatedActivity,
      pickleProtocol: 2,
    });
    const aggregated = new AggregatedActivity({ group: 'g' });
    aggregated.append(activity(1, 1_000_000, { item_id: 5 }));
    const text = s.dumps(aggregated);
    expect(text).toContain(`1.000000,${vectors.activities[1]!.pickle_protocol_2};;0`);
    const back = s.loads(text);
    expect(back).toBeInstanceOf(AggregatedActivity);
    expect(back).not.toBeInstanceOf(NotificationActivity);
  });
});

describe('StreamFrameworkNotificationSerializer refuses bad input with a SerializationError', () => {
  it.each([
    ['no v3 prefix', '3-2013;;1.0;;1.0;;-1;;-1;;;;0', 'version', 'v3 prefix'],
    ['a truncated activity', 'v3g;;1.0;;1.0;;-1;;-1;;13,3,42;;0', 'activities[0]', 'found 3'],
    [
      'an empty activity',
      'v3g;;1.0;;1.0;;-1;;-1;;1,3,2,0,1.0,;;;0',
      'minimizedActivities',
      'non-negative integer',
    ],
    [
      'a bad second activity',
      'v3g;;1.0;;1.0;;-1;;-1;;1,3,2,0,1.0,;x,3,2,0,1.0,;;0',
      'activities[1].actor',
      'non-negative integer',
    ],
    [
      'a bad epoch in an activity',
      'v3g;;1.0;;1.0;;-1;;-1;;1,3,2,0,now,;;0',
      'activities[0].time',
      'epoch seconds',
    ],
    [
      'a duplicated activity',
      'v3g;;1.0;;1.0;;-1;;-1;;1,3,2,0,1.0,;1,3,2,0,1.0,;;0',
      'activities[1]',
      'appears twice',
    ],
    [
      'a dehydrated id list',
      'v3g;;1.0;;1.0;;-1;;-1;;13732667551230000000042003;;0',
      'activities[0]',
      'found 1',
    ],
  ])('%s', (_name, data, field, message) => {
    const error = loadError(data);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  // An activity whose id can be read is kept as an OpaqueActivity (written back verbatim, issue
  // 12 item 13); the error is its reason.
  function opaqueError(data: string): SerializationError {
    const opaque = serializer.loads(data).activities[0];
    expect(opaque).toBeInstanceOf(OpaqueActivity);
    expect(serializer.dumps(serializer.loads(data))).toBe(data);
    const error = (opaque as OpaqueActivity).reason;
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }

  it('a malicious pickle: never run, kept verbatim', () => {
    const error = opaqueError(
      "v3g;;1.000000;;1.000000;;-1;;-1;;1,3,2,0,1.0,cos\nsystem\n(S'id'\ntR.;;0",
    );
    expect(error.field).toBe('activities[0].extraContext');
    expect(error.message).toContain('GLOBAL');
  });

  it('wraps unknown verbs with the UnknownVerbError as cause', () => {
    const error = opaqueError('v3g;;1.000000;;1.000000;;-1;;-1;;1,998,2,0,1.0,;;0');
    expect(error.field).toBe('activities[0].verb');
    expect(error.cause).toBeInstanceOf(UnknownVerbError);
  });

  it('refuses an activity whose pickle contains ";" (as Python)', () => {
    // 59 chars of value: the SHORT_BINUNICODE length byte is 0x3b, a ';'
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(activity(1, 1_000_000, { k: 'x'.repeat(59) }));
    expect(new StreamFrameworkActivitySerializer().dumps(aggregated.activities[0]!)).toContain(';');
    const error = dumpError(aggregated);
    expect(error.field).toBe('activities[0]');
    expect(error.message).toContain("reserved character ';'");
  });

  it('refuses a dehydrated aggregated activity that still has ids', () => {
    const dehydrated = new AggregatedActivity({
      group: 'g',
      activityIds: ['1'],
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    expect(dumpError(dehydrated).message).toContain('hydrate it');
  });

  it('refuses extraContext values pickle cannot carry, naming the path', () => {
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(activity(1, 1_000_000, { when: new Date(0) }));
    const error = dumpError(aggregated);
    expect(error.field).toBe('activities[0].extraContext.when');
  });

  it('refuses groups containing ;;', () => {
    const aggregated = new NotificationActivity({ group: 'a;;b' });
    aggregated.append(activity(1, 1_000_000));
    expect(dumpError(aggregated).field).toBe('group');
  });
});
