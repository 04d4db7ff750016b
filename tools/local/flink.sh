#!/usr/bin/env bash
# A real standalone Flink 1.19 session cluster on 127.0.0.1, made from the Flink jars the
# build already has (inside the bundled jar): one JobManager process and one TaskManager
# process with 2 slots, REST API on 127.0.0.1:18081, data and logs under .local/flink.
#   flink.sh start|stop|status
# start returns once the TaskManager has registered its slots. The restart strategy is
# fixed-delay with REINDEX_PROCESS_SCORECARDS_MAX_ATTEMPTS attempts in all (default 6).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REINDEX_LOCAL_DIR:-$ROOT/.local}
DIR=$LOCAL/flink
JAR=$ROOT/runners/target/reindex-bundled-0.1.0-SNAPSHOT.jar
REST_PORT=${REINDEX_LOCAL_FLINK_REST_PORT:-18081}
RPC_PORT=${REINDEX_LOCAL_FLINK_RPC_PORT:-16123}
SLOTS=2

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
taskmanager.numberOfTaskSlots: $SLOTS
parallelism.default: $SLOTS
taskmanager.cpu.cores: $SLOTS
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

start() {
  if [ ! -f "$JAR" ]; then log "no bundled jar: run ./reindex build first"; return 2; fi
  # Slots alone are not enough: a TaskManager that just died is still counted until its
  # heartbeat times out.
  if [ "$(slots)" = "$SLOTS" ] && [ -n "$(pid_of TaskManagerRunner)" ] && [ -n "$(pid_of StandaloneSessionClusterEntrypoint)" ]; then
    status
    return 0
  fi
  write_conf
  if [ -z "$(pid_of StandaloneSessionClusterEntrypoint)" ]; then
    log "starting the JobManager (REST on 127.0.0.1:$REST_PORT)"
    (close_inherited_fds; nohup java -Xmx1g -Dlog.file="$DIR/log/jobmanager.log" -cp "$JAR" \
        org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint -c "$DIR/conf" \
        >"$DIR/log/jobmanager.out" 2>&1 </dev/null &)
  fi
  if [ -z "$(pid_of TaskManagerRunner)" ]; then
    log "starting the TaskManager ($SLOTS slots)"
    (close_inherited_fds; nohup java -Xmx2176m -Xms2176m -XX:MaxDirectMemorySize=320m -XX:MaxMetaspaceSize=384m \
        -Dlog.file="$DIR/log/taskmanager.log" -cp "$JAR" \
        org.apache.flink.runtime.taskexecutor.TaskManagerRunner -c "$DIR/conf" \
        >"$DIR/log/taskmanager.out" 2>&1 </dev/null &)
  fi
  # Wait for a TaskManager of this process to be registered (a dead one may still be listed).
  for _ in $(seq 1 120); do
    [ "$(slots)" = "$SLOTS" ] && [ "$(rest /taskmanagers 2>/dev/null | grep -o '"id"' | wc -l)" = 1 ] && break
    sleep 0.5
  done
  if [ "$(slots)" != "$SLOTS" ]; then
    log "the TaskManager did not register its slots; see $DIR/log/"
    tail -20 "$DIR/log/taskmanager.out" >&2 || true
    return 1
  fi
  status
}

stop() {
  local name pid
  for name in TaskManagerRunner StandaloneSessionClusterEntrypoint; do
    pid=$(pid_of "$name")
    if [ -n "$pid" ]; then
      log "stopping $name"
      kill "$pid"
      for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    fi
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

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: reindex flink start|stop|status" >&2; exit 2 ;;
esac
