import { defineConfig } from 'vitest/config';

/**
 * Resolves workspace packages to their TypeScript sources, so tests need no build. Only
 * `node` and `default` beside ours: Vitest passes these to its workers as Node conditions, and
 * `import`/`module` there make CommonJS dependencies (cassandra-driver's `long`) load the wrong build.
 */
const conditions = ['@sf/source', 'node', 'default'];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  // Generous: CI machines are small and shared; tests never assert on time.
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
