#!/usr/bin/env bash
# Every test of the repository: format, typecheck, lint, unit tests, then the integration tests against
# real services (Redis, Redis Cluster, Cassandra, PostgreSQL), which this script starts when they are absent
# and stops afterwards if it started them.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
pnpm() { "$root/scripts/pnpm.sh" "$@"; }

started=()
cleanup() {
  local status=$?
  for service in "${started[@]}"; do
    echo "--- stopping $service"
    case "$service" in
      redis-cluster) scripts/redis-cluster.sh stop || true ;;
      cassandra) scripts/cassandra.sh stop || true ;;
      cassandra-cluster) scripts/cassandra.sh cluster stop || true ;;
      postgres) scripts/postgres.sh stop || true ;;
    esac
  done
  exit "$status"
}
trap cleanup EXIT

echo "--- install"
if [ "${CI:-}" = "true" ]; then pnpm install --frozen-lockfile; else pnpm install; fi

echo "--- format (prettier --check; fix with: pnpm format)"
pnpm exec prettier --check . --log-level warn

echo "--- typecheck, lint, unit tests"
pnpm exec turbo run typecheck lint test --continue --output-logs=errors-only

if [ -x scripts/redis-single.sh ]; then
  echo "--- services: redis"
  scripts/redis-single.sh ensure
fi
if [ -x scripts/redis-cluster.sh ]; then
  echo "--- services: redis cluster"
  if ! scripts/redis-cluster.sh status >/dev/null 2>&1; then
    started+=(redis-cluster)
    scripts/redis-cluster.sh start
  fi
  export REDIS_CLUSTER_NODES="${REDIS_CLUSTER_NODES:-$(scripts/redis-cluster.sh nodes)}"
fi
if [ -x scripts/cassandra.sh ] && [ -d packages/storage-cassandra ]; then
  echo "--- services: cassandra"
  if ! scripts/cassandra.sh status >/dev/null 2>&1; then
    scripts/cassandra.sh start
    started+=(cassandra)
  fi
fi

if [ -x scripts/postgres.sh ]; then
  echo "--- services: postgres"
  # Uses the server at SF_POSTGRES_URL (default 127.0.0.1:5432) when it answers, else runs a
  # private cluster (stopped below); either way the tests get its URL.
  if ! scripts/postgres.sh status >/dev/null 2>&1; then started+=(postgres); fi
  postgres_env="$(scripts/postgres.sh start)"
  export SF_POSTGRES_URL="${postgres_env#SF_POSTGRES_URL=}"
fi

if [ -x scripts/ensure-chromium.sh ]; then
  echo "--- browser: chromium"
  scripts/ensure-chromium.sh
fi

echo "--- integration tests"
pnpm exec turbo run test:integration --concurrency=1 --continue --output-logs=new-only
if [ "${SF_CASSANDRA_CLUSTER:-}" = "1" ]; then
  # Opt-in: three Cassandra nodes take minutes to start (the cluster is stopped again if the run
  # started it). Drill 5 kills one of them during a fanout: `pnpm drill drill-5`.
  echo "--- cassandra cluster (3 nodes, replication factor 3): conformance suite"
  # Started once for the three suites below (each suite stops only a cluster it started itself).
  if ! scripts/cassandra.sh cluster status >/dev/null 2>&1; then
    started+=(cassandra-cluster)
    scripts/cassandra.sh cluster start
  fi
  pnpm --filter @sf/storage-cassandra test:cluster
  echo "--- cassandra cluster: Pinstream, then the stream server (QUORUM, node 3 stopped and started)"
  pnpm --filter @sf/pinterest-example test:cluster
  pnpm --filter @sf/stream-server test:cluster
fi
echo "--- packed install: every package packed, installed with npm outside the workspace, README examples run"
node test/packed-install/run.mjs
if [ -x scripts/drill.sh ] && [ "${SF_SKIP_DRILLS:-}" != "1" ]; then
  # Drill 1 (Redis Cluster failover under fanout load) is part of the test command (it was opt-in
  # while its workers could miss a failover: finding 7 in RELIABILITY.md, fixed); drill 2 runs in
  # the integration tests at half scale; `pnpm drill` runs all three.
  echo "--- fault drill 1: redis cluster failover under fanout load"
  scripts/drill.sh drill-1
fi
echo "--- all tests passed"
