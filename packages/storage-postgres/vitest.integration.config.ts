import { integrationConfig } from '../../vitest.shared.js';

// Integration tests against a real PostgreSQL: SF_POSTGRES_URL, else what
// scripts/postgres.sh start prints (when that script exists), else
// postgres://postgres@127.0.0.1:5432/test. Each run works in its own schema sf_test_<random>_<n>,
// dropped at the end.
export default integrationConfig({
  globalSetup: ['test/integration/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
});
