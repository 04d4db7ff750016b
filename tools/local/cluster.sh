#!/usr/bin/env bash
# A local ClickHouse cluster from Debian's packages, under .local/cluster/, bound to 127.0.0.1:
# ZooKeeper on 22181 and four ClickHouse servers, shard 1 = nodes 1 and 2, shard 2 = nodes 3
# and 4; node i answers HTTP on 2812i and native on 2900i. Cluster reindex_cluster, database
# reindex, the tables of contract/clickhouse-cluster.sql.
#   cluster.sh start|stop|status
#   cluster.sh node-kill|node-stop|node-start N   zookeeper-stop|zookeeper-start   (fault injection)
# start is idempotent and returns once every node answers and sees ZooKeeper. stop keeps the data.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REINDEX_LOCAL_DIR:-$ROOT/.local}
DIR=$LOCAL/cluster
ZK_PORT=22181
NODES=(1 2 3 4)
CLUSTER=reindex_cluster
DB=reindex

log() { printf 'cluster: %s\n' "$*" >&2; }

# shellcheck source=lib.sh
. "$ROOT/tools/local/lib.sh"

http_port() { echo $((28120 + $1)); }
tcp_port() { echo $((29000 + $1)); }
interserver_port() { echo $((29100 + $1)); }

install_packages() {
  local missing=()
  [ -f /usr/share/java/zookeeper.jar ] || missing+=(zookeeper)
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

zk_running() { [ "$( { exec 3<>/dev/tcp/127.0.0.1/$ZK_PORT && printf ruok >&3 && timeout 2 cat <&3; } 2>/dev/null)" = imok ]; }

zk_start() {
  mkdir -p "$DIR/zookeeper/data"
  cat >"$DIR/zookeeper/zoo.cfg" <<CFG
tickTime=1000
initLimit=10
syncLimit=5
dataDir=$DIR/zookeeper/data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,stat
maxSessionTimeout=60000
CFG
  if ! zk_running; then
    log "starting ZooKeeper on 127.0.0.1:$ZK_PORT"
    (close_inherited_fds; cd "$DIR/zookeeper" || exit 1
     nohup java -Xmx256m -Dzookeeper.log.dir="$DIR/zookeeper" -cp /usr/share/java/zookeeper.jar \
       org.apache.zookeeper.server.quorum.QuorumPeerMain "$DIR/zookeeper/zoo.cfg" \
       >"$DIR/zookeeper/zookeeper.log" 2>&1 </dev/null &
     echo $! >"$DIR/zookeeper/zookeeper.pid")
    for _ in $(seq 1 120); do zk_running && break; sleep 0.5; done
    zk_running || { log "ZooKeeper did not answer on $ZK_PORT; see $DIR/zookeeper/zookeeper.log"; return 1; }
  fi
}

zk_pid() {
  if [ -f "$DIR/zookeeper/zookeeper.pid" ] && kill -0 "$(cat "$DIR/zookeeper/zookeeper.pid")" 2>/dev/null; then
    cat "$DIR/zookeeper/zookeeper.pid"
  else
    pgrep -f -- "QuorumPeerMain $DIR/zookeeper/zoo.cfg" | head -1 || true
  fi
}

stop_pid() { # pid what signal
  local pid=$1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  log "stopping $2"
  kill "-${3:-TERM}" "$pid"
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
}

zk_stop() { stop_pid "$(zk_pid)" ZooKeeper; rm -f "$DIR/zookeeper/zookeeper.pid"; }

node_dir() { echo "$DIR/ch$1"; }

node_query() { # node sql
  curl -sS --fail-with-body --max-time 120 "http://127.0.0.1:$(http_port "$1")/" --data-binary "$2"
}

node_running() { curl -s --max-time 2 "http://127.0.0.1:$(http_port "$1")/?query=SELECT%201" 2>/dev/null | grep -q '^1$'; }

# Sees ZooKeeper, and no replicated table is read-only (their sessions take a few seconds to come
# back after ZooKeeper does).
node_sees_zookeeper() {
  node_query "$1" "SELECT count() FROM system.zookeeper WHERE path = '/'" >/dev/null 2>&1 &&
    [ "$(node_query "$1" "SELECT count() FROM system.replicas WHERE is_readonly" 2>/dev/null)" = 0 ]
}

node_start() {
  local n=$1 d shard replica
  d=$(node_dir "$n")
  shard=$(( (n + 1) / 2 )); replica=$(( (n + 1) % 2 + 1 ))
  mkdir -p "$d"/{data,tmp,log,user_files,format_schemas,config.d}
  sed -e "s#@ROOT@#$d#g" -e "s#@HTTP_PORT@#$(http_port "$n")#g" -e "s#@TCP_PORT@#$(tcp_port "$n")#g" \
      -e "s#@INTERSERVER_PORT@#$(interserver_port "$n")#g" \
      "$ROOT/tools/local/clickhouse-config.xml" >"$d/config.xml"
  sed -e "s#@ZK_PORT@#$ZK_PORT#g" -e "s#@SHARD@#0$shard#g" -e "s#@REPLICA@#r$replica#g" \
      "$ROOT/tools/local/clickhouse-cluster.xml" >"$d/config.d/cluster.xml"
  cp "$ROOT/tools/local/clickhouse-users.xml" "$d/users.xml"
  if ! node_running "$n"; then
    log "starting ClickHouse node $n (shard $shard, replica r$replica) on 127.0.0.1:$(http_port "$n") (native $(tcp_port "$n"))"
    (close_inherited_fds; cd "$d" || exit 1
     nohup clickhouse-server --config-file="$d/config.xml" >"$d/log/stdout.log" 2>&1 </dev/null &
     echo $! >"$d/clickhouse.pid")
  fi
}

node_wait() {
  local n=$1
  for _ in $(seq 1 240); do node_running "$n" && node_sees_zookeeper "$n" && return 0; sleep 0.5; done
  log "ClickHouse node $n did not answer (or see ZooKeeper) on $(http_port "$n"); see $(node_dir "$n")/log/"
  tail -5 "$(node_dir "$n")/log/clickhouse-server.err.log" >&2 || true
  return 1
}

node_pid() {
  local d; d=$(node_dir "$1")
  if [ -f "$d/clickhouse.pid" ] && kill -0 "$(cat "$d/clickhouse.pid")" 2>/dev/null; then
    cat "$d/clickhouse.pid"
  else
    pgrep -f -- "clickhouse-server --config-file=$d/config.xml" | head -1 || true
  fi
}

node_stop() { stop_pid "$(node_pid "$1")" "ClickHouse node $1" "${2:-TERM}"; rm -f "$(node_dir "$1")/clickhouse.pid"; }

apply_contract() {
  # Distributed DDL goes through ZooKeeper's queue: retried while the nodes' sessions settle.
  for i in $(seq 1 30); do
    if node_query 1 "CREATE DATABASE IF NOT EXISTS $DB ON CLUSTER $CLUSTER" >/dev/null 2>&1 &&
       clickhouse-client --host 127.0.0.1 --port "$(tcp_port 1)" --multiquery \
         <"$ROOT/contract/clickhouse-cluster.sql" >/dev/null 2>"$DIR/contract.err"; then
      return 0
    fi
    sleep 2
  done
  log "applying contract/clickhouse-cluster.sql failed:"; cat "$DIR/contract.err" >&2; return 1
}

start() {
  install_packages
  zk_start
  for n in "${NODES[@]}"; do node_start "$n"; done
  for n in "${NODES[@]}"; do node_wait "$n"; done
  apply_contract
}

stop() {
  for n in "${NODES[@]}"; do node_stop "$n"; done
  zk_stop
}

status() {
  local rc=0
  if zk_running; then echo "zookeeper: running on 127.0.0.1:$ZK_PORT"; else echo "zookeeper: stopped"; rc=3; fi
  for n in "${NODES[@]}"; do
    if node_running "$n"; then
      echo "clickhouse node $n: running on 127.0.0.1:$(http_port "$n") (http), 127.0.0.1:$(tcp_port "$n") (native), shard $(( (n + 1) / 2 ))"
    else echo "clickhouse node $n: stopped"; rc=3; fi
  done
  [ $rc -eq 0 ] && echo "cluster $CLUSTER: database $DB; run against it with --ch-url http://127.0.0.1:$(http_port 1)"
  return $rc
}

case "${1:-}" in
  start) start; status ;;
  stop) stop ;;
  status) status ;;
  node-kill) log "killing ClickHouse node $2 (SIGKILL)"; pid=$(node_pid "$2"); [ -z "$pid" ] || { kill -9 "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; }; rm -f "$(node_dir "$2")/clickhouse.pid" ;;
  node-stop) node_stop "$2" ;;
  node-start) node_start "$2"; node_wait "$2" ;;
  zookeeper-stop) zk_stop ;;
  zookeeper-start) zk_start ;;
  # Removes a ZooKeeper subtree (the tests' reset: replicated tables dropped while ZooKeeper was
  # unreachable leave their replicas registered there, and creating them again then fails).
  zookeeper-deleteall) java -cp /usr/share/java/zookeeper.jar org.apache.zookeeper.ZooKeeperMain \
      -server 127.0.0.1:$ZK_PORT deleteall "$2" >/dev/null 2>&1 || true ;;
  *) echo "usage: reindex services start|stop|status --cluster" >&2; exit 2 ;;
esac
