#!/usr/bin/env bash
# Makes sure a PostgreSQL answers for development and the integration tests: the one at
# $SF_POSTGRES_URL when it answers, else a private cluster this script runs on a loopback port.
#
# Usage: scripts/postgres.sh start|stop|status|wait|psql [args]
#   start   if a server answers at $SF_POSTGRES_URL, use it (create its database if missing) and
#           start nothing; else run a private cluster: install Debian's `postgresql` package when
#           initdb/pg_ctl are missing, initdb in $SF_POSTGRES_DIR (trust auth, superuser
#           `postgres`), pg_ctl start on 127.0.0.1:$SF_POSTGRES_PORT (unix socket in that folder),
#           create database `test`. Prints SF_POSTGRES_URL=... on stdout. Idempotent.
#   stop    stop the private cluster ONLY if this script started it (marker in $SF_POSTGRES_DIR)
#           and delete its folder; a server it did not start is left alone
#   status  print "ok" (exit 0) when $SF_POSTGRES_URL or the private cluster answers, else
#           "stopped" (exit 3)
#   wait    wait until one answers (up to $SF_POSTGRES_TIMEOUT seconds); prints SF_POSTGRES_URL=...
#   psql    run psql against it with the remaining arguments
#
# Environment: SF_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test),
#              SF_POSTGRES_PORT port of the private cluster (default 54329),
#              SF_POSTGRES_DIR its folder (default ${TMPDIR:-/tmp}/sf-postgres-$SF_POSTGRES_PORT),
#              SF_POSTGRES_TIMEOUT seconds (default 30),
#              SF_POSTGRES_OS_USER the OS user that runs the cluster when this script runs as root
#              (initdb and postgres refuse root; default postgres, created when missing).
set -euo pipefail

URL="${SF_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
PORT="${SF_POSTGRES_PORT:-54329}"
DIR="${SF_POSTGRES_DIR:-${TMPDIR:-/tmp}/sf-postgres-$PORT}"
TIMEOUT="${SF_POSTGRES_TIMEOUT:-30}"
OS_USER="${SF_POSTGRES_OS_USER:-postgres}"
HOST=127.0.0.1
DATABASE=test
PRIVATE_URL="postgres://postgres@$HOST:$PORT/$DATABASE"
DATA="$DIR/data"
SOCKET_DIR="$DIR/socket"
MARKER="$DIR/started-by-sf-postgres-sh"
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-3}"

log() { printf '[postgres] %s\n' "$*" >&2; }
die() { printf '[postgres] ERROR: %s\n' "$*" >&2; exit 1; }

[[ "$PORT" =~ ^[0-9]+$ ]] || die "SF_POSTGRES_PORT must be a port number, got '$PORT'"

# A PostgreSQL program from PATH, else from Debian's /usr/lib/postgresql/<version>/bin (newest).
find_bin() {
  command -v "$1" 2>/dev/null && return 0
  local candidate
  candidate="$(ls -d /usr/lib/postgresql/*/bin/"$1" 2>/dev/null | sort -V | tail -n 1 || true)"
  [[ -n "$candidate" && -x "$candidate" ]] && { echo "$candidate"; return 0; }
  return 1
}

install_postgresql() {
  local sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null 2>&1 || die "PostgreSQL is not installed and this script is not root (no sudo): install Debian's postgresql package, or set SF_POSTGRES_URL to a server that answers"
    sudo=(sudo)
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is not installed and apt-get is missing: install PostgreSQL (initdb, pg_ctl, psql, pg_isready), e.g. brew install postgresql (macOS)"
  log "installing Debian's postgresql package (apt-get)"
  "${sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq postgresql >&2
}

# Sets PSQL, PG_ISREADY (and INITDB, PG_CTL with "server"), installing PostgreSQL when missing.
tools() {
  local names=(psql pg_isready) name missing=0
  [[ "${1:-}" == server ]] && names+=(initdb pg_ctl)
  for name in "${names[@]}"; do find_bin "$name" >/dev/null || missing=1; done
  if (( missing )); then install_postgresql; fi
  PSQL="$(find_bin psql)" || die "psql not found after installing postgresql"
  PG_ISREADY="$(find_bin pg_isready)" || die "pg_isready not found after installing postgresql"
  if [[ "${1:-}" == server ]]; then
    INITDB="$(find_bin initdb)" || die "initdb not found after installing postgresql"
    PG_CTL="$(find_bin pg_ctl)" || die "pg_ctl not found after installing postgresql"
  fi
}

