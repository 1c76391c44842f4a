import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

/**
 * Browser (Chromium), Redis + BullMQ and Cassandra tests: one file at a time, against real
 * services, with the workspace's resolve conditions (packages from their TypeScript sources).
 */
export default mergeConfig(
  sharedConfig,
  defineConfig({
    test: {
      include: ['test/integration/**/*.test.ts'],
      fileParallelism: false,
      testTimeout: 120_000,
      hookTimeout: 300_000,
    },
  }),
);
