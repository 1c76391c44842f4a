import { integrationConfig } from '../../vitest.shared.js';

// Pinstream's Cassandra mode on a 3-node cluster (replication factor 3, QUORUM), its records,
// notifications and queues on the Redis at REDIS_URL: `pnpm test:cluster`, run by `npm test`
// only with SF_CASSANDRA_CLUSTER=1.
export default integrationConfig({
  include: ['test/cluster/**/*.test.ts'],
  globalSetup: ['test/cluster/global-setup.ts'],
  testTimeout: 180_000,
  hookTimeout: 600_000,
});
