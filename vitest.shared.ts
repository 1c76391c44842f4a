import { defineConfig, mergeConfig } from 'vitest/config';
import type { TestUserConfig, ViteUserConfig } from 'vitest/config';

/**
 * The one Vitest configuration of the workspace. A package's `vitest.config.ts` is
 * `export default unitConfig()`, its `vitest.integration.config.ts` is
 * `export default integrationConfig({ ...what differs })`; nothing else is repeated per package.
 *
 * Workspace packages resolve to their TypeScript sources, so tests need no build. Only `node`
 * and `default` beside ours: Vitest passes these to its workers as Node conditions, and
 * `import`/`module` there make CommonJS dependencies (cassandra-driver's `long`) load the wrong
 * build.
 */
const conditions = ['@sf/source', 'node', 'default'];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  // Generous: CI machines are small and shared; tests never assert on time.
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});

/** Unit tests: `src/**\/*.test.ts`, no services, files in parallel. */
export function unitConfig(test: TestUserConfig = {}): ViteUserConfig {
  return mergeConfig(
    sharedConfig,
    defineConfig({ test: { include: ['src/**/*.test.ts'], ...test } }),
  );
}

/**
 * Integration tests: `test/integration/**\/*.test.ts` against real services (Redis, Redis
 * Cluster, Cassandra, UDP sockets, worker processes), which the files of a package share: one
 * file at a time. `test` adds what differs (timeouts, a globalSetup).
 */
export function integrationConfig(test: TestUserConfig = {}): ViteUserConfig {
  return mergeConfig(
    sharedConfig,
    defineConfig({
      test: { include: ['test/integration/**/*.test.ts'], fileParallelism: false, ...test },
    }),
  );
}
