import { integrationConfig } from '../../vitest.shared.js';

// The server on a 3-node Cassandra cluster (replication factor 3, QUORUM), items and follows on
// the Redis at REDIS_URL: `pnpm test:cluster`, run by `npm test` only with SF_CASSANDRA_CLUSTER=1.
// One test stops a node and starts it again (nodes of `scripts/cassandra.sh cluster` only).
export default integrationConfig({
  include: ['test/cluster/**/*.test.ts'],
  globalSetup: ['test/cluster/global-setup.ts'],
  testTimeout: 300_000,
  hookTimeout: 300_000,
});
