import { defineConfig } from 'vitest/config';

/**
 * Integration tests against real services: Redis (REDIS_URL, default redis://127.0.0.1:6379), a
 * Redis Cluster when REDIS_CLUSTER_NODES is set, and Cassandra when one answers at
 * CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042). Resolve conditions as in /vitest.shared.ts,
 * except that the SSR side leaves out `import`/`module`, so that cassandra-driver's
 * `require('long')` gets long's CommonJS build (see packages/storage-cassandra/vitest.conditions.ts).
 */
const conditions = ['@sf/source', 'module', 'node', 'import', 'default'];
const nodeConditions = ['@sf/source', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['test/integration/**/*.test.ts'],
    // One shared Redis, worker processes spawned by the drill test: one file at a time.
    fileParallelism: false,
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