# The URL with another database: postgres://user@host:port/db?params -> .../<db>?params
with_database() {
  local url="$1" database="$2"
  [[ "$url" =~ ^([a-z]+://[^/?]*)(/[^?]*)?(\?.*)?$ ]] || die "cannot parse SF_POSTGRES_URL '$url'"
  echo "${BASH_REMATCH[1]}/$database${BASH_REMATCH[3]}"
}
database_of() {
  local url="$1"
  [[ "$url" =~ ^[a-z]+://[^/?]*/([^?]+) ]] && { echo "${BASH_REMATCH[1]}"; return 0; }
  echo postgres
}

sql() { local url="$1"; shift; "$PSQL" -X -q -A -t -v ON_ERROR_STOP=1 -d "$url" "$@" 2>/dev/null; }
# The server accepts connections and `select 1` runs in the URL's database.
answers() { "$PG_ISREADY" -q -d "$1" >/dev/null 2>&1 && [[ "$(sql "$1" -c 'select 1' || true)" == 1 ]]; }
# The server answers (whether or not the URL's database exists yet).
server_answers() { answers "$1" || answers "$(with_database "$1" postgres)"; }

ensure_database() {
  local url="$1" database
  answers "$url" && return 0
  database="$(database_of "$url")"
  [[ "$database" =~ ^[A-Za-z0-9_-]+$ ]] || die "unexpected database name '$database' in $url"
  log "creating database $database"
  sql "$(with_database "$url" postgres)" -c "create database \"$database\"" \
    || answers "$url" || die "could not create database $database at $url"
}

# The server to use: $SF_POSTGRES_URL when it answers, else the private cluster when it does.
resolve() {
  if answers "$URL"; then echo "$URL"; return 0; fi
  if [[ "$URL" != "$PRIVATE_URL" ]] && answers "$PRIVATE_URL"; then echo "$PRIVATE_URL"; return 0; fi
  return 1
}

ours() { [[ -f "$MARKER" ]]; }
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u "$OS_USER" -- "$@"; else "$@"; fi
}

prepare_owner() {
  [[ "$(id -u)" == 0 ]] || return 0
  if ! id "$OS_USER" >/dev/null 2>&1; then
    log "creating OS user $OS_USER to run the cluster (initdb and postgres refuse to run as root)"
    useradd --system --no-create-home --shell /usr/sbin/nologin "$OS_USER"
  fi
  chown -R "$OS_USER" "$DIR"
  as_owner test -w "$DIR" || die "OS user $OS_USER cannot write $DIR (is a parent folder closed to it?); set SF_POSTGRES_DIR to a folder it can reach, e.g. /tmp/sf-postgres"
}

start_private() {
  tools server
  if answers "$PRIVATE_URL"; then
    if ours; then log "the private cluster this script started already answers on $HOST:$PORT"
    else log "a PostgreSQL this script did not start answers on $HOST:$PORT; using it"; fi
    return 0
  fi
  "$PG_ISREADY" -q -h "$HOST" -p "$PORT" >/dev/null 2>&1 && ! ours \
    && die "port $PORT answers but not as $PRIVATE_URL, and this script did not start it; pick another SF_POSTGRES_PORT"
  if [[ -e "$DIR" ]] && ! ours; then
    die "$DIR exists but was not made by this script; remove it or set SF_POSTGRES_DIR"
  fi
  if ours && [[ ! -f "$DATA/PG_VERSION" ]]; then
    log "removing an unfinished cluster folder left by an earlier run: $DIR"
    rm -rf "${DIR:?}"
  fi
  if [[ ! -d "$DIR" ]]; then
    mkdir -p "$DIR" "$SOCKET_DIR"
    echo "scripts/postgres.sh private cluster on $HOST:$PORT" >"$MARKER"
    prepare_owner
    log "initdb in $DATA (trust auth, superuser postgres)"
    as_owner "$INITDB" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 \
      || as_owner "$INITDB" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
      || { cat "$DIR/initdb.log" >&2; die "initdb failed (log above)"; }
  else
    prepare_owner
    log "restarting the cluster this script made earlier in $DATA"
  fi
  as_owner "$PG_CTL" -D "$DATA" -l "$DIR/postgres.log" -w -t "$TIMEOUT" \
    -o "-p $PORT -c listen_addresses=$HOST -c unix_socket_directories='$SOCKET_DIR'" start >/dev/null \
    || { tail -n 30 "$DIR/postgres.log" >&2 || true; die "pg_ctl start failed (log: $DIR/postgres.log)"; }
  wait_for "the private cluster on $HOST:$PORT" server_answers "$PRIVATE_URL"
  log "started a private cluster on $HOST:$PORT (data in $DATA, log $DIR/postgres.log)"
}

wait_for() {
  local what="$1"; shift
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$@" >/dev/null; do
    (( $(date +%s) < deadline )) || die "timed out after ${TIMEOUT}s waiting for $what"
    sleep 0.2
  done
}

start() {
  tools
  if server_answers "$URL"; then
    ensure_database "$URL"
    log "a PostgreSQL answers at $URL; using it, starting nothing"
    echo "SF_POSTGRES_URL=$URL"
    return 0
  fi
  log "nothing answers at $URL; running a private cluster on $HOST:$PORT"
  start_private
  ensure_database "$PRIVATE_URL"
  echo "SF_POSTGRES_URL=$PRIVATE_URL"
}

stop() {
  if ! ours; then
    log "no marker in $DIR: this script did not start a cluster on port $PORT; leaving any server alone"
    return 0
  fi
  if [[ -f "$DATA/postmaster.pid" ]]; then
    local pid; pid="$(head -n 1 "$DATA/postmaster.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      tools server
      as_owner "$PG_CTL" -D "$DATA" -m fast -w -t "$TIMEOUT" stop >/dev/null 2>&1 \
        || { log "pg_ctl stop -m fast failed; killing postmaster $pid"; kill -KILL "$pid" 2>/dev/null || true; }
    fi
  fi
  rm -rf "${DIR:?}"
  log "stopped the private cluster this script started on port $PORT and deleted $DIR"
}

status() {
  tools
  if resolve >/dev/null; then echo ok; else echo stopped; exit 3; fi
}

wait_cmd() {
  tools
  wait_for "a PostgreSQL at $URL or $PRIVATE_URL" resolve
  echo "SF_POSTGRES_URL=$(resolve)"
}

psql_cmd() {
  tools
  local url; url="$(resolve)" || die "no PostgreSQL answers at $URL or $PRIVATE_URL (run: scripts/postgres.sh start)"
  exec "$PSQL" -d "$url" "$@"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  wait) wait_cmd ;;
  psql) shift; psql_cmd "$@" ;;
  *) sed -n '2,25p' "$0" >&2; exit 2 ;;
esac
