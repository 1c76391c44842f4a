/**
 * Feeds on memory storage against the reference models (see testing/feed-model.ts). The Redis and
 * Cassandra variants run the same suite in test/integration.
 */
import { jsonFormat, streamFrameworkFormat } from '@sf/serializers';
import { memoryStorage } from '@sf/storage-memory';
import { feedPropertySuite } from './testing/feed-properties.js';

feedPropertySuite({
  name: 'memory storage',
  numRuns: Number(process.env.SF_PROPERTY_RUNS || 100),
  timeout: 60_000,
  // Reported: the aggregator's maxAggregatedActivities is lost when an aggregated activity is read
  // back from storage (it is not stored; the deserializer builds it with the default 15), so
  // BaseAggregator.merge appends to a clone that keeps 15 and groups grow past the limit.
  knownFailures: [],
  createBackend: async (format) => ({
    backend: memoryStorage({ format: format === 'json' ? jsonFormat() : streamFrameworkFormat() }),
    cleanup: async () => {},
  }),
});
