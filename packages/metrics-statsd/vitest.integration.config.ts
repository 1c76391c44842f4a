import { defineConfig } from 'vitest/config';

/** Workspace packages resolve to their TypeScript sources (as in /vitest.shared.ts). */
const conditions = ['@sf/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['test/integration/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
  },
});
