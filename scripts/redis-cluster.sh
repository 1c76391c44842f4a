#!/usr/bin/env bash
# Runs a local Redis Cluster on loopback for development and the integration tests: N masters
# (default 3) with optional replicas, redis-server --cluster-enabled yes, data in a temp dir.
#
# Usage: scripts/redis-cluster.sh start|stop|restart|status|nodes
#   start    start the nodes that are not running, create the cluster if it is not created yet
#            (redis-cli --cluster create ... --cluster-yes), wait for cluster_state:ok on every
#            node, print REDIS_CLUSTER_NODES=... on stdout. Idempotent.
#   stop     stop the nodes this script started (pid files) and delete their data dir
#   restart  stop + start
#   status   print "ok" (exit 0), "starting" (exit 2) or "stopped" (exit 3)
#   nodes    print the startup nodes as host:port,host:port,... (what REDIS_CLUSTER_NODES wants)
#
# Environment:
#   REDIS_CLUSTER_BASE_PORT  first port (default 7001); nodes use consecutive ports from it,
#                            cluster bus on port+10000
#   REDIS_CLUSTER_MASTERS    number of masters (default 3, minimum 3)
#   REDIS_CLUSTER_REPLICAS   replicas per master (default 0); also `start <replicas>`
#   REDIS_CLUSTER_DIR        data dir (default ${TMPDIR:-/tmp}/sf-redis-cluster-<base port>)
#   REDIS_CLUSTER_TIMEOUT    seconds to wait for the nodes / cluster_state:ok (default 30)
set -euo pipefail

HOST=127.0.0.1
BASE_PORT="${REDIS_CLUSTER_BASE_PORT:-7001}"
MASTERS="${REDIS_CLUSTER_MASTERS:-3}"
REPLICAS="${REDIS_CLUSTER_REPLICAS:-0}"
TIMEOUT="${REDIS_CLUSTER_TIMEOUT:-30}"
DIR="${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/sf-redis-cluster-$BASE_PORT}"

log() { printf '[redis-cluster] %s\n' "$*" >&2; }
die() { printf '[redis-cluster] ERROR: %s\n' "$*" >&2; exit 1; }

need() {
  command -v "$1" >/dev/null 2>&1 && return 0
  die "$1 not found. Install Redis first, e.g.: sudo apt-get update && sudo apt-get install -y redis-server (Debian/Ubuntu), brew install redis (macOS)"
}

ports() {
  local count=$(( MASTERS * (1 + REPLICAS) ))
  seq "$BASE_PORT" $(( BASE_PORT + count - 1 ))
}

cli() { local port="$1"; shift; redis-cli -h "$HOST" -p "$port" "$@"; }
answers() { [[ "$(cli "$1" ping 2>/dev/null || true)" == "PONG" ]]; }
info_field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

nodes_list() {
  local list=() port
  for port in $(ports); do list+=("$HOST:$port"); done
  (IFS=,; echo "${list[*]}")
}

wait_until() {
  local what="$1"; shift
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$@"; do
    (( $(date +%s) < deadline )) || die "timed out after ${TIMEOUT}s waiting for $what (logs in $DIR/<port>/redis.log)"
    sleep 0.2
  done
}

all_answer() { local port; for port in $(ports); do answers "$port" || return 1; done; }
all_fresh() { local port; for port in $(ports); do [[ "$(info_field "$port" cluster_known_nodes)" == "1" ]] || return 1; done; }
all_know() { local port; for port in $(ports); do [[ "$(info_field "$port" cluster_known_nodes)" == "$1" ]] || return 1; done; }
all_ours() {
  local port pid
  for port in $(ports); do
    [[ -f "$DIR/$port/redis.pid" ]] || return 1
    pid="$(cat "$DIR/$port/redis.pid")"
    kill -0 "$pid" 2>/dev/null || return 1
  done
}
wait_quietly() {
  local deadline=$(( $(date +%s) + TIMEOUT ))
  until "$@"; do (( $(date +%s) < deadline )) || return 1; sleep 0.2; done
}
all_ok() { local port; for port in $(ports); do [[ "$(info_field "$port" cluster_state)" == "ok" ]] || return 1; done; }

