import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

// Workspace packages resolve to their TypeScript sources (the shared conditions, which also keep
// cassandra-driver's `long` on its CommonJS build for the Cassandra scenario run).
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ['test/integration/**/*.test.ts'],
      // The tests share one Redis and spawn worker processes: one file at a time.
      fileParallelism: false,
      testTimeout: 180_000,
      hookTimeout: 60_000,
    },
  }),
);
