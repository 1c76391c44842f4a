import { defineConfig } from 'vitest/config';
import { resolveConfig } from './vitest.conditions.js';

export default defineConfig({
  ...resolveConfig,
  // Generous, as ../../vitest.shared.ts: CI machines are small and shared.
  test: { include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 60_000 },
});