replicas_attached() {
  local port want=$(( MASTERS * REPLICAS )) expected=$(( MASTERS * (1 + REPLICAS) ))
  for port in $(ports); do
    [[ "$(cli "$port" cluster nodes 2>/dev/null | grep -cE '[ ,]slave ')" == "$want" ]] || return 1
    [[ "$(info_field "$port" cluster_known_nodes)" == "$expected" ]] || return 1
  done
}

start_node() {
  local port="$1" node_dir="$DIR/$1"
  if answers "$port"; then
    [[ "$(cli "$port" info cluster 2>/dev/null | tr -d '\r' | sed -n 's/^cluster_enabled://p')" == "1" ]] \
      || die "port $port answers but is not a cluster-enabled Redis; pick other ports (REDIS_CLUSTER_BASE_PORT)"
    return 0
  fi
  mkdir -p "$node_dir"
  redis-server --port "$port" --bind "$HOST" --daemonize yes \
    --cluster-enabled yes --cluster-config-file "$node_dir/nodes.conf" --cluster-node-timeout 5000 \
    --dir "$node_dir" --pidfile "$node_dir/redis.pid" --logfile "$node_dir/redis.log" \
    --save '' --appendonly no >/dev/null
}

start() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && REPLICAS="$1"
  (( MASTERS >= 3 )) || die "a Redis Cluster needs at least 3 masters (REDIS_CLUSTER_MASTERS=$MASTERS)"
  need redis-server; need redis-cli
  local port
  for port in $(ports); do start_node "$port"; done
  wait_until "every node to answer PING" all_answer

  local expected=$(( MASTERS * (1 + REPLICAS) ))
  if all_know "$expected" && all_ok; then
    log "cluster already created on $(nodes_list)"
  elif all_fresh; then
    local addresses=() ; for port in $(ports); do addresses+=("$HOST:$port"); done
    log "creating the cluster: ${addresses[*]} (replicas per master: $REPLICAS)"
    redis-cli --cluster create "${addresses[@]}" --cluster-replicas "$REPLICAS" --cluster-yes >"$DIR/create.log" 2>&1 \
      || { cat "$DIR/create.log" >&2; die "redis-cli --cluster create failed"; }
  elif all_know "$expected" && wait_quietly all_ok; then
    # Nodes restarted from their nodes.conf (after a crash, a kill or a cut-off run) take a
    # moment to find each other again.
    log "cluster re-formed on $(nodes_list)"
  else
    all_ours || die "a node on $(nodes_list) belongs to a cluster that is not ok and was not started by this script; stop it or pick other ports (REDIS_CLUSTER_BASE_PORT)"
    (( ${RESET_DONE:-0} == 0 )) || die "the cluster is still not ok after recreating it (logs in $DIR/<port>/redis.log)"
    log "the nodes this script started hold a broken cluster (left by an earlier run); recreating it"
    stop
    RESET_DONE=1 start
    return 0
  fi
  wait_until "cluster_state:ok on every node" all_ok
  (( REPLICAS == 0 )) || wait_until "$(( MASTERS * REPLICAS )) replicas to be attached" replicas_attached
  log "cluster ok; data in $DIR"
  echo "REDIS_CLUSTER_NODES=$(nodes_list)"
}

stop() {
  # Every node this script started has a dir with a pid file (whatever the replica count was).
  local node_dir port pid pids=() stopped=0
  for node_dir in "$DIR"/*/; do
    [[ -d "$node_dir" ]] || continue
    port="$(basename "$node_dir")"
    if [[ -f "$node_dir/redis.pid" ]]; then
      pid="$(cat "$node_dir/redis.pid")"
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; pids+=("$pid"); stopped=$(( stopped + 1 )); fi
    elif answers "$port"; then
      log "port $port answers but has no pid file in $node_dir; leaving it alone"
      continue
    fi
  done
  for port in $(ports); do
    if [[ ! -d "$DIR/$port" ]] && answers "$port"; then
      log "port $port answers but was not started by this script; leaving it alone"
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid" || true; fi
  done
  rm -rf "${DIR:?}"
  log "stopped $stopped node(s)"
}

status() {
  if all_ok 2>/dev/null; then echo ok; exit 0; fi
  local port; for port in $(ports); do if answers "$port"; then echo starting; exit 2; fi; done
  echo stopped; exit 3
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  restart) shift; stop; start "$@" ;;
  status) status ;;
  nodes) nodes_list ;;
  *) sed -n '2,22p' "$0" >&2; exit 2 ;;
esac
