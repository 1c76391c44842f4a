import { integrationConfig } from '../../vitest.shared.js';

// Integration tests against real servers: the Redis at REDIS_URL (default redis://127.0.0.1:6379,
// started by scripts/redis-single.sh if nothing answers) and a 3-master Redis Cluster at
// REDIS_CLUSTER_NODES (default: started by scripts/redis-cluster.sh on ports 7001-7003 for the
// run and stopped afterwards). SF_REDIS_CLUSTER=0 skips the cluster runs.
export default integrationConfig({
  globalSetup: ['test/integration/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
});
