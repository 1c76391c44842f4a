#!/usr/bin/env bash
# Runs a real single-node Apache Cassandra 5.0 for local development and tests,
# without Docker: the server jars come from Maven Central (scripts/cassandra/pom.xml)
# and org.apache.cassandra.service.CassandraDaemon is started on Java 17.
#
# Usage: scripts/cassandra.sh start|stop|restart|status|wait|cql|fetch|clean|logs
# See scripts/cassandra/README.md for details and the environment variables.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
POM="$SCRIPT_DIR/cassandra/pom.xml"

CASSANDRA_VERSION="${CASSANDRA_VERSION:-5.0.8}"
SF_CASSANDRA_HOME="${SF_CASSANDRA_HOME:-$HOME/.cache/sf-cassandra}"
CASSANDRA_PORT="${CASSANDRA_PORT:-9042}"
# The node's address (listen, rpc): cluster mode runs nodes on 127.0.0.1, 127.0.0.2, 127.0.0.3.
CASSANDRA_ADDRESS="${CASSANDRA_ADDRESS:-127.0.0.1}"
CASSANDRA_SEEDS="${CASSANDRA_SEEDS:-$CASSANDRA_ADDRESS}"
CASSANDRA_CLUSTER_NAME="${CASSANDRA_CLUSTER_NAME:-sf-dev}"
CASSANDRA_INITIAL_TOKEN="${CASSANDRA_INITIAL_TOKEN:-0}"
# A new node of a new, empty cluster has nothing to stream: it joins without bootstrapping.
CASSANDRA_AUTO_BOOTSTRAP="${CASSANDRA_AUTO_BOOTSTRAP:-false}"
CASSANDRA_STORAGE_PORT="${CASSANDRA_STORAGE_PORT:-7010}"
CASSANDRA_SSL_STORAGE_PORT="${CASSANDRA_SSL_STORAGE_PORT:-7011}"
CASSANDRA_JMX_PORT="${CASSANDRA_JMX_PORT:-}"
CASSANDRA_HEAP="${CASSANDRA_HEAP:-1g}"
CASSANDRA_START_TIMEOUT="${CASSANDRA_START_TIMEOUT:-180}"
CASSANDRA_STOP_TIMEOUT="${CASSANDRA_STOP_TIMEOUT:-60}"
CASSANDRA_UNSAFE_SYSTEM="${CASSANDRA_UNSAFE_SYSTEM:-true}"
CASSANDRA_ALLOW_FOREIGN="${CASSANDRA_ALLOW_FOREIGN:-1}"
CASSANDRA_JVM_OPTS="${CASSANDRA_JVM_OPTS:-}"
CASSANDRA_MVN_ARGS="${CASSANDRA_MVN_ARGS:-}"

LIB_DIR="$SF_CASSANDRA_HOME/$CASSANDRA_VERSION/lib"
if [[ "$CASSANDRA_ADDRESS" == "127.0.0.1" ]]; then
  NODE_DIR="${SF_CASSANDRA_NODE_DIR:-$SF_CASSANDRA_HOME/node-$CASSANDRA_PORT}"
else
  NODE_DIR="${SF_CASSANDRA_NODE_DIR:-$SF_CASSANDRA_HOME/node-$CASSANDRA_ADDRESS-$CASSANDRA_PORT}"
fi
CONF_DIR="$NODE_DIR/conf"
DATA_DIR="$NODE_DIR/data"
LOG_DIR="$NODE_DIR/logs"
TMP_DIR="$NODE_DIR/tmp"
PID_FILE="$NODE_DIR/cassandra.pid"
SYSTEM_LOG="$LOG_DIR/system.log"
STDOUT_LOG="$LOG_DIR/stdout.log"

MAIN_CLASS="org.apache.cassandra.service.CassandraDaemon"

log() { printf '[cassandra] %s\n' "$*" >&2; }
die() { printf '[cassandra] ERROR: %s\n' "$*" >&2; exit 1; }

now() { date +%s; }

