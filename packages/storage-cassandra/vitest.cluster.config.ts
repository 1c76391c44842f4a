import { integrationConfig } from '../../vitest.shared.js';

// The conformance suite against a 3-node cluster (replication factor 3, QUORUM): the nodes at
// CASSANDRA_CLUSTER_CONTACT_POINTS, or the cluster of `scripts/cassandra.sh cluster`, started when
// it does not answer (and stopped afterwards, unless SF_CASSANDRA_CLUSTER_KEEP=1).
export default integrationConfig({
  include: ['test/cluster/**/*.test.ts'],
  globalSetup: ['test/cluster/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 600_000,
});
