/**
 * Generated activities (both formats, extraContext of every shape the format carries: lone
 * surrogates, latin1 pickle bytes, bigints...) go through Redis's activity hashes and come back
 * exactly: what the serializer properties prove in memory, proven through the wire.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Feed } from '@sf/feeds';
import { redisStorage } from '@sf/storage-redis';
import { activity, activityFields, jsonValue, pickleValue } from '../../src/testing/arbitraries.js';
import { deleteKeys, redisClient, uniquePrefix } from './services.js';

const redis = redisClient();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deleteKeys(redis, prefix);
  await redis.quit();
});

// The Stream Framework format stores Python's ids only; the JSON format either scheme.
for (const [format, context, targetZero, idScheme] of [
  ['json', jsonValue, true, undefined],
  ['stream-framework', pickleValue, false, 'stream-framework'],
] as const) {
  describe(`${format} format through Redis`, () => {
    it('activities read back from the activity storage equal what was stored', async () => {
      const keyPrefix = uniquePrefix('activities');
      prefixes.push(keyPrefix);
      const storage = redisStorage({ redis, keyPrefix, format });
      const definition = Feed.define({
        name: 'drill_roundtrip',
        keyFormat: 'drill:rt:{userId}',
        storage,
      });
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(activity({ context, targetZero, idScheme }), {
            selector: (a) => a.serializationId,
            minLength: 1,
            maxLength: 8,
          }),
          async (activities) => {
            await definition.insertActivities(activities);
            const back = await definition.getActivities(activities.map((a) => a.serializationId));
            expect(
              activities.map(
                (a) => back.get(a.serializationId) && activityFields(back.get(a.serializationId)!),
              ),
            ).toEqual(activities.map(activityFields));
            await definition.removeActivities(activities);
          },
        ),
        { numRuns: Number(process.env.SF_PROPERTY_RUNS || 60) },
      );
    });
  });
}