usage() {
  cat >&2 <<EOF
Usage: $0 <command>
  start    resolve jars (first run), start the node in the background, wait for CQL;
           reuses a node that already runs (exit 0)
  stop     stop the node (SIGTERM, then SIGKILL after ${CASSANDRA_STOP_TIMEOUT}s)
  restart  stop + start
  status   print running/starting/stopped (exit 0 / 2 / 3); "running" also covers a CQL
           server this script did not start (e.g. Docker) that answers on the port
  wait     wait until CQL answers on $CASSANDRA_ADDRESS:$CASSANDRA_PORT (timeout ${CASSANDRA_START_TIMEOUT}s)
  cql STMT run one CQL statement through a raw protocol-v4 QUERY frame (DDL/DML; no row decoding)
  fetch    only resolve the jars into $LIB_DIR
  clean    stop the node and delete its data and logs ($NODE_DIR)
  logs     tail -f the Cassandra system log
  cluster start|stop|status|start-node N|stop-node N|kill-node N|nodes|clean
           a ${CASSANDRA_CLUSTER_SIZE:-3}-node cluster on 127.0.0.1..N, CQL port ${CASSANDRA_CLUSTER_PORT:-9242},
           heap ${CASSANDRA_CLUSTER_HEAP:-512m} each ('nodes' prints the contact points)
EOF
}

# ---------------------------------------------------------------- java / jars

java_bin() {
  if [[ -n "${CASSANDRA_JAVA:-}" ]]; then echo "$CASSANDRA_JAVA"
  elif [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then echo "$JAVA_HOME/bin/java"
  else command -v java || die "java not found (Cassandra 5.0 needs Java 17 or 11; set JAVA_HOME or CASSANDRA_JAVA)"
  fi
}

check_java() {
  local java="$1" line major
  line="$("$java" -version 2>&1 | head -n 1)" || die "cannot run $java -version"
  local first second
  read -r first second < <(sed -E -n 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/p' <<<"$line") || true
  if [[ "${first:-}" == "1" ]]; then major="${second:-}"; else major="${first:-}"; fi  # 1.8 -> 8
  case "$major" in
    17|11) ;;
    *) die "Cassandra 5.0 runs on Java 11 or 17 only; $java is: $line (set JAVA_HOME or CASSANDRA_JAVA)" ;;
  esac
}

jars_ready() { [[ -f "$LIB_DIR/.complete" ]]; }

fetch_jars() {
  jars_ready && return 0
  command -v mvn >/dev/null || die "mvn (Maven 3.8+) is needed once to download Cassandra $CASSANDRA_VERSION from Maven Central"
  [[ -f "$POM" ]] || die "missing $POM"
  mkdir -p "$SF_CASSANDRA_HOME/$CASSANDRA_VERSION"
  local tmp="$LIB_DIR.partial" mvnlog="$SF_CASSANDRA_HOME/$CASSANDRA_VERSION/mvn.log" t0
  rm -rf "$tmp"
  t0=$(now)
  log "resolving org.apache.cassandra:cassandra-all:$CASSANDRA_VERSION and its dependencies from Maven Central"
  log "(first run only, ~100 jars / ~80 MB; maven log: $mvnlog)"
  local mvn_extra=()
  [[ -n "$CASSANDRA_MVN_ARGS" ]] && read -r -a mvn_extra <<<"$CASSANDRA_MVN_ARGS"
  if ! mvn -B ${mvn_extra[@]+"${mvn_extra[@]}"} -f "$POM" validate \
        -Dcassandra.version="$CASSANDRA_VERSION" \
        -Dsf.cassandra.lib="$tmp" >"$mvnlog" 2>&1; then
    tail -n 40 "$mvnlog" >&2 || true
    die "Maven could not resolve Cassandra $CASSANDRA_VERSION (see $mvnlog)"
  fi
  compgen -G "$tmp/cassandra-all-$CASSANDRA_VERSION.jar" >/dev/null \
    || die "Maven finished but cassandra-all-$CASSANDRA_VERSION.jar is missing in $tmp (see $mvnlog)"
  rm -rf "$LIB_DIR"
  mv "$tmp" "$LIB_DIR"
  date -u +%FT%TZ >"$LIB_DIR/.complete"
  log "resolved $(find "$LIB_DIR" -name '*.jar' | wc -l) jars ($(du -sh "$LIB_DIR" | cut -f1)) in $(( $(now) - t0 ))s into $LIB_DIR"
}

# ---------------------------------------------------------------- process state

read_pid() { [[ -f "$PID_FILE" ]] && tr -dc '0-9' <"$PID_FILE" || true; }

# Is $1 a live CassandraDaemon started by this script for this node folder?
is_our_pid() {
  local pid="$1" cmd
  [[ -n "$pid" && -r "/proc/$pid/cmdline" ]] || return 1
  cmd="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" || return 1
  [[ "$cmd" == *"$MAIN_CLASS"* && "$cmd" == *"$CONF_DIR/cassandra.yaml"* ]]
}

