import { defineConfig } from 'vitest/config';

/** Resolves workspace packages to their TypeScript sources, so tests need no build. */
const conditions = ['@sf/source', 'module', 'node', 'import', 'default'];

export const sharedConfig = defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  // Generous: CI machines are small and shared; tests never assert on time.
  test: { testTimeout: 30_000, hookTimeout: 60_000 },
});
