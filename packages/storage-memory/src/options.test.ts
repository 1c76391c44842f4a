import { describe, expect, it } from 'vitest';
import { Activity, Love } from '@sf/activity';
import { AggregatedFeed } from '@sf/feeds';
import { InvalidFormatError, streamFrameworkFormat } from '@sf/serializers';
import { memoryStorage } from './index.js';

// Issue 12 item 19: `memoryStorage({ format: 'stream-framework' })` was accepted and failed at the
// first aggregated write with `TypeError: this.format.aggregatedSerializer is not a function`.
describe('memoryStorage format option', () => {
  it('takes the format names every storage takes', async () => {
    for (const format of ['json', 'stream-framework'] as const) {
      const storage = memoryStorage({ format });
      expect(storage.format.name).toBe(format);
      const Aggregated = AggregatedFeed.define({ keyFormat: 'aggregated:{userId}', storage });
      const activity = new Activity({ actor: 1, verb: Love, object: 2, time: 1_700_000_000_000 });
      await Aggregated.insertActivity(activity);
      await Aggregated.for(7).add(activity);
      const [group] = await Aggregated.for(7).get({ limit: 1 });
      expect(group?.activityIds).toEqual([activity.serializationId]);
    }
    expect(memoryStorage({ format: streamFrameworkFormat() }).format.name).toBe('stream-framework');
  });

  it('refuses anything else when the storage is created, naming the option and the value', () => {
    expect(() => memoryStorage({ format: 'pickle' as never })).toThrow(InvalidFormatError);
    expect(() => memoryStorage({ format: 'pickle' as never })).toThrow(
      `memoryStorage.format must be 'json', 'stream-framework' or a SerializationFormat, got "pickle"`,
    );
    expect(() => memoryStorage({ format: { name: 'half' } as never })).toThrow(
      /memoryStorage\.format is not a complete SerializationFormat \(missing activitySerializer, timelineSerializer, aggregatedSerializer, notificationSerializer\)/,
    );
  });
});
