import { integrationConfig } from '../../vitest.shared.js';

// End-to-end tests against a listening server on 127.0.0.1 (random port), on memory, on the
// Redis at REDIS_URL (default redis://127.0.0.1:6379), on PostgreSQL and on Cassandra
// (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042, started by global-setup.ts when it does not
// answer; SF_CASSANDRA=0 leaves it out), plus a Redis Cluster when REDIS_CLUSTER_NODES is set.
// Every Redis run uses its own key prefix and deletes it afterwards; Cassandra runs share one
// keyspace per run (dropped at the end), each server under its own key prefix.
export default integrationConfig({
  globalSetup: ['test/integration/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
});
