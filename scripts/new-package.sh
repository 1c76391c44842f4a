#!/usr/bin/env bash
# Scaffolds packages/<name> with the workspace's package layout: src/index.ts, tsdown, vitest.
set -euo pipefail
name="$1"; description="${2:-}"
dir="packages/$name"
mkdir -p "$dir/src"
cat > "$dir/package.json" <<JSON
{
  "name": "@sf/$name",
  "version": "0.1.0",
  "description": "$description",
  "license": "BSD-3-Clause",
  "type": "module",
  "sideEffects": false,
  "exports": {
    ".": {
      "@sf/source": "./src/index.ts",
      "types": "./dist/index.d.ts",
      "import": "./dist/index.js"
    },
    "./package.json": "./package.json"
  },
  "files": ["dist", "src", "!src/**/*.test.ts", "README.md", "CHANGELOG.md"],
  "scripts": {
    "build": "tsdown",
    "typecheck": "tsc --noEmit -p .",
    "lint": "eslint src",
    "test": "vitest run"
  },
  "dependencies": {},
  "devDependencies": {}
}
JSON
cat > "$dir/tsconfig.json" <<JSON
{
  "extends": "../../tsconfig.base.json",
  "include": ["src", "test", "bench", "*.config.ts"]
}
JSON
cat > "$dir/tsdown.config.ts" <<TS
import { defineConfig } from 'tsdown';

export default defineConfig({
  entry: ['src/index.ts'],
  format: 'esm',
  dts: true,
  sourcemap: true,
  clean: true,
});
TS
cat > "$dir/vitest.config.ts" <<TS
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@sf/source'] },
  test: { include: ['src/**/*.test.ts'] },
});
TS
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
