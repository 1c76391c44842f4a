import { describe, expect, it } from 'vitest';
import { Activity, Love } from '@sf/activity';
import { jsonFormat, streamFrameworkFormat } from './index.js';

// Issue 16: an activity updated in place (same id, new extraContext) serializes exactly as
// before apart from the changed field, in both formats, so stored values and the ids in them
// stay what readers, Python and the timelines expect.
describe('an activity updated in place', () => {
  const original = new Activity({
    actor: 13,
    verb: Love,
    object: 42,
    target: 7,
    epochMicroseconds: Date.UTC(2013, 6, 8, 6, 59, 15) * 1000 + 123,
    extraContext: { title: 'Frist pin', likes: 1 },
    idScheme: 'stream-framework',
  });
  const updated = original.withExtraContext({ title: 'First pin', likes: 2 });

  it('JSON format: every field but extraContext is identical', () => {
    const serializer = jsonFormat().activitySerializer();
    const [before, after] = [original, updated].map(
      (activity) => JSON.parse(serializer.dumps(activity).replace(/^j1:/, '')) as unknown,
    ) as [Record<string, unknown>, Record<string, unknown>];
    const strip = (value: Record<string, unknown>) =>
      JSON.stringify(value, (key, inner: unknown) => (key === 'extraContext' ? undefined : inner));
    expect(strip(after)).toBe(strip(before));
    expect(serializer.dumps(updated)).not.toBe(serializer.dumps(original));
    const read = serializer.loads(serializer.dumps(updated));
    expect(read.serializationId).toBe(original.serializationId);
    expect(read.extraContext).toEqual({ title: 'First pin', likes: 2 });
    expect(read.epochMicroseconds).toBe(original.epochMicroseconds);
  });

  it('Stream Framework format: actor, verb, object, target and time are identical, only the pickle differs', () => {
    const serializer = streamFrameworkFormat().activitySerializer();
    const fields = (activity: Activity) => serializer.dumps(activity).split(',');
    const [before, after] = [fields(original), fields(updated)];
    expect(after.slice(0, 5)).toEqual(before.slice(0, 5));
    expect(after.slice(5).join(',')).not.toBe(before.slice(5).join(','));
    const read = serializer.loads(serializer.dumps(updated));
    expect(read.serializationId).toBe(original.serializationId);
    expect(read.extraContext).toEqual({ title: 'First pin', likes: 2 });
  });
});
