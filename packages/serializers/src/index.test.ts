import {
  Activity,
  AggregatedActivity,
  DehydratedActivity,
  Love,
  NotificationActivity,
  VerbRegistry,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { vectors } from '../test/fixtures.js';
import * as api from './index.js';
import { jsonFormat, streamFrameworkFormat } from './index.js';

const activity = new Activity({
  idScheme: 'stream-framework',
  actor: 13,
  verb: Love,
  object: 42,
  target: 7,
  epochMicroseconds: 1373266755123456,
  extraContext: { x: 1 },
});

describe('public API', () => {
  it('exports exactly the documented values', () => {
    expect(Object.keys(api).sort()).toEqual([
      'InvalidFormatError',
      'JsonActivitySerializer',
      'JsonAggregatedActivitySerializer',
      'PythonDate',
      'PythonDateTime',
      'PythonFrozenSet',
      'PythonTimedelta',
      'STREAM_FRAMEWORK_FOREIGN_ID_KEY',
      'SimpleTimelineSerializer',
      'StreamFrameworkActivitySerializer',
      'StreamFrameworkAggregatedActivitySerializer',
      'StreamFrameworkNotificationSerializer',
      'jsonFormat',
      'pickleDumps',
      'pickleLoads',
      'resolveFormat',
      'streamFrameworkFormat',
    ]);
  });
});

describe.each([
  ['json', jsonFormat()],
  ['stream-framework', streamFrameworkFormat()],
])('%s format', (name, format) => {
  it('has its name', () => {
    expect(format.name).toBe(name);
  });

  it('round-trips an activity', () => {
    const serializer = format.activitySerializer();
    const back = serializer.loads(serializer.dumps(activity));
    expect([
      back.actorId,
      back.targetId,
      back.epochMicroseconds,
      back.extraContext,
      back.serializationId,
    ]).toEqual([13, 7, 1373266755123456, { x: 1 }, '13732667551230000000042003']);
  });

  it('stores timelines as ids', () => {
    const serializer = format.timelineSerializer();
    expect(serializer.dumps(activity)).toBe('13732667551230000000042003');
    expect(serializer.loads('13732667551230000000042003')).toBeInstanceOf(DehydratedActivity);
  });

  it('stores aggregated activities dehydrated and notifications hydrated, never mutating them', () => {
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(activity);
    const dehydrated = format
      .aggregatedSerializer()
      .loads(format.aggregatedSerializer().dumps(aggregated));
    expect(dehydrated).toBeInstanceOf(AggregatedActivity);
    expect(dehydrated).not.toBeInstanceOf(NotificationActivity);
    expect(dehydrated.isDehydrated).toBe(true);
    expect(dehydrated.activityIds).toEqual(['13732667551230000000042003']);
    const notification = format
      .notificationSerializer()
      .loads(format.notificationSerializer().dumps(aggregated));
    expect(notification).toBeInstanceOf(NotificationActivity);
    expect(notification.activities[0]!.extraContext).toEqual({ x: 1 });
    expect(
      format
        .aggregatedSerializer(NotificationActivity)
        .loads(format.aggregatedSerializer().dumps(aggregated)),
    ).toBeInstanceOf(NotificationActivity);
    expect(
      format
        .notificationSerializer(AggregatedActivity)
        .loads(format.notificationSerializer().dumps(aggregated)),
    ).not.toBeInstanceOf(NotificationActivity);
    expect(aggregated.activities).toHaveLength(1);
    expect(aggregated.isDehydrated).toBe(false);
  });

  it('is deterministic', () => {
    const serializer = format.activitySerializer();
    const copy = new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      target: 7,
      epochMicroseconds: 1373266755123456,
      extraContext: { x: 1 },
    });
    expect(serializer.dumps(copy)).toBe(serializer.dumps(activity));
    expect(serializer.dumps(serializer.loads(serializer.dumps(activity)))).toBe(
      serializer.dumps(activity),
    );
  });

  it('uses the given verb registry', () => {
    const registry = new VerbRegistry();
    const other = registry.register({ id: 3, infinitive: 'like', pastTense: 'liked' });
    const options = { verbRegistry: registry };
    const custom = name === 'json' ? jsonFormat(options) : streamFrameworkFormat(options);
    expect(
      custom.activitySerializer().loads(format.activitySerializer().dumps(activity)).verb,
    ).toBe(other);
  });
});

describe('streamFrameworkFormat', () => {
  it('writes the vectors', () => {
    const serializer = streamFrameworkFormat().activitySerializer();
    for (const vector of vectors.activities) {
      expect(serializer.dumps(serializer.loads(vector.activity_serializer))).toBe(
        vector.activity_serializer,
      );
    }
  });

  it('writes protocol 2 pickles on request', () => {
    const serializer = streamFrameworkFormat({ pickleProtocol: 2 }).activitySerializer();
    expect(serializer.dumps(activity)).toBe(
      '13,3,42,7,1373266755.123456,\x80\x02}q\x00X\x01\x00\x00\x00xq\x01K\x01s.',
    );
  });
});
