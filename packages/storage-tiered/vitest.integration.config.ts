import { integrationConfig } from '../../vitest.shared.js';

// Integration tests of the tiered pairs against real servers: Redis (REDIS_URL, default
// redis://127.0.0.1:6379; the cluster at REDIS_CLUSTER_NODES when set), PostgreSQL
// (SF_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/test) and Cassandra
// (CASSANDRA_CONTACT_POINTS, default 127.0.0.1:9042). Every test works under its own Redis key
// prefix, PostgreSQL schema and Cassandra key prefix (in a keyspace of this run), removed
// afterwards. `npm test` starts the services first (scripts/test.sh).
export default integrationConfig({
  globalSetup: ['test/integration/global-setup.ts'],
  testTimeout: 120_000,
  hookTimeout: 180_000,
});
