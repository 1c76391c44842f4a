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
      "types": "./dist/index.d.mts",
      "import": "./dist/index.mjs",
      "default": "./dist/index.mjs"
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
import { unitConfig } from '../../vitest.shared.js';

export default unitConfig();
TS
# The packed-install test (test/packed-install/run.mjs) installs what the \`pnpm add\` line names
# and runs the block after <!-- example -->: replace it with a real example of the package.
[ -f "$dir/README.md" ] || cat > "$dir/README.md" <<MD
# @sf/$name

$description

## Install

\`\`\`sh
pnpm add @sf/$name
\`\`\`

## Example

<!-- example -->
\`\`\`ts
import * as $(echo "$name" | sed -E 's/-([a-z])/\U\1/g') from '@sf/$name';

console.log(Object.keys($(echo "$name" | sed -E 's/-([a-z])/\U\1/g')));
\`\`\`
MD
[ -f "$dir/src/index.ts" ] || echo "export {};" > "$dir/src/index.ts"
