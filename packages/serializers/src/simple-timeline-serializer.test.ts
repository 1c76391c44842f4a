import { Activity, DehydratedActivity, Love, SerializationError } from '@sf/activity';
import { describe, expect, it } from 'vitest';
import { vectors } from '../test/fixtures.js';
import { SimpleTimelineSerializer } from './simple-timeline-serializer.js';

const serializer = new SimpleTimelineSerializer();

describe('SimpleTimelineSerializer', () => {
  it('writes activities and dehydrated activities as their serialization id', () => {
    const activity = new Activity({
      idScheme: 'stream-framework',
      actor: 13,
      verb: Love,
      object: 42,
      epochMicroseconds: 1373266755123456,
    });
    expect(serializer.dumps(activity)).toBe('13732667551230000000042003');
    expect(serializer.dumps(new DehydratedActivity('13732667551230000000042003'))).toBe(
      '13732667551230000000042003',
    );
  });

  it('reads every vector id as a DehydratedActivity', () => {
    for (const vector of vectors.activities) {
      const dehydrated = serializer.loads(vector.serialization_id);
      expect(dehydrated).toBeInstanceOf(DehydratedActivity);
      expect(dehydrated.serializationId).toBe(vector.serialization_id);
    }
  });

  it.each([
    [''],
    ['abc'],
    ['-1'],
    ['1.5'],
    ['01'],
    [' 1'],
    ['1e5'],
    ['13732667551230000000042003;'],
  ])('refuses %j', (data) => {
    expect(() => serializer.loads(data)).toThrow(SerializationError);
    try {
      serializer.loads(data);
    } catch (error) {
      expect((error as SerializationError).field).toBe('serializationId');
    }
  });

  it('refuses non-strings and non-activities', () => {
    expect(() => serializer.loads(5 as unknown as string)).toThrow(SerializationError);
    expect(() => serializer.dumps('1' as unknown as Activity)).toThrow(SerializationError);
  });
});
