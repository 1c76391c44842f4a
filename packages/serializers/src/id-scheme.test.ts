import { Activity, Love, NotificationActivity, SerializationError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { StreamFrameworkActivitySerializer } from './stream-framework-activity-serializer.js';
import { JsonActivitySerializer } from './json-activity-serializer.js';
import { JsonAggregatedActivitySerializer } from './json-aggregated-activity-serializer.js';
import { StreamFrameworkNotificationSerializer } from './stream-framework-notification-serializer.js';

// Issue 12 item 3: the JSON format carries both id schemes; the Stream Framework format only
// Python's ids.
const MICROS = 1373266755123456;
const PYTHON_ID = '13732667551230000000042003';
const love = (actor: number, idScheme?: 'actor' | 'stream-framework') =>
  new Activity({ actor, verb: Love, object: 42, epochMicroseconds: MICROS, idScheme });

function thrown(fn: () => unknown): SerializationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SerializationError);
    return error as SerializationError;
  }
  throw new Error('expected a SerializationError');
}

describe('JSON format and id schemes', () => {
  const json = new JsonActivitySerializer();

  it("writes an 'actor'-scheme activity with its scheme and reads back the same id", () => {
    const activity = love(13);
    const data = json.dumps(activity);
    expect(data).toBe(
      'j1:{"actor":13,"verb":3,"object":42,"target":null,"epochMicroseconds":1373266755123456,"extraContext":{},"idScheme":"actor"}',
    );
    const back = json.loads(data);
    expect(back.idScheme).toBe('actor');
    expect(back.serializationId).toBe(`${PYTHON_ID}00000000000000000013`);
    expect(back.serializationId).toBe(activity.serializationId);
  });

  it('reads a j1 value without idScheme (written before id schemes) with its Python id', () => {
    const back = json.loads(
      'j1:{"actor":13,"verb":3,"object":42,"target":null,"epochMicroseconds":1373266755123456,"extraContext":{}}',
    );
    expect(back.idScheme).toBe('stream-framework');
    expect(back.serializationId).toBe(PYTHON_ID);
    expect(json.dumps(back)).not.toContain('idScheme');
  });

  it('accepts an explicit "stream-framework" scheme and refuses anything else, naming the field', () => {
    const base =
      'j1:{"actor":13,"verb":3,"object":42,"target":null,"epochMicroseconds":1373266755123456,"extraContext":{},"idScheme":';
    expect(json.loads(`${base}"stream-framework"}`).serializationId).toBe(PYTHON_ID);
    const error = thrown(() => json.loads(`${base}"python"}`));
    expect(error.field).toBe('idScheme');
    expect(error.message).toBe('idScheme: expected "actor" or "stream-framework", got "python"');
  });

  it('keeps each nested activity of a notification value in its own scheme', () => {
    const serializer = new JsonAggregatedActivitySerializer({ dehydrate: false });
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(love(1, 'stream-framework'));
    aggregated.append(love(2));
    const back = serializer.loads(serializer.dumps(aggregated));
    expect(back.activities.map((a) => [a.idScheme, a.serializationId])).toEqual([
      ['stream-framework', PYTHON_ID],
      ['actor', `${PYTHON_ID}00000000000000000002`],
    ]);
  });

  it('reports a stored time beyond 2^53 - 1 microseconds as a SerializationError', () => {
    const error = thrown(() =>
      json.loads(
        'j1:{"actor":13,"verb":3,"object":42,"target":null,"epochMicroseconds":9007199254740992,"extraContext":{}}',
      ),
    );
    expect(error.field).toBe('epochMicroseconds');
  });
});

describe('Stream Framework format and id schemes', () => {
  const sf = new StreamFrameworkActivitySerializer();

  it("reads activities with Python's ids ('stream-framework' scheme)", () => {
    const back = sf.loads('13,3,42,0,1373266755.123456,');
    expect(back.idScheme).toBe('stream-framework');
    expect(back.serializationId).toBe(PYTHON_ID);
  });

  it("refuses to dump an 'actor'-scheme activity, saying how to create one it can store", () => {
    const error = thrown(() => sf.dumps(love(13)));
    expect(error.field).toBe('idScheme');
    expect(error.message).toContain(
      `activity ${PYTHON_ID}00000000000000000013 has an 'actor'-scheme id, which the Stream Framework format cannot store`,
    );
    expect(error.message).toContain("create activities with idScheme: 'stream-framework'");
    expect(error.message).toContain("activity.withIdScheme('stream-framework')");
    expect(sf.dumps(love(13).withIdScheme('stream-framework'))).toBe(
      '13,3,42,0,1373266755.123456,',
    );
  });

  it('refuses an actor-scheme activity nested in a notification, naming where', () => {
    const aggregated = new NotificationActivity({ group: 'g' });
    aggregated.append(love(13));
    const error = thrown(() => new StreamFrameworkNotificationSerializer().dumps(aggregated));
    expect(error.field).toBe('activities[0].idScheme');
  });

  it('reports a stored epoch beyond 2255 as a SerializationError', () => {
    const error = thrown(() => sf.loads('13,3,42,0,9007199254740.992,'));
    expect(error.field).toBe('time');
  });
});
