#!/usr/bin/env bash
# Makes sure a single Redis answers on loopback for development and the integration tests.
#
# Usage: scripts/redis-single.sh ensure|status|stop
#   ensure  if nothing answers on 127.0.0.1:$REDIS_PORT, start redis-server there (data in a
#           temp dir, no persistence) and wait until it answers PONG; if a server already
#           answers (the machine's own, or one started earlier), leave it alone
#   status  print "running" (exit 0) or "stopped" (exit 3)
#   stop    stop the server ONLY if this script started it (pid file in $REDIS_SINGLE_DIR)
#
# Environment: REDIS_PORT (default 6379), REDIS_SINGLE_DIR (default ${TMPDIR:-/tmp}/sf-redis-single-$REDIS_PORT),
#              REDIS_START_TIMEOUT seconds (default 20).
set -euo pipefail

REDIS_PORT="${REDIS_PORT:-6379}"
REDIS_HOST=127.0.0.1
REDIS_SINGLE_DIR="${REDIS_SINGLE_DIR:-${TMPDIR:-/tmp}/sf-redis-single-$REDIS_PORT}"
REDIS_START_TIMEOUT="${REDIS_START_TIMEOUT:-20}"
PID_FILE="$REDIS_SINGLE_DIR/redis.pid"

log() { printf '[redis-single] %s\n' "$*" >&2; }
die() { printf '[redis-single] ERROR: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  die "$1 not found. Install Redis first, e.g.: sudo apt-get update && sudo apt-get install -y redis-server (Debian/Ubuntu), brew install redis (macOS)"
}

answers() { [[ "$(redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping 2>/dev/null || true)" == "PONG" ]]; }

ensure() {
  need redis-cli
  if answers; then
    log "a Redis already answers on $REDIS_HOST:$REDIS_PORT; leaving it alone"
    return 0
  fi
  need redis-server
  mkdir -p "$REDIS_SINGLE_DIR"
  redis-server --port "$REDIS_PORT" --bind "$REDIS_HOST" --daemonize yes \
    --dir "$REDIS_SINGLE_DIR" --pidfile "$PID_FILE" --logfile "$REDIS_SINGLE_DIR/redis.log" \
    --save '' --appendonly no >/dev/null
  local deadline=$(( $(date +%s) + REDIS_START_TIMEOUT ))
  until answers; do
    (( $(date +%s) < deadline )) || die "redis-server did not answer on port $REDIS_PORT within ${REDIS_START_TIMEOUT}s (see $REDIS_SINGLE_DIR/redis.log)"
    sleep 0.1
  done
  log "started redis-server on $REDIS_HOST:$REDIS_PORT (pid $(cat "$PID_FILE" 2>/dev/null || echo '?'), dir $REDIS_SINGLE_DIR)"
}

status() {
  if answers; then echo running; else echo stopped; exit 3; fi
}

stop() {
  if [[ ! -f "$PID_FILE" ]]; then
    log "no pid file in $REDIS_SINGLE_DIR: this script did not start the server on port $REDIS_PORT; not stopping it"
    return 0
  fi
  local pid; pid="$(cat "$PID_FILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -rf "$REDIS_SINGLE_DIR"
  log "stopped the server this script started on port $REDIS_PORT"
}

case "${1:-}" in
  ensure) ensure ;;
  status) status ;;
  stop) stop ;;
  *) sed -n '2,14p' "$0" >&2; exit 2 ;;
esac
