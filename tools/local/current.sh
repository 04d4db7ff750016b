#!/usr/bin/env bash
# The test front for the current ClickHouse engine (chDB 26.7, a library, not a server) on
# 127.0.0.1:28200, data under .local/current-clickhouse, database reindex with the contract
# applied. The engine is fetched from npm's registry when missing.
#   current.sh start|stop|status
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REINDEX_LOCAL_DIR:-$ROOT/.local}
DIR=$LOCAL/current-clickhouse
PORT=${REINDEX_LOCAL_CURRENT_CH_PORT:-28200}
CHDB_VERSION=26.7.3-stable.1
CHDB_URL=https://registry.npmjs.org/@chdb/lib-linux-x64-gnu/-/lib-linux-x64-gnu-$CHDB_VERSION.tgz
LIB=$DIR/lib/package/libchdb.so
VERSION=0.1.0-SNAPSHOT
TOOLS_JAR=$ROOT/tools/target/reindex-tools-$VERSION.jar
JNA=${MAVEN_REPOSITORY:-$HOME/.m2/repository}/net/java/dev/jna/jna/5.19.1/jna-5.19.1.jar
DB=reindex

log() { printf 'current-clickhouse: %s\n' "$*" >&2; }

# shellcheck source=lib.sh
. "$ROOT/tools/local/lib.sh"

query() { curl -sS --fail-with-body --max-time 120 "http://127.0.0.1:$PORT/?${2:-}" --data-binary "$1"; }

running() { curl -s --max-time 2 "http://127.0.0.1:$PORT/ping" 2>/dev/null | grep -q '^Ok'; }

fetch() {
  [ -f "$LIB" ] && return 0
  log "fetching chDB $CHDB_VERSION (the current ClickHouse engine, ~180 MB) from npm's registry"
  mkdir -p "$DIR/lib"
  curl -sSfL --retry 3 -o "$DIR/lib/chdb.tgz" "$CHDB_URL"
  tar -xzf "$DIR/lib/chdb.tgz" -C "$DIR/lib" package/libchdb.so
  rm -f "$DIR/lib/chdb.tgz"
}

start() {
  if ! running; then
    [ -f "$TOOLS_JAR" ] && [ -f "$JNA" ] || { log "build first: ./reindex build"; return 1; }
    fetch
    mkdir -p "$DIR/data" "$DIR/log" "$DIR/jars"
    # Its own copies: a build replacing the jars under a running JVM makes it crash.
    cp "$TOOLS_JAR" "$DIR/jars/tools.jar"; cp "$JNA" "$DIR/jars/jna.jar"
    log "starting the current-engine front on 127.0.0.1:$PORT"
    # libjsig chains the JVM's signal handlers with any the engine installs.
    local jsig; jsig=$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")/lib/libjsig.so
    (close_inherited_fds; LD_PRELOAD=$jsig nohup java -Xmx512m -cp "$DIR/jars/tools.jar:$DIR/jars/jna.jar" \
        dev.scorecards.reindex.tools.current.CurrentEngineFront "$PORT" "$DIR/data" "$LIB" \
        >"$DIR/log/front.log" 2>&1 </dev/null & echo $! >"$DIR/front.pid")
    for _ in $(seq 1 240); do running && break; sleep 0.5; done
    running || { log "the front did not answer; see $DIR/log/front.log"; tail -20 "$DIR/log/front.log" >&2; return 1; }
  fi
  query "CREATE DATABASE IF NOT EXISTS $DB" >/dev/null
  # One statement per request: the contract without its comments, split at semicolons.
  sed 's/--.*$//' "$ROOT/contract/clickhouse.sql" | tr '\n' ' ' | tr ';' '\n' | while read -r statement; do
    [ -n "${statement// /}" ] && query "$statement" "database=$DB" >/dev/null
  done
  status
}

stop() {
  if [ -f "$DIR/front.pid" ] && kill -0 "$(cat "$DIR/front.pid")" 2>/dev/null; then
    log "stopping the current-engine front"
    kill "$(cat "$DIR/front.pid")"
    for _ in $(seq 1 40); do kill -0 "$(cat "$DIR/front.pid")" 2>/dev/null || break; sleep 0.25; done
  fi
  rm -f "$DIR/front.pid"
}

status() {
  if running; then
    echo "current-clickhouse: running on 127.0.0.1:$PORT (HTTP front of chDB), database $DB, engine $(query "SELECT version()" | tr -d '\n')"
  else echo "current-clickhouse: stopped"; return 3; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: reindex services start|stop|status --current-clickhouse" >&2; exit 2 ;;
esac
