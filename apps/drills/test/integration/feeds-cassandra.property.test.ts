/**
 * The feed model properties (src/testing/feed-properties.ts) on Cassandra, when one answers at
 * CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042; `pnpm test` starts it). Each format works in
 * a keyspace of its own, dropped at the end.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { cassandraStorage } from '@sf/storage-cassandra';
import { feedPropertySuite } from '../../src/testing/feed-properties.js';
import { CASSANDRA_CONTACT_POINTS, reachable } from './services.js';

const available = await reachable(CASSANDRA_CONTACT_POINTS[0]!);

if (available) {
  feedPropertySuite({
    name: 'cassandra',
    numRuns: Number(process.env.SF_PROPERTY_RUNS || 15),
    timeout: 600_000,
    knownFailures: [],
    // Cassandra orders aggregated activities of the same second by group descending; Redis and
    // memory by member descending (the same order unless one group is a prefix of another).
    aggregatedTies: 'group-desc',
    createBackend: async (format) => {
      const storage = cassandraStorage({
        contactPoints: CASSANDRA_CONTACT_POINTS,
        keyspace: `sf_drill_prop_${randomBytes(4).toString('hex')}`,
        keyPrefix: 'p:',
        format,
        // The generated object ids go up to 10 digits (Stream Framework's int columns stop at 2^31).
        idType: 'bigint',
        autoSchema: true,
      });
      return {
        backend: storage,
        cleanup: async () => {
          await storage.dropKeyspace().catch(() => undefined);
          await storage.close();
        },
      };
    },
  });
} else {
  describe('cassandra feed properties', () => {
    // Under CI (npm test starts Cassandra first) a missing node is a failure, never a silent skip.
    const check = process.env.CI === 'true' ? it : it.skip;
    check(
      `needs a Cassandra at ${CASSANDRA_CONTACT_POINTS.join(',')} (scripts/cassandra.sh start)`,
      () => {
        throw new Error(`no Cassandra answers at ${CASSANDRA_CONTACT_POINTS.join(',')}`);
      },
    );
  });
}
