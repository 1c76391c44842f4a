import { defineConfig } from 'vitest/config';

/** Workspace packages resolve to their TypeScript sources (as in /vitest.shared.ts). */
const conditions = ['@sf/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['test/integration/**/*.test.ts'],
    // The tests share one Redis and spawn worker processes: one file at a time.
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 60_000,
  },
});
