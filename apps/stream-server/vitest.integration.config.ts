import { integrationConfig } from '../../vitest.shared.js';

// End-to-end tests against a listening server on 127.0.0.1 (random port), on memory and on the
// Redis at REDIS_URL (default redis://127.0.0.1:6379), plus a Redis Cluster when
// REDIS_CLUSTER_NODES is set. Every Redis run uses its own key prefix and deletes it afterwards.
export default integrationConfig({ testTimeout: 60_000 });
