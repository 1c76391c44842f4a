import { integrationConfig } from '../../vitest.shared.js';

// Integration tests against a real Cassandra: the node at CASSANDRA_CONTACT_POINTS (default
// 127.0.0.1:9042, started with scripts/cassandra.sh when nothing answers there). Each run works
// in its own keyspace sf_test_<random>, dropped at the end.
export default integrationConfig({
  globalSetup: ['test/integration/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 180_000,
});
