import {
  Activity,
  AggregatedActivity,
  Love,
  NotificationActivity,
  SerializationError,
} from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { redisScenario, redisText, vectors } from '../test/fixtures.js';
import { StreamFrameworkAggregatedActivitySerializer } from './stream-framework-aggregated-activity-serializer.js';

const serializer = new StreamFrameworkAggregatedActivitySerializer();
const iso = (text: string | null) =>
  text === null ? null : text.replace(/(\.\d{3})\d{3}Z$/, '$1Z');

function loadError(data: string): SerializationError {
  try {
    serializer.loads(data);
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error(`expected loads(${JSON.stringify(data)}) to throw`);
}

const love = (object: number, epochMicroseconds: number) =>
  new Activity({ idScheme: 'stream-framework', actor: 1, verb: Love, object, epochMicroseconds });

describe('StreamFrameworkAggregatedActivitySerializer: Stream Framework 1.4 vectors', () => {
  for (const vector of vectors.recent_verb_aggregated) {
    it(`reads and rewrites group ${vector.group} byte for byte`, () => {
      const aggregated = serializer.loads(vector.aggregated_activity_serializer);
      expect(aggregated).toBeInstanceOf(AggregatedActivity);
      expect(aggregated.isDehydrated).toBe(true);
      expect(aggregated.group).toBe(vector.group);
      expect(aggregated.activityIds).toEqual(vector.activity_serialization_ids);
      expect(aggregated.createdAt?.toISOString()).toBe(iso(vector.created_at));
      expect(aggregated.updatedAt?.toISOString()).toBe(iso(vector.updated_at));
      expect(aggregated.seenAt?.toISOString() ?? null).toBe(iso(vector.seen_at));
      expect(aggregated.readAt?.toISOString() ?? null).toBe(iso(vector.read_at));
      expect(aggregated.minimizedActivities).toBe(vector.minimized_activities);
      expect(aggregated.serializationId).toBe(vector.serialization_id);
      expect(serializer.dumps(aggregated)).toBe(vector.aggregated_activity_serializer);
    });
  }

  it('reads the aggregated feed members Python left in Redis', () => {
    const members = redisScenario.keys['feed:aggregated:21']!.value as [string, number][];
    for (const [raw, score] of members) {
      const text = redisText(raw);
      const aggregated = serializer.loads(text);
      expect(Number(aggregated.serializationId)).toBe(score);
      expect(serializer.dumps(aggregated)).toBe(text);
    }
  });

  it('writes a hydrated aggregated activity as ids without mutating it', () => {
    const aggregated = new AggregatedActivity({ group: '3-2013-07-08' });
    aggregated.append(love(42, 1373266755123456));
    const text = serializer.dumps(aggregated);
    // Python's exact string (SF-SPEC §15): the dates keep the activity's microseconds.
    expect(text).toBe(
      'v33-2013-07-08;;1373266755.123456;;1373266755.123456;;-1;;-1;;13732667551230000000042003;;0',
    );
    expect(aggregated.isDehydrated).toBe(false);
    expect(aggregated.activities).toHaveLength(1);
    expect(serializer.dumps(aggregated)).toBe(text);
  });

  it('keeps the microseconds of the dates it read (so a rewrite gives the same string)', () => {
    const text = 'v3g;;1373266755.123456;;1373266759.999999;;1373270355.000001;;-1;;1;2;;85';
    const aggregated = serializer.loads(text);
    expect(aggregated.createdAt?.getTime()).toBe(1373266755123);
    expect(serializer.dumps(aggregated)).toBe(text);
    // Copies keep the microseconds too (issue 12 item 14).
    expect(serializer.dumps(aggregated.clone())).toBe(text);
    aggregated.updatedAt = new Date(1373266760000);
    expect(serializer.dumps(aggregated)).toBe(
      'v3g;;1373266755.123456;;1373266760.000000;;1373270355.000001;;-1;;1;2;;85',
    );
  });

  it('reads an empty activities part as no activities, and writes it back', () => {
    const aggregated = serializer.loads('v3g;;1.000000;;2.000000;;-1;;-1;;;;0');
    expect(aggregated.activityIds).toEqual([]);
    expect(serializer.dumps(aggregated)).toBe('v3g;;1.000000;;2.000000;;-1;;-1;;;;0');
  });

  it('builds the given class', () => {
    const s = new StreamFrameworkAggregatedActivitySerializer({
      aggregatedActivityClass: NotificationActivity,
    });
    expect(
      s.loads(vectors.recent_verb_aggregated[0]!.aggregated_activity_serializer),
    ).toBeInstanceOf(NotificationActivity);
  });

  it('writes dates before 1970 and reads them back', () => {
    const aggregated = new AggregatedActivity({
      group: 'g',
      activityIds: ['1'],
      createdAt: new Date(-1500),
      updatedAt: new Date(-1),
    });
    const text = serializer.dumps(aggregated);
    expect(text).toBe('v3g;;-1.500000;;-0.001000;;-1;;-1;;1;;0');
    const back = serializer.loads(text);
    expect(back.createdAt?.getTime()).toBe(-1500);
    expect(back.updatedAt?.getTime()).toBe(-1);
  });
});

describe('StreamFrameworkAggregatedActivitySerializer refuses bad input with a SerializationError', () => {
  const good = vectors.recent_verb_aggregated[0]!.aggregated_activity_serializer;

  it.each([
    ['no v3 prefix', good.slice(2), 'version', 'v3 prefix'],
    ['a v2 prefix', `v2${good.slice(2)}`, 'version', 'v3 prefix'],
    ['an empty string', '', 'version', 'v3 prefix'],
    ['a truncated string', good.slice(0, 40), undefined, 'found 3'],
    ['too many parts', `${good};;0`, undefined, 'found 8'],
    ['too few parts', 'v3g;;1.0;;2.0;;-1;;-1;;1', undefined, 'found 6'],
    ['single-semicolon separators', 'v3g;1.0;2.0;-1;-1;1;0', undefined, 'found 1'],
    ['an empty group', 'v3;;1.0;;2.0;;-1;;-1;;1;;0', 'group', 'empty'],
    ['a non-numeric date', 'v3g;;yesterday;;2.0;;-1;;-1;;1;;0', 'createdAt', 'epoch seconds'],
    ['a date with spaces', 'v3g;;1.0;;2.0;; 5.0;;-1;;1;;0', 'seenAt', 'epoch seconds'],
    [
      'a date beyond the Date range',
      'v3g;;1.0;;2.0;;-1;;9999999999999999;;1;;0',
      'readAt',
      'outside the range',
    ],
    [
      'a non-numeric id',
      'v3g;;1.0;;2.0;;-1;;-1;;1;abc;;0',
      'activityIds[1]',
      'decimal activity id',
    ],
    [
      'a trailing id separator',
      'v3g;;1.0;;2.0;;-1;;-1;;1;;;0',
      'minimizedActivities',
      'non-negative integer',
    ],
    [
      'an empty id between ids',
      'v3g;;1.0;;2.0;;-1;;-1;;;1;;0',
      'activityIds[0]',
      'decimal activity id',
    ],
    ['an empty id', 'v3g;;1.0;;2.0;;-1;;-1;;1;;2;;0', undefined, 'found 8'],
    ['a negative id', 'v3g;;1.0;;2.0;;-1;;-1;;-1;;0', 'activityIds[0]', 'decimal activity id'],
    [
      'a non-numeric minimized count',
      'v3g;;1.0;;2.0;;-1;;-1;;1;;x',
      'minimizedActivities',
      'non-negative integer',
    ],
    [
      'a negative minimized count',
      'v3g;;1.0;;2.0;;-1;;-1;;1;;-3',
      'minimizedActivities',
      'non-negative integer',
    ],
  ])('%s', (_name, data, field, message) => {
    const error = loadError(data);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('refuses a non-string', () => {
    expect(loadError(null as unknown as string).message).toContain('expected a string');
  });

  it('refuses groups containing the reserved ;; (or ending with ;) on write', () => {
    for (const group of ['a;;b', 'a;', ';;']) {
      const aggregated = new AggregatedActivity({
        group,
        activityIds: ['1'],
        createdAt: new Date(0),
        updatedAt: new Date(0),
      });
      try {
        serializer.dumps(aggregated);
        throw new Error('expected dumps to throw');
      } catch (error) {
        expect(error).toBeInstanceOf(SerializationError);
        expect((error as SerializationError).field).toBe('group');
        expect((error as SerializationError).message).toContain(';;');
      }
    }
    const ok = new AggregatedActivity({
      group: ';a,b;c',
      activityIds: ['1'],
      createdAt: new Date(0),
      updatedAt: new Date(0),
    });
    expect(serializer.loads(serializer.dumps(ok)).group).toBe(';a,b;c');
  });

  it('refuses to dump anything but an AggregatedActivity', () => {
    expect(() => serializer.dumps({ group: 'g' } as unknown as AggregatedActivity)).toThrow(
      SerializationError,
    );
  });
});

describe('stored aggregated activities that list an activity twice', () => {
  it('are refused by the dehydrated readers of both formats', async () => {
    const { jsonFormat, streamFrameworkFormat } = await import('./index.js');
    const { SerializationError } = await import('@sf/activity');
    const id = '13732667551230000000042003';
    const sf = `v33-2013-07-08;;1373266755.123000;;1373266755.123000;;-1;;-1;;${id};${id};;0`;
    expect(() => streamFrameworkFormat().aggregatedSerializer().loads(sf)).toThrow(
      SerializationError,
    );
    expect(() => streamFrameworkFormat().aggregatedSerializer().loads(sf)).toThrow(
      /activityIds\[1\]: activity 1373266755123000000004200\d appears twice/,
    );
    const json = `j1:{"group":"g","createdAt":1,"updatedAt":1,"seenAt":null,"readAt":null,"minimizedActivities":0,"activityIds":["${id}","${id}"]}`;
    expect(() => jsonFormat().aggregatedSerializer().loads(json)).toThrow(/appears twice/);
  });
});
