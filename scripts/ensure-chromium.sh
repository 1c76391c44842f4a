#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed at /usr/bin/chromium for the browser tests
# (playwright-core drives it; no browser is downloaded by Playwright).
#
# Usage: scripts/ensure-chromium.sh
#   Installs the `chromium` package with apt-get (non-interactive) when /usr/bin/chromium is
#   missing, running `apt-get update` first when the package lists are empty or the install
#   fails on a stale list. Needs root (or sudo without a password). Prints the browser's path.
#
# Environment: SF_CHROMIUM (default /usr/bin/chromium) - the browser to check for.
set -euo pipefail

CHROMIUM="${SF_CHROMIUM:-/usr/bin/chromium}"

log() { printf '[ensure-chromium] %s\n' "$*" >&2; }
die() { printf '[ensure-chromium] ERROR: %s\n' "$*" >&2; exit 1; }

if [[ -x "$CHROMIUM" ]]; then
  echo "$CHROMIUM"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 \
  || die "$CHROMIUM is missing and apt-get is not available; install Chromium yourself and set SF_CHROMIUM to its path"

SUDO=()
if [[ "$(id -u)" != "0" ]]; then
  command -v sudo >/dev/null 2>&1 || die "installing chromium needs root (or sudo)"
  SUDO=(sudo -n)
fi

export DEBIAN_FRONTEND=noninteractive
apt_get() { "${SUDO[@]}" apt-get -y -q -o Dpkg::Use-Pty=0 "$@"; }

lists_empty() { ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; }

if lists_empty; then
  log "apt package lists are empty: apt-get update"
  apt_get update >&2
fi

log "installing Debian's chromium package"
if ! apt_get install --no-install-recommends chromium >&2; then
  log "install failed; refreshing the package lists and trying again"
  apt_get update >&2
  apt_get install --no-install-recommends chromium >&2
fi

[[ -x "$CHROMIUM" ]] || die "the chromium package is installed but $CHROMIUM is missing"
log "installed $("$CHROMIUM" --version 2>/dev/null || echo chromium)"
echo "$CHROMIUM"
