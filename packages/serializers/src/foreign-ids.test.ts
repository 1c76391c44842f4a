import { Activity, Add, Love, NotificationActivity, SerializationError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { jsonFormat } from './json-format.js';
import { streamFrameworkFormat } from './stream-framework-format.js';
import { pickleLoads } from './pickle-loads.js';
import { latin1ToBytes } from './utf8.js';

const T = Date.UTC(2024, 0, 1, 12);
const UUID = '3f2b8c1e-9a4d-4c6b-8f0e-1d2c3b4a5e6f';
const SNOWFLAKE = 1790000000000000001n;

describe('string ids and foreign ids in the JSON format (issue 16)', () => {
  const json = jsonFormat();
  const activities = json.activitySerializer();
  const notifications = json.notificationSerializer();

  it('round-trips string actors, objects, targets and a foreign id exactly', () => {
    const activity = new Activity({
      actor: 'alice',
      verb: Love,
      object: UUID,
      target: '12345678901234567890123',
      time: T,
      foreignId: 'pin:123',
      extraContext: { x: 1 },
    });
    const text = activities.dumps(activity);
    expect(text).toContain(`"object":{"string":"${UUID}"}`);
    expect(text).toContain('"foreignId":"pin:123"');
    const back = activities.loads(text);
    expect(back.actorId).toBe('alice');
    expect(back.objectId).toBe(UUID);
    // a decimal-looking string stays a string, never a bigint
    expect(back.targetId).toBe('12345678901234567890123');
    expect(back.foreignId).toBe('pin:123');
    expect(back.serializationId).toBe(activity.serializationId);
    expect(activities.dumps(back)).toBe(text);
  });

  it('round-trips snowflake object ids beyond 2^53 exactly', () => {
    const activity = new Activity({ actor: SNOWFLAKE, verb: Add, object: SNOWFLAKE + 2n, time: T });
    const back = activities.loads(activities.dumps(activity));
    expect(back.objectId).toBe(SNOWFLAKE + 2n);
    expect(back.actorId).toBe(SNOWFLAKE);
    expect(back.serializationId).toBe(activity.serializationId);
  });

  it('round-trips them nested in aggregated activities', () => {
    const activity = new Activity({
      actor: 'bob',
      verb: Love,
      object: 'post-1',
      time: T,
      foreignId: 'like:1',
    });
    const group = notifications.loads(
      notifications.dumps(new NotificationActivity({ group: 'g', activities: [activity] })),
    );
    expect(group.activities[0]!.actorId).toBe('bob');
    expect(group.activities[0]!.foreignId).toBe('like:1');
  });

  it('refuses malformed string ids and foreign ids with the field named', () => {
    const good = activities.dumps(new Activity({ actor: 1, verb: Love, object: 2, time: T }));
    expect(() => activities.loads(good.replace('"object":2', '"object":{"string":5}'))).toThrow(
      /object: expected an integer, a decimal string or \{"string": "..."\}/,
    );
    expect(() => activities.loads(good.replace('"object":2', '"object":{"string":""}'))).toThrow(
      SerializationError,
    );
    expect(() => activities.loads(`${good.slice(0, -1)},"foreignId":7}`)).toThrow(
      /foreignId: expected a string, got 7/,
    );
  });
});

describe('the Stream Framework format: foreign ids kept, what Python cannot read refused (issue 16)', () => {
  const serializer = streamFrameworkFormat().activitySerializer();

  it('carries the foreign id in extra_context.foreign_id, first, where Python keeps it', () => {
    const activity = new Activity({
      actor: 13,
      verb: Love,
      object: 42,
      time: T,
      foreignId: 'pin:42',
      extraContext: { x: 1 },
      idScheme: 'stream-framework',
    });
    const text = serializer.dumps(activity);
    const pickled = text.split(',').slice(5).join(',');
    const context = pickleLoads(latin1ToBytes(pickled, 'extraContext')) as Record<string, unknown>;
    expect(Object.keys(context)).toEqual(['foreign_id', 'x']);
    expect(context.foreign_id).toBe('pin:42');
    const back = serializer.loads(text);
    expect(back.foreignId).toBe('pin:42');
    expect(back.extraContext).toEqual({ x: 1 });
    expect(back.serializationId).toBe('17041104000000000000042003');
    expect(serializer.dumps(back)).toBe(text);
  });

  it('keeps 64-bit actor and target ids (Python ints are unbounded)', () => {
    const activity = new Activity({
      actor: SNOWFLAKE,
      verb: Love,
      object: 42,
      target: SNOWFLAKE + 1n,
      time: T,
      idScheme: 'stream-framework',
    });
    const back = serializer.loads(serializer.dumps(activity));
    expect([back.actorId, back.targetId]).toEqual([SNOWFLAKE, SNOWFLAKE + 1n]);
  });

  it.each([
    [
      'actor',
      { actor: 'alice', object: 1 },
      /actor: .*string id "alice" \(Python reads ids with int\(\)\)/,
    ],
    ['object', { actor: 1, object: UUID }, /object: .*string id/],
    ['target', { actor: 1, object: 1, target: 'board' }, /target: .*string id "board"/],
    [
      'object',
      { actor: 1, object: SNOWFLAKE },
      /object: .*object id 1790000000000000001 \(more than 10 digits/,
    ],
  ] as const)('refuses a %s Python cannot read, naming it', (field, refs, message) => {
    const activity = new Activity({ verb: Love, time: T, idScheme: 'stream-framework', ...refs });
    let error: unknown;
    try {
      serializer.dumps(activity);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as SerializationError).field).toBe(field);
    expect((error as Error).message).toMatch(message);
  });

  it('refuses a foreign id when extraContext already uses foreign_id', () => {
    const activity = new Activity({
      actor: 1,
      verb: Love,
      object: 1,
      time: T,
      foreignId: 'a',
      extraContext: { foreign_id: 'b' },
      idScheme: 'stream-framework',
    });
    expect(() => serializer.dumps(activity)).toThrow(/extraContext.foreign_id/);
  });
});
