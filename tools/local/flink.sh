#!/usr/bin/env bash
# A real standalone Flink 1.19 session cluster on 127.0.0.1, made from the Flink jars the
# build already has (inside the bundled jar): one JobManager process and one TaskManager
# process with 2 slots (or N TaskManager processes of one slot each), REST API on
# 127.0.0.1:18081, data and logs under .local/flink.
#   flink.sh start [--taskmanagers N]|stop|status
#   flink.sh taskmanager-kill I|taskmanager-start I     (fault injection)
# start returns once every TaskManager has registered its slots; a running cluster of another
# shape is restarted. The restart strategy is fixed-delay with
# REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS attempts in all (default 6).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REINDEX_LOCAL_DIR:-$ROOT/.local}
DIR=$LOCAL/flink
JAR=$ROOT/runners/target/reindex-bundled-0.1.0-SNAPSHOT.jar
REST_PORT=${REINDEX_LOCAL_FLINK_REST_PORT:-18081}
RPC_PORT=${REINDEX_LOCAL_FLINK_RPC_PORT:-16123}
TMS=1
SLOTS_PER_TM=2

log() { printf 'flink: %s\n' "$*" >&2; }

# shellcheck source=lib.sh
. "$ROOT/tools/local/lib.sh"

rest() { curl -sS --max-time 3 "http://127.0.0.1:$REST_PORT$1"; }

slots() { rest /overview 2>/dev/null | sed -n 's/.*"slots-total":\([0-9]*\).*/\1/p'; }

write_conf() {
  local attempts=${REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS:-6}
  mkdir -p "$DIR"/{conf,log,tmp,blobs,web}
  cat >"$DIR/conf/flink-conf.yaml" <<CONF
jobmanager.rpc.address: 127.0.0.1
jobmanager.rpc.port: $RPC_PORT
jobmanager.bind-host: 127.0.0.1
jobmanager.memory.process.size: 1600m
rest.address: 127.0.0.1
rest.bind-address: 127.0.0.1
rest.port: $REST_PORT
taskmanager.host: 127.0.0.1
taskmanager.bind-host: 127.0.0.1
taskmanager.numberOfTaskSlots: $SLOTS_PER_TM
parallelism.default: $((TMS * SLOTS_PER_TM))
taskmanager.cpu.cores: $SLOTS_PER_TM
taskmanager.memory.framework.heap.size: 128m
taskmanager.memory.framework.off-heap.size: 128m
taskmanager.memory.task.heap.size: 2048m
taskmanager.memory.task.off-heap.size: 64m
taskmanager.memory.managed.size: 256m
taskmanager.memory.jvm-metaspace.size: 384m
taskmanager.memory.network.min: 128m
taskmanager.memory.network.max: 128m
taskmanager.memory.jvm-overhead.min: 256m
taskmanager.memory.jvm-overhead.max: 256m
heartbeat.timeout: 20000
heartbeat.interval: 2000
# A failed attempt is retried until REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS attempts in all.
restart-strategy.type: fixed-delay
restart-strategy.fixed-delay.attempts: $((attempts - 1))
restart-strategy.fixed-delay.delay: 5 s
io.tmp.dirs: $DIR/tmp
blob.storage.directory: $DIR/blobs
web.tmpdir: $DIR/web
classloader.check-leaked-classloader: false
CONF
}

pid_of() { pgrep -f -- "$1 -c $DIR/conf" | head -1 || true; }

tm_pids() { pgrep -f -- "TaskManagerRunner -c $DIR/conf" || true; }

tm_pid() { pgrep -f -- "-Dreindex.taskmanager=$1 .*TaskManagerRunner -c $DIR/conf" | head -1 || true; }

registered() { rest /taskmanagers 2>/dev/null | grep -o '"id"' | wc -l; }

start_tm() {
  local i=$1
  log "starting TaskManager $i ($SLOTS_PER_TM slot(s))"
  (close_inherited_fds; nohup java -Dreindex.taskmanager="$i" -Xmx2176m -Xms2176m \
      -XX:MaxDirectMemorySize=320m -XX:MaxMetaspaceSize=384m \
      -Dlog.file="$DIR/log/taskmanager-$i.log" -cp "$JAR" \
      org.apache.flink.runtime.taskexecutor.TaskManagerRunner -c "$DIR/conf" \
      >"$DIR/log/taskmanager-$i.out" 2>&1 </dev/null &)
}

