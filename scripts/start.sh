#!/usr/bin/env bash
# The main job: installs, builds the packages and runs the example on the embedded default
# (memory storage, in-process fanout). Nothing else needs to be installed or running.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pnpm() { "$root/scripts/pnpm.sh" "$@"; }
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi
pnpm exec turbo run build --filter='./packages/*' --output-logs=errors-only
exec "$root/scripts/pnpm.sh" --filter @sf/pinterest-example start "$@"
