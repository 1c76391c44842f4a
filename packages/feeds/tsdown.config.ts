import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'backend/index': 'src/backend/index.ts',
    'testing/index': 'src/testing/index.ts',
    'bench/index': 'src/bench/index.ts',
  },
  format: 'esm',
  dts: true,
  sourcemap: true,
  clean: true,
  external: ['vitest'],
});