await_slots() {
  local total=$((TMS * SLOTS_PER_TM))
  # Wait for this many live TaskManagers (a dead one is still listed until its heartbeat times out).
  for _ in $(seq 1 240); do
    [ "$(slots)" = "$total" ] && [ "$(registered)" = "$TMS" ] && return 0
    sleep 0.5
  done
  log "the TaskManagers did not register $total slots; see $DIR/log/"
  tail -20 "$DIR/log/taskmanager-1.out" >&2 || true
  return 1
}

start() {
  if [ ! -f "$JAR" ]; then log "no bundled jar: run ./reindex build first"; return 2; fi
  local total=$((TMS * SLOTS_PER_TM))
  if [ -n "$(pid_of StandaloneSessionClusterEntrypoint)" ]; then
    if [ "$(slots)" = "$total" ] && [ "$(tm_pids | wc -l)" = "$TMS" ] && [ "$(registered)" = "$TMS" ]; then
      status
      return 0
    fi
    # Another shape is restarted; the same shape only gets its missing TaskManagers back (a job
    # waiting to be restarted on them must not lose its JobManager).
    if [ "$(tm_pids | wc -l)" -gt "$TMS" ] ||
       ! grep -q "^taskmanager.numberOfTaskSlots: $SLOTS_PER_TM\$" "$DIR/conf/flink-conf.yaml" ||
       ! grep -q "^parallelism.default: $total\$" "$DIR/conf/flink-conf.yaml"; then
      log "restarting the cluster as $TMS TaskManager(s) of $SLOTS_PER_TM slot(s)"
      stop
    fi
  fi
  write_conf
  if [ -z "$(pid_of StandaloneSessionClusterEntrypoint)" ]; then
    log "starting the JobManager (REST on 127.0.0.1:$REST_PORT)"
    (close_inherited_fds; nohup java -Xmx1g -Dlog.file="$DIR/log/jobmanager.log" -cp "$JAR" \
        org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint -c "$DIR/conf" \
        >"$DIR/log/jobmanager.out" 2>&1 </dev/null &)
  fi
  for i in $(seq 1 "$TMS"); do
    [ -n "$(tm_pid "$i")" ] || start_tm "$i"
  done
  await_slots
  status
}

stop() {
  local pid
  for pid in $(tm_pids) $(pid_of StandaloneSessionClusterEntrypoint); do
    log "stopping process $pid"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
  done
}

status() {
  local s; s=$(slots)
  if [ -n "$s" ]; then
    echo "flink: running, REST http://127.0.0.1:$REST_PORT, $s slots, $(rest /overview | sed -n 's/.*"taskmanagers":\([0-9]*\).*/\1/p') TaskManager(s)"
  else
    echo "flink: stopped"
    return 3
  fi
}

cmd=${1:-}; shift || true
if [ "${1:-}" = "--taskmanagers" ]; then
  TMS=${2:?--taskmanagers needs a number}; shift 2
  [ "$TMS" -ge 1 ] 2>/dev/null || { echo "flink: --taskmanagers takes a whole number >= 1" >&2; exit 2; }
  [ "$TMS" -gt 1 ] && SLOTS_PER_TM=1
elif [ -f "$DIR/conf/flink-conf.yaml" ] && [ "$cmd" != start ]; then
  # Fault injection and status act on the cluster as it was started.
  SLOTS_PER_TM=$(sed -n 's/^taskmanager.numberOfTaskSlots: //p' "$DIR/conf/flink-conf.yaml")
  TMS=$(( $(sed -n 's/^parallelism.default: //p' "$DIR/conf/flink-conf.yaml") / SLOTS_PER_TM ))
fi

case "$cmd" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  taskmanager-kill) pid=$(tm_pid "${1:?which TaskManager}"); [ -z "$pid" ] || { log "killing TaskManager $1 (SIGKILL)"; kill -9 "$pid"; } ;;
  taskmanager-start)
    # Done when a TaskManager id not listed before registers (the killed one may still be listed).
    before=$(rest /taskmanagers 2>/dev/null | grep -o '"id":"[^"]*"' | sort)
    start_tm "${1:?which TaskManager}"
    for _ in $(seq 1 240); do
      now=$(rest /taskmanagers 2>/dev/null | grep -o '"id":"[^"]*"' | sort)
      [ -n "$(comm -13 <(echo "$before") <(echo "$now"))" ] && break
      sleep 0.5
    done
    [ -n "$(comm -13 <(echo "$before") <(echo "$now"))" ] || { log "TaskManager $1 did not register"; exit 1; } ;;
  *) echo "usage: reindex flink start [--taskmanagers N]|stop|status" >&2; exit 2 ;;
esac
