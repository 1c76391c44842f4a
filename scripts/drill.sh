#!/usr/bin/env bash
# `pnpm drill`: the fault drills of apps/drills (see RELIABILITY.md). Starts the services they
# need, runs the drills one after another (each bounded in time), prints a table of figures per
# drill and a summary, stops what it started, and exits non-zero if an invariant failed.
#
# Usage: scripts/drill.sh [drill-1] [drill-2] [drill-3] [drill-4] [drill-5]     (default: all five)
#
# Services:
#   - Redis on 127.0.0.1:${REDIS_PORT:-6379} (scripts/redis-single.sh ensure): the BullMQ queue
#     of every drill, and the feeds of drill 2. Left running if it was already up.
#   - drill 1: its OWN Redis Cluster, 3 masters + 1 replica each, on ports
#     ${SF_DRILL_CLUSTER_PORT:-7101}-(+5) (scripts/redis-cluster.sh), started fresh and stopped
#     at the end (the drill kills one of its masters).
#   - drill 3: its OWN single Cassandra node on CQL port ${SF_DRILL_CASSANDRA_PORT:-9142}
#     (scripts/cassandra.sh, internode ports 7110/7111), so the drill can kill and restart it
#     without touching a Cassandra others use. Stopped at the end if this script started it.
#     SF_DRILL_SKIP_CASSANDRA=1 skips drill 3 (its first start downloads Cassandra from Maven
#     Central and takes minutes).
#   - drill 4: its OWN private PostgreSQL cluster (scripts/postgres.sh with SF_POSTGRES_URL on the
#     spare port ${SF_DRILL_POSTGRES_PORT:-54349}, where nothing answers, so the script runs initdb
#     and pg_ctl there); the drill stops it with `pg_ctl stop -m immediate` and starts it again.
#     Stopped (and its folder deleted) at the end. Never the shared server on 5432.
#   - drill 5: a 3-node Cassandra cluster on 127.0.0.1-3, CQL port
#     ${SF_DRILL_CASSANDRA_CLUSTER_PORT:-9242} (scripts/cassandra.sh cluster, 512 MB heaps); the
#     drill kills node 2 and starts it again. Stopped at the end if this script started it.
#     SF_DRILL_SKIP_CASSANDRA=1 skips it too.
#
# SF_DRILL_RESULTS=<file> writes the results as JSON too; SF_DRILL_KEEP=1 keeps the drills' data.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

log() { printf '[drill] %s\n' "$*" >&2; }

drills=("$@")
wants() {
  [[ ${#drills[@]} -eq 0 ]] && return 0
  local d; for d in "${drills[@]}"; do [[ "$d" == "$1" ]] && return 0; done
  return 1
}

export REDIS_PORT="${REDIS_PORT:-6379}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:$REDIS_PORT}"
cluster_port="${SF_DRILL_CLUSTER_PORT:-7101}"
cluster_dir="${TMPDIR:-/tmp}/sf-drill-cluster-$cluster_port"
cassandra_port="${SF_DRILL_CASSANDRA_PORT:-9142}"
# CASSANDRA_UNSAFE_SYSTEM=false: the script's default keeps schema changes out of the commit log,
# so a node killed with SIGKILL (what drill 3 does) would forget the tables created since its
# last flush. A production node logs them; so does the drill's.
postgres_port="${SF_DRILL_POSTGRES_PORT:-54349}"
cassandra_cluster_port="${SF_DRILL_CASSANDRA_CLUSTER_PORT:-9242}"
postgres_env=(SF_POSTGRES_URL="postgres://postgres@127.0.0.1:$postgres_port/test" SF_POSTGRES_PORT="$postgres_port" SF_POSTGRES_DIR="${TMPDIR:-/tmp}/sf-drill-postgres-$postgres_port")
cassandra_env=(CASSANDRA_PORT="$cassandra_port" CASSANDRA_STORAGE_PORT="$(( cassandra_port - 2032 ))" CASSANDRA_SSL_STORAGE_PORT="$(( cassandra_port - 2031 ))" CASSANDRA_UNSAFE_SYSTEM=false)

started=()
cleanup() {
  local status=$?
  for service in "${started[@]}"; do
    case "$service" in
      redis-single) log "stopping the Redis this script started"; "$root/scripts/redis-single.sh" stop || true ;;
      redis-cluster) log "stopping the drill's Redis Cluster"; REDIS_CLUSTER_BASE_PORT="$cluster_port" REDIS_CLUSTER_REPLICAS=1 REDIS_CLUSTER_DIR="$cluster_dir" "$root/scripts/redis-cluster.sh" stop || true ;;
      cassandra) log "stopping the drill's Cassandra"; env "${cassandra_env[@]}" "$root/scripts/cassandra.sh" stop || true ;;
      cassandra-cluster) log "stopping the drill's Cassandra cluster"; CASSANDRA_CLUSTER_PORT="$cassandra_cluster_port" "$root/scripts/cassandra.sh" cluster stop || true ;;
      postgres) log "stopping the drill's PostgreSQL"; env "${postgres_env[@]}" "$root/scripts/postgres.sh" stop || true ;;
    esac
  done
  exit "$status"
}
trap cleanup EXIT

