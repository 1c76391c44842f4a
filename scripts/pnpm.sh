#!/usr/bin/env bash
# Runs the pnpm version pinned in package.json's packageManager, on a machine that has only
# Node and npm: a global pnpm of the right version, else corepack, else npx.
set -euo pipefail
# Turborepo's first run prints a telemetry notice; the project sends nothing, and a newcomer's
# first screen stays clean.
export TURBO_TELEMETRY_DISABLED="${TURBO_TELEMETRY_DISABLED:-1}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
wanted="$(node -p "require('$root/package.json').packageManager.split('@')[1]")"
if command -v pnpm >/dev/null 2>&1 && [ "$(pnpm --version 2>/dev/null)" = "$wanted" ]; then
  exec pnpm "$@"
fi
export COREPACK_ENABLE_DOWNLOAD_PROMPT=0
if command -v corepack >/dev/null 2>&1 && corepack pnpm --version >/dev/null 2>&1; then
  exec corepack pnpm "$@"
fi
exec npx --yes "pnpm@$wanted" "$@"