# alive and not a zombie
pid_alive() {
  kill -0 "$1" 2>/dev/null || return 1
  local state
  state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$state" != "Z" && -n "$state" ]]
}

running_pid() {
  local pid
  pid="$(read_pid)"
  if is_our_pid "$pid"; then echo "$pid"; return 0; fi
  return 1
}

# ---------------------------------------------------------------- CQL protocol (v4) over /dev/tcp

# hex of a string's bytes
hex_of() { printf '%s' "$1" | od -An -tx1 -v | tr -d ' \n'; }
hex_u16() { printf '%04x' "$1"; }
hex_u32() { printf '%08x' "$1"; }
# [string]: u16 length + bytes ; [long string]: u32 length + bytes
hex_string() { local h; h="$(hex_of "$1")"; printf '%s%s' "$(hex_u16 $(( ${#h} / 2 )))" "$h"; }
hex_long_string() { local h; h="$(hex_of "$1")"; printf '%s%s' "$(hex_u32 $(( ${#h} / 2 )))" "$h"; }
# write hex as raw bytes to fd 3 (the printf format is made only of \xHH escapes)
# shellcheck disable=SC2059
send_hex() { local h="$1"; printf "$(sed 's/../\\x&/g' <<<"$h")" >&3; }
# a v4 request frame: version 0x04, flags 0, stream id, opcode, body length, body
send_frame() { # stream opcode bodyhex
  local body="${3:-}"
  send_hex "04""00""$(hex_u16 "$1")""$(printf '%02x' "$2")""$(hex_u32 $(( ${#body} / 2 )))""$body"
}
# read one response frame from fd 3; sets RESP_OPCODE (decimal) and RESP_BODY (hex)
read_frame() {
  local hdr len
  hdr="$(head -c 9 <&3 | od -An -tx1 -v | tr -d ' \n')"
  [[ ${#hdr} -eq 18 ]] || return 1
  RESP_OPCODE=$(( 16#${hdr:8:2} ))
  len=$(( 16#${hdr:10:8} ))
  RESP_BODY=""
  if (( len > 0 )); then RESP_BODY="$(head -c "$len" <&3 | od -An -tx1 -v | tr -d ' \n')"; fi
}
# hex -> text (the printf format is made only of \xHH escapes)
# shellcheck disable=SC2059
hex_to_text() { printf "$(sed 's/../\\x&/g' <<<"$1")"; }
error_message() { # ERROR body: [int code][string message]
  local b="$1" code mlen
  code="${b:0:8}"; mlen=$(( 16#${b:8:4} ))
  printf 'error 0x%s: %s' "$code" "$(hex_to_text "${b:12:$(( mlen * 2 ))}")"
}

# true when a CQL server answers an OPTIONS request with SUPPORTED (opcode 0x06)
cql_ready() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/$2/$1" || exit 1
    printf "\x04\x00\x00\x01\x05\x00\x00\x00\x00" >&3
    op="$(head -c 9 <&3 | od -An -tx1 -v | tr -d " \n")"
    [[ "${op:8:2}" == "06" ]]
  ' _ "$CASSANDRA_PORT" "$CASSANDRA_ADDRESS" 2>/dev/null
}

port_open() { timeout 2 bash -c 'exec 3<>"/dev/tcp/$2/$1"' _ "$1" "$CASSANDRA_ADDRESS" 2>/dev/null; }

# Runs one CQL statement (consistency ONE). Prints the result kind or the server error.
cql_exec() {
  local stmt="$1"
  port_open "$CASSANDRA_PORT" || die "nothing listens on $CASSANDRA_ADDRESS:$CASSANDRA_PORT ('$0 start' first)"
  exec 3<>"/dev/tcp/$CASSANDRA_ADDRESS/$CASSANDRA_PORT" || die "cannot connect to $CASSANDRA_ADDRESS:$CASSANDRA_PORT"
  # STARTUP {CQL_VERSION: 3.0.0} -> READY (0x02)
  send_frame 1 1 "$(hex_u16 1)$(hex_string CQL_VERSION)$(hex_string 3.0.0)"
  read_frame || die "no answer to STARTUP"
  if (( RESP_OPCODE == 0 )); then die "STARTUP failed: $(error_message "$RESP_BODY")"; fi
  (( RESP_OPCODE == 2 )) || die "STARTUP: unexpected opcode $RESP_OPCODE (authentication enabled?)"
  # QUERY [long string][consistency ONE][flags 0] -> RESULT (0x08)
  send_frame 2 7 "$(hex_long_string "$stmt")000100"
  read_frame || die "no answer to QUERY"
  exec 3<&- 3>&-
  case "$RESP_OPCODE" in
    0) printf '%s\n' "$(error_message "$RESP_BODY")" >&2; return 1 ;;
    8) case $(( 16#${RESP_BODY:0:8} )) in
         1) echo "OK" ;;
         2) echo "OK (rows; $(( ${#RESP_BODY} / 2 )) bytes, not decoded)" ;;
         3) echo "OK (set keyspace)" ;;
         5) echo "OK (schema change)" ;;
         *) echo "OK (result kind $(( 16#${RESP_BODY:0:8} )))" ;;
       esac ;;
    *) die "QUERY: unexpected opcode $RESP_OPCODE" ;;
  esac
}

# ---------------------------------------------------------------- config files

write_config() {
  mkdir -p "$CONF_DIR/triggers" "$DATA_DIR" "$LOG_DIR" "$TMP_DIR"
  # 5.0 key names only: unknown or old+new duplicate keys are fatal at startup.
  cat >"$CONF_DIR/cassandra.yaml" <<EOF
# Generated by scripts/cassandra.sh on every start; edits are overwritten.
cluster_name: '$CASSANDRA_CLUSTER_NAME'
num_tokens: 1
initial_token: '$CASSANDRA_INITIAL_TOKEN'
auto_bootstrap: $CASSANDRA_AUTO_BOOTSTRAP
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "$CASSANDRA_SEEDS"
listen_address: $CASSANDRA_ADDRESS
rpc_address: $CASSANDRA_ADDRESS
storage_port: $CASSANDRA_STORAGE_PORT
ssl_storage_port: $CASSANDRA_SSL_STORAGE_PORT
start_native_transport: true
native_transport_port: $CASSANDRA_PORT
data_file_directories:
  - $DATA_DIR/data
commitlog_directory: $DATA_DIR/commitlog
saved_caches_directory: $DATA_DIR/saved_caches
hints_directory: $DATA_DIR/hints
cdc_raw_directory: $DATA_DIR/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
commitlog_segment_size: 32MiB
commitlog_disk_access_mode: legacy
disk_access_mode: mmap_index_only
memtable_allocation_type: heap_buffers
auto_snapshot: false
incremental_backups: false
snapshot_before_compaction: false
storage_compatibility_mode: NONE
materialized_views_enabled: true
sasi_indexes_enabled: true
user_defined_functions_enabled: false
EOF
  cat >"$CONF_DIR/logback.xml" <<EOF
<!-- Generated by scripts/cassandra.sh on every start. -->
<configuration scan="false">
  <appender name="SYSTEMLOG" class="ch.qos.logback.core.rolling.RollingFileAppender">
    <file>\${cassandra.logdir}/system.log</file>
    <rollingPolicy class="ch.qos.logback.core.rolling.FixedWindowRollingPolicy">
      <fileNamePattern>\${cassandra.logdir}/system.log.%i</fileNamePattern>
      <minIndex>1</minIndex>
      <maxIndex>3</maxIndex>
    </rollingPolicy>
    <triggeringPolicy class="ch.qos.logback.core.rolling.SizeBasedTriggeringPolicy">
      <maxFileSize>20MB</maxFileSize>
    </triggeringPolicy>
    <encoder>
      <pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern>
    </encoder>
  </appender>
  <logger name="org.apache.cassandra" level="INFO"/>
  <logger name="com.thinkaurelius.thrift" level="ERROR"/>
  <root level="INFO">
    <appender-ref ref="SYSTEMLOG"/>
  </root>
</configuration>
EOF
}

jvm_opts() {
  local jamm
  jamm="$(compgen -G "$LIB_DIR/jamm-*.jar" | head -n 1 || true)"
  JVM_OPTS=(
    # conf/jvm-server.options (5.0), trimmed for a test node
    -ea -da:net.openhft... -XX:+UseThreadPriorities -Xss256k -XX:+UseTLAB -XX:+ResizeTLAB
    -XX:+PerfDisableSharedMem -Djava.net.preferIPv4Stack=true -Dchronicle.analytics.disable=true
    "-Xms$CASSANDRA_HEAP" "-Xmx$CASSANDRA_HEAP" -XX:+ExitOnOutOfMemoryError
    # conf/jvm17-server.options: GC
    -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1 -XX:MaxGCPauseMillis=300
    # conf/jvm17-server.options: JPMS (required on Java 17)
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.management/com.sun.jmx.remote.security=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-opens java.base/java.lang.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.loader=ALL-UNNAMED
    --add-opens java.base/jdk.internal.ref=ALL-UNNAMED
    --add-opens java.base/jdk.internal.reflect=ALL-UNNAMED
    --add-opens java.base/jdk.internal.math=ALL-UNNAMED
    --add-opens java.base/jdk.internal.module=ALL-UNNAMED
    --add-opens java.base/jdk.internal.util.jar=ALL-UNNAMED
    --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens java.base/sun.nio.ch=ALL-UNNAMED
    --add-opens java.base/java.io=ALL-UNNAMED
    --add-opens java.base/java.lang.reflect=ALL-UNNAMED
    --add-opens java.base/java.lang=ALL-UNNAMED
    --add-opens java.base/java.util=ALL-UNNAMED
    --add-opens java.base/java.nio=ALL-UNNAMED
    # conf/jvm17-server.options: netty
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true
    -Dio.netty.allocator.maxOrder=11
    # configuration and folders
    "-Dcassandra.config=file://$CONF_DIR/cassandra.yaml"
    "-Dcassandra.storagedir=$DATA_DIR"
    "-Dcassandra.logdir=$LOG_DIR"
    "-Dcassandra.triggers_dir=$CONF_DIR/triggers"
    "-Dlogback.configurationFile=$CONF_DIR/logback.xml"
    "-Djava.io.tmpdir=$TMP_DIR"
    -Dcassandra-foreground=yes
    # fast single-node start
    -Dcassandra.skip_wait_for_gossip_to_settle=0
    -Dcassandra.ring_delay_ms=1000
    "-Dcassandra.unsafesystem=$CASSANDRA_UNSAFE_SYSTEM"
    # fast stop: a single node has nobody to announce its shutdown to (default waits 2 s)
    -Dcassandra.shutdown_announce_in_ms=0
  )
  # bin/cassandra.in.sh adds these on a full JDK (CASSANDRA-19001)
  if [[ -e "$(dirname "$(readlink -f "$JAVA")")/javac" ]]; then
    JVM_OPTS+=(--add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED
               --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
               --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED)
  fi
  [[ -n "$jamm" ]] && JVM_OPTS+=("-javaagent:$jamm")
  [[ -n "$CASSANDRA_JMX_PORT" ]] && JVM_OPTS+=("-Dcassandra.jmx.local.port=$CASSANDRA_JMX_PORT")
  if [[ -n "$CASSANDRA_JVM_OPTS" ]]; then
    local extra; read -r -a extra <<<"$CASSANDRA_JVM_OPTS"; JVM_OPTS+=("${extra[@]}")
  fi
  return 0
}

# ---------------------------------------------------------------- commands

# Byte offsets of the logs when this start began, so failures show only this run's lines.
LOG_OFFSET_SYSTEM=0
LOG_OFFSET_STDOUT=0
file_size() { stat -c %s "$1" 2>/dev/null || echo 0; }
mark_logs() { LOG_OFFSET_SYSTEM=$(file_size "$SYSTEM_LOG"); LOG_OFFSET_STDOUT=$(file_size "$STDOUT_LOG"); }
# this run's part of a log (the whole file if it was rotated meanwhile)
log_since() { # file offset
  local size; size=$(file_size "$1")
  [[ -f "$1" ]] || return 0
  if (( size >= $2 )); then tail -c +"$(( $2 + 1 ))" "$1"; else cat "$1"; fi
}

print_log_tail() {
  local n="${1:-60}" out errors
  out="$(log_since "$STDOUT_LOG" "$LOG_OFFSET_STDOUT" | grep -v -E '^WARNING: .*(setSecurityManager|terminally deprecated|ThreadAwareSecurityManager)' || true)"
  if [[ -n "$out" ]]; then
    printf '\n----- %s (this start, last 30 lines) -----\n' "$STDOUT_LOG" >&2
    tail -n 30 <<<"$out" >&2
  fi
  out="$(log_since "$SYSTEM_LOG" "$LOG_OFFSET_SYSTEM")"
  if [[ -n "$out" ]]; then
    printf '\n----- %s (this start, last %d lines) -----\n' "$SYSTEM_LOG" "$n" >&2
    tail -n "$n" <<<"$out" >&2
    errors="$(grep -E '^(ERROR|FATAL)|Exception:' <<<"$out" | head -n 5 || true)"
    if [[ -n "$errors" ]]; then
      printf '\n----- first errors -----\n%s\n' "$errors" >&2
    fi
  fi
  printf -- '-----\n' >&2
}

# Waits until CQL answers. $1: pid to watch (optional), $2: start time for messages.
wait_ready() {
  local pid="${1:-}" t0="${2:-$(now)}" deadline next_note
  deadline=$(( t0 + CASSANDRA_START_TIMEOUT ))
  next_note=$(( $(now) + 15 ))
  while :; do
    if cql_ready; then
      log "CQL is ready on $CASSANDRA_ADDRESS:$CASSANDRA_PORT ($(( $(now) - t0 ))s)"
      return 0
    fi
    if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
      rm -f "$PID_FILE"
      print_log_tail 80
      die "Cassandra (pid $pid) exited during startup after $(( $(now) - t0 ))s; logs: $LOG_DIR"
    fi
    if (( $(now) >= deadline )); then
      print_log_tail 80
      die "CQL did not answer on $CASSANDRA_ADDRESS:$CASSANDRA_PORT within ${CASSANDRA_START_TIMEOUT}s${pid:+ (pid $pid still running; '$0 stop' to stop it)}"
    fi
    if (( $(now) >= next_note )); then
      log "still starting... ($(( $(now) - t0 ))s)"
      next_note=$(( $(now) + 15 ))
    fi
    sleep 1
  done
}

lock() {
  mkdir -p "$SF_CASSANDRA_HOME"
  exec 9>"$SF_CASSANDRA_HOME/.lock-$CASSANDRA_ADDRESS-$CASSANDRA_PORT"
  flock -w 900 9 || die "timed out waiting for another $0 run (lock $SF_CASSANDRA_HOME/.lock-$CASSANDRA_ADDRESS-$CASSANDRA_PORT)"
}

cmd_start() {
  lock
  local pid t0
  t0=$(now)
  if pid="$(running_pid)"; then
    log "already running (pid $pid); reusing it"
    wait_ready "$pid" "$t0"
    return 0
  fi
  rm -f "$PID_FILE"
  if port_open "$CASSANDRA_PORT"; then
    if cql_ready; then
      if [[ "$CASSANDRA_ALLOW_FOREIGN" == "1" ]]; then
        log "a CQL server not started by this script (Docker?) already answers on $CASSANDRA_ADDRESS:$CASSANDRA_PORT; using it"
        return 0
      fi
      die "a CQL server not started by this script already answers on $CASSANDRA_ADDRESS:$CASSANDRA_PORT (CASSANDRA_ALLOW_FOREIGN=0); stop it or set CASSANDRA_PORT"
    fi
    ss -ltnp "sport = :$CASSANDRA_PORT" >&2 2>/dev/null || true
    die "port $CASSANDRA_PORT is in use by a process that does not speak CQL; free it or set CASSANDRA_PORT"
  fi
  local p
  for p in "$CASSANDRA_STORAGE_PORT" ${CASSANDRA_JMX_PORT:+"$CASSANDRA_JMX_PORT"}; do
    port_open "$p" && die "port $p (storage/JMX) is already in use; set CASSANDRA_STORAGE_PORT / CASSANDRA_JMX_PORT"
  done

  JAVA="$(java_bin)"
  check_java "$JAVA"
  fetch_jars
  write_config
  jvm_opts

  # Cassandra wants many file descriptors (recommended 1048576); best effort.
  ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

  t0=$(now)
  mark_logs
  {
    printf '===== %s starting Cassandra %s (port %s) =====\n' "$(date -u +%FT%TZ)" "$CASSANDRA_VERSION" "$CASSANDRA_PORT"
  } >>"$STDOUT_LOG"
  rm -f "$PID_FILE"
  # New session so the node outlives this shell and Ctrl-C in the caller's terminal.
  # The inner shell writes its own pid and then execs java, so the pid file holds java's pid.
  setsid -f bash -c 'echo $$ >"$1"; shift; cd "$1"; shift; exec "$@"' _ \
    "$PID_FILE" "$NODE_DIR" \
    "$JAVA" "${JVM_OPTS[@]}" -cp "$LIB_DIR/*" "$MAIN_CLASS" \
    </dev/null >>"$STDOUT_LOG" 2>&1 9>&-   # 9>&-: the node must not inherit the flock
  for _ in $(seq 1 50); do [[ -s "$PID_FILE" ]] && break; sleep 0.1; done
  pid="$(read_pid)"
  [[ -n "$pid" ]] || { print_log_tail; die "could not start java (no pid file)"; }
  log "started Cassandra $CASSANDRA_VERSION (pid $pid, heap $CASSANDRA_HEAP, CQL port $CASSANDRA_PORT, storage port $CASSANDRA_STORAGE_PORT)"
  log "node folder: $NODE_DIR ; log: $SYSTEM_LOG"
  log "waiting up to ${CASSANDRA_START_TIMEOUT}s for CQL..."
  wait_ready "$pid" "$t0"
}

cmd_stop() {
  lock
  local pid t0
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    if cql_ready; then
      log "not started by this script: leaving the CQL server on $CASSANDRA_ADDRESS:$CASSANDRA_PORT alone"
    else
      log "not running"
    fi
    return 0
  fi
  t0=$(now)
  log "stopping Cassandra (pid $pid, SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid"; do
    if (( $(now) - t0 >= CASSANDRA_STOP_TIMEOUT )); then
      log "still running after ${CASSANDRA_STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      # releasing a 1 GB (mlocked) heap can take a few seconds
      for _ in $(seq 1 100); do pid_alive "$pid" || break; sleep 0.2; done
      break
    fi
    sleep 0.5
  done
  pid_alive "$pid" && die "pid $pid did not exit even after SIGKILL"
  rm -f "$PID_FILE"
  log "stopped ($(( $(now) - t0 ))s)"
}

# exit 0: a CQL server answers (ours or not); 2: our node is still starting; 3: stopped
cmd_status() {
  local pid
  if pid="$(running_pid)"; then
    if cql_ready; then
      echo "running (pid $pid, CQL on $CASSANDRA_ADDRESS:$CASSANDRA_PORT, Cassandra $CASSANDRA_VERSION, node folder $NODE_DIR)"
      return 0
    fi
    echo "starting (pid $pid, CQL not answering yet on $CASSANDRA_ADDRESS:$CASSANDRA_PORT)"
    return 2
  fi
  if cql_ready; then
    echo "running (not started by this script: a CQL server answers on $CASSANDRA_ADDRESS:$CASSANDRA_PORT)"
    return 0
  fi
  echo "stopped"
  return 3
}

cmd_wait() {
  local pid=""
  pid="$(running_pid)" || pid=""
  if [[ -z "$pid" ]] && ! port_open "$CASSANDRA_PORT"; then
    log "no node started by this script is running; waiting for any CQL server on $CASSANDRA_ADDRESS:$CASSANDRA_PORT"
  fi
  wait_ready "$pid" "$(now)"
}

cmd_clean() {
  cmd_stop
  log "deleting $NODE_DIR"
  rm -rf "$NODE_DIR"
}

# ---------------------------------------------------------------- cluster mode

# A cluster of CASSANDRA_CLUSTER_SIZE nodes (default 3) on 127.0.0.1, 127.0.0.2, ... (Linux routes
# all of 127.0.0.0/8 to the loopback device), each with its own folder, all on the same CQL and
# storage ports (other than those of the single node and of drill 3, so all can run), tokens spread evenly.
CLUSTER_SIZE="${CASSANDRA_CLUSTER_SIZE:-3}"
CLUSTER_PORT="${CASSANDRA_CLUSTER_PORT:-9242}"
CLUSTER_STORAGE_PORT="${CASSANDRA_CLUSTER_STORAGE_PORT:-7210}"
CLUSTER_HEAP="${CASSANDRA_CLUSTER_HEAP:-512m}"
# Cluster nodes keep their schema changes in the commit log (the single node's default does not):
# tests and drills stop and start cluster nodes, and a node that comes back without the tables
# created in its last minutes (as one did after `cluster stop-node 3`, SIGTERM included) rejects
# the others' next schema change ("Unknown CF") and stays in schema disagreement.
CLUSTER_UNSAFE_SYSTEM="${CASSANDRA_CLUSTER_UNSAFE_SYSTEM:-false}"

cluster_token() { # node number (1-based) -> Murmur3 token, evenly spaced
  python3 -c 'import sys; n, i = int(sys.argv[1]), int(sys.argv[2]); print(-2**63 + (i - 1) * (2**64 // n))' "$CLUSTER_SIZE" "$1"
}

cluster_node() { # node-number command...
  local i="$1"; shift
  [[ "$i" =~ ^[0-9]+$ ]] && (( i >= 1 && i <= CLUSTER_SIZE )) || die "cluster node must be 1..$CLUSTER_SIZE, got '$i'"
  CASSANDRA_ADDRESS="127.0.0.$i" CASSANDRA_PORT="$CLUSTER_PORT" \
    CASSANDRA_STORAGE_PORT="$CLUSTER_STORAGE_PORT" CASSANDRA_SSL_STORAGE_PORT="$(( CLUSTER_STORAGE_PORT + 1 ))" \
    CASSANDRA_SEEDS="127.0.0.1" CASSANDRA_CLUSTER_NAME="sf-cluster" CASSANDRA_HEAP="$CLUSTER_HEAP" \
    CASSANDRA_INITIAL_TOKEN="$(cluster_token "$i")" CASSANDRA_ALLOW_FOREIGN=0 \
    CASSANDRA_UNSAFE_SYSTEM="$CLUSTER_UNSAFE_SYSTEM" \
    SF_CASSANDRA_NODE_DIR="$SF_CASSANDRA_HOME/cluster/node$i" \
    bash "${BASH_SOURCE[0]}" "$@"
}

cluster_cmd() {
  local sub="${1:-}"; shift || true
  local i rc=0
  case "$sub" in
    start)
      # One after another: the seed first, then each node joins the ring it finds.
      for i in $(seq 1 "$CLUSTER_SIZE"); do cluster_node "$i" start; done
      cluster_cmd nodes ;;
    stop) for i in $(seq "$CLUSTER_SIZE" -1 1); do cluster_node "$i" stop; done ;;
    status)
      for i in $(seq 1 "$CLUSTER_SIZE"); do
        printf 'node %s: ' "$i"; cluster_node "$i" status || rc=$?
      done
      return "$rc" ;;
    start-node) cluster_node "${1:?usage: cluster start-node N}" start ;;
    stop-node) cluster_node "${1:?usage: cluster stop-node N}" stop ;;
    kill-node) # SIGKILL, as a crash: no flush, no announcement
      local dir pid
      dir="$SF_CASSANDRA_HOME/cluster/node${1:?usage: cluster kill-node N}"
      pid="$(tr -dc '0-9' <"$dir/cassandra.pid" 2>/dev/null || true)"
      [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || die "cluster node $1 is not running"
      kill -KILL "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      rm -f "$dir/cassandra.pid"
      log "killed cluster node $1 (pid $pid, SIGKILL)" ;;
    nodes) # the contact points, for SF_CASSANDRA_CLUSTER_NODES
      local nodes=()
      for i in $(seq 1 "$CLUSTER_SIZE"); do nodes+=("127.0.0.$i:$CLUSTER_PORT"); done
      (IFS=,; echo "${nodes[*]}") ;;
    clean) for i in $(seq "$CLUSTER_SIZE" -1 1); do cluster_node "$i" clean; done
      rm -rf "$SF_CASSANDRA_HOME/cluster" ;;
    *) die "usage: $0 cluster start|stop|status|start-node N|stop-node N|kill-node N|nodes|clean" ;;
  esac
}

main() {
  local cmd="${1:-}"
  shift || true
  case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    restart) cmd_stop; exec 9>&-; cmd_start ;;
    status) cmd_status ;;
    wait) cmd_wait ;;
    cql) [[ $# -ge 1 ]] || die "usage: $0 cql 'CQL statement'"
         timeout "${CASSANDRA_CQL_TIMEOUT:-60}" bash "${BASH_SOURCE[0]}" __cql "$*" || {
           rc=$?; (( rc == 124 )) && die "no answer within ${CASSANDRA_CQL_TIMEOUT:-60}s"; exit "$rc"; } ;;
    __cql) cql_exec "$1" ;;
    fetch) lock; fetch_jars; log "jars ready in $LIB_DIR" ;;
    clean) cmd_clean ;;
    logs) exec tail -n 100 -F "$SYSTEM_LOG" ;;
    cluster) cluster_cmd "$@" ;;
    -h|--help|help) usage ;;
    *) usage; exit 64 ;;
  esac
}

main "$@"