if ! scripts/redis-single.sh status >/dev/null 2>&1; then
  scripts/redis-single.sh ensure
  started+=(redis-single)
fi

if wants drill-1; then
  log "starting a fresh Redis Cluster (3 masters, 1 replica each) on ports $cluster_port-$(( cluster_port + 5 ))"
  REDIS_CLUSTER_BASE_PORT="$cluster_port" REDIS_CLUSTER_REPLICAS=1 REDIS_CLUSTER_DIR="$cluster_dir" scripts/redis-cluster.sh stop >/dev/null 2>&1 || true
  started+=(redis-cluster)
  export SF_DRILL_CLUSTER
  SF_DRILL_CLUSTER="$(REDIS_CLUSTER_BASE_PORT="$cluster_port" REDIS_CLUSTER_REPLICAS=1 REDIS_CLUSTER_DIR="$cluster_dir" scripts/redis-cluster.sh start | sed -n 's/^REDIS_CLUSTER_NODES=//p')"
  export SF_DRILL_CLUSTER_DIR="$cluster_dir"
fi

if wants drill-3 && [[ "${SF_DRILL_SKIP_CASSANDRA:-}" != "1" ]]; then
  export SF_DRILL_CASSANDRA="127.0.0.1:$cassandra_port"
  if env "${cassandra_env[@]}" scripts/cassandra.sh status >/dev/null 2>&1; then
    log "Cassandra already runs on port $cassandra_port; using it"
  else
    log "starting a Cassandra node for drill 3 on port $cassandra_port (slow the first time)"
    if env "${cassandra_env[@]}" scripts/cassandra.sh start; then
      started+=(cassandra)
    else
      log "Cassandra did not start: drill 3 will be skipped"
    fi
  fi
elif wants drill-3; then
  log "SF_DRILL_SKIP_CASSANDRA=1: drill 3 will be skipped"
  export SF_DRILL_CASSANDRA="127.0.0.1:1"
fi

if wants drill-4; then
  [[ "$postgres_port" != 5432 ]] || { log "SF_DRILL_POSTGRES_PORT must not be 5432 (the shared server): drill 4 stops its server"; exit 2; }
  log "starting a private PostgreSQL cluster for drill 4 on port $postgres_port"
  started+=(postgres)
  if url="$(env "${postgres_env[@]}" scripts/postgres.sh start | sed -n 's/^SF_POSTGRES_URL=//p')" && [[ -n "$url" ]]; then
    export SF_DRILL_POSTGRES="$url"
    export SF_DRILL_POSTGRES_DIR="${TMPDIR:-/tmp}/sf-drill-postgres-$postgres_port"
  else
    log "PostgreSQL did not start: drill 4 will be skipped"
  fi
fi

if wants drill-5 && [[ "${SF_DRILL_SKIP_CASSANDRA:-}" != "1" ]]; then
  export SF_DRILL_CASSANDRA_CLUSTER_PORT="$cassandra_cluster_port"
  if CASSANDRA_CLUSTER_PORT="$cassandra_cluster_port" scripts/cassandra.sh cluster status >/dev/null 2>&1; then
    log "the Cassandra cluster already runs on port $cassandra_cluster_port; using it"
  else
    log "starting a 3-node Cassandra cluster for drill 5 on 127.0.0.1-3:$cassandra_cluster_port (minutes)"
    started+=(cassandra-cluster)
    CASSANDRA_CLUSTER_PORT="$cassandra_cluster_port" scripts/cassandra.sh cluster start \
      || log "the Cassandra cluster did not start: drill 5 will be skipped"
  fi
elif wants drill-5; then
  log "SF_DRILL_SKIP_CASSANDRA=1: drill 5 will be skipped"
  export SF_DRILL_CASSANDRA_CLUSTER_PORT=1
fi

cd apps/drills
node --conditions=@sf/source --import tsx src/drill.ts "$@"
