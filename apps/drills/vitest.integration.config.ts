import { integrationConfig } from '../../vitest.shared.js';

// Integration tests against real services: Redis (REDIS_URL, default redis://127.0.0.1:6379), a
// Redis Cluster when REDIS_CLUSTER_NODES is set, and Cassandra when one answers at
// CASSANDRA_CONTACT_POINTS (default 127.0.0.1:9042), and PostgreSQL when one answers at
// SF_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test). The drill test spawns
// worker processes.
export default integrationConfig({ testTimeout: 300_000, hookTimeout: 120_000 });
