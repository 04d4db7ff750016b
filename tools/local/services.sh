#!/usr/bin/env bash
# Local PostgreSQL 15 and ClickHouse servers from Debian's packages, each with
# its own data directory under .local/, bound to 127.0.0.1.
#   services.sh start|stop|status
# start is idempotent: it installs missing packages, initialises data
# directories, starts what is not running, applies both contract schemas and
# returns once both servers answer queries. stop keeps the data.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOCAL=${REINDEX_LOCAL_DIR:-$ROOT/.local}
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=${REINDEX_LOCAL_PG_PORT:-55432}
PG_DIR=$LOCAL/postgres
CH_HTTP_PORT=${REINDEX_LOCAL_CH_HTTP_PORT:-18123}
CH_TCP_PORT=${REINDEX_LOCAL_CH_TCP_PORT:-19000}
CH_INTERSERVER_PORT=${REINDEX_LOCAL_CH_INTERSERVER_PORT:-19009}
CH_DIR=$LOCAL/clickhouse
DB=reindex

log() { printf 'services: %s\n' "$*" >&2; }

# shellcheck source=lib.sh
. "$ROOT/tools/local/lib.sh"

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

# PostgreSQL refuses to run as root: run it as the postgres user then.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_packages() {
  local missing=()
  [ -x "$PG_BIN/initdb" ] || missing+=(postgresql-15 postgresql-client-15)
  command -v clickhouse-server >/dev/null || missing+=(clickhouse-server)
  command -v clickhouse-client >/dev/null || missing+=(clickhouse-client)
  command -v curl >/dev/null || missing+=(curl)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]} with apt"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The Debian package starts a system-wide server on the default ports; ours
  # does not need it, and it would hold memory, so leave it alone but never rely on it.
}

psql_admin() { as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

pg_running() { as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; }

pg_start() {
  mkdir -p "$PG_DIR"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_DIR"; fi
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    log "initialising PostgreSQL in $PG_DIR/data"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$PG_DIR/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
shared_buffers = 1GB
work_mem = 64MB
maintenance_work_mem = 512MB
max_wal_size = 8GB
checkpoint_timeout = 30min
synchronous_commit = off
max_connections = 200
log_min_messages = warning
CONF
  fi
  # Benchmarks count the queries each contender sends with pg_stat_statements.
  if ! grep -q "^shared_preload_libraries = 'pg_stat_statements'" "$PG_DIR/data/postgresql.conf"; then
    echo "shared_preload_libraries = 'pg_stat_statements'" >>"$PG_DIR/data/postgresql.conf"
    if pg_running; then
      log "restarting PostgreSQL to load pg_stat_statements"
      (close_inherited_fds; as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -m fast -w -t 60 restart >/dev/null </dev/null)
    fi
  fi
  if ! pg_running; then
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT"
    (close_inherited_fds; as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 start >/dev/null </dev/null)
  fi
  for _ in $(seq 1 60); do psql_admin -c 'SELECT 1' >/dev/null 2>&1 && break; sleep 0.5; done
  if [ "$(psql_admin -c "SELECT count(*) FROM pg_roles WHERE rolname = '$DB'")" = 0 ]; then
    psql_admin -c "CREATE ROLE $DB LOGIN CREATEDB"
  fi
  psql_admin -c "ALTER ROLE $DB CREATEDB"
  if [ "$(psql_admin -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 0 ]; then
    psql_admin -c "CREATE DATABASE $DB OWNER $DB"
  fi
  as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$DB" -d "$DB" -v ON_ERROR_STOP=1 -qAt -c "SET client_min_messages = warning" \
    -f "$ROOT/contract/postgres.sql" >/dev/null
}

pg_stop() {
  if [ -f "$PG_DIR/data/PG_VERSION" ] && pg_running; then
    log "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null
  fi
}

ch_query() { curl -sS --fail-with-body --max-time 60 "http://127.0.0.1:$CH_HTTP_PORT/" --data-binary @- ; }

ch_running() { curl -s --max-time 2 "http://127.0.0.1:$CH_HTTP_PORT/?query=SELECT%201" 2>/dev/null | grep -q '^1$'; }

ch_start() {
  mkdir -p "$CH_DIR"/{data,tmp,log,user_files,format_schemas}
  sed -e "s#@ROOT@#$CH_DIR#g" -e "s#@HTTP_PORT@#$CH_HTTP_PORT#g" -e "s#@TCP_PORT@#$CH_TCP_PORT#g" \
      -e "s#@INTERSERVER_PORT@#$CH_INTERSERVER_PORT#g" \
      "$ROOT/tools/local/clickhouse-config.xml" >"$CH_DIR/config.xml"
  cp "$ROOT/tools/local/clickhouse-users.xml" "$CH_DIR/users.xml"
  if ! ch_running; then
    log "starting ClickHouse on 127.0.0.1:$CH_HTTP_PORT (native $CH_TCP_PORT)"
    # ClickHouse 18.16 writes no pid file unless it daemonizes, so keep the pid ourselves.
    # `cd` first and alone: `cd && nohup ... &` would put both in a background subshell that waits
    # for the server holding the caller's stderr, and $! would be that subshell, not the server.
    (close_inherited_fds; cd "$CH_DIR" || exit 1
     nohup clickhouse-server --config-file="$CH_DIR/config.xml" >"$CH_DIR/log/stdout.log" 2>&1 </dev/null &
     echo $! >"$CH_DIR/clickhouse.pid")
    # Loading the tables' parts takes a while when the data directory is big (a minute for ~15
    # million rows on 2 cores): wait up to 5 minutes, saying so every 30 s.
    for i in $(seq 1 600); do
      ch_running && break
      if [ $((i % 60)) -eq 0 ]; then log "ClickHouse is still loading its tables ($((i / 2)) s)"; fi
      sleep 0.5
    done
    ch_running || { log "ClickHouse did not answer on port $CH_HTTP_PORT; see $CH_DIR/log/"; tail -20 "$CH_DIR/log/clickhouse-server.err.log" >&2 || true; return 1; }
  fi
  echo "CREATE DATABASE IF NOT EXISTS $DB" | ch_query >/dev/null
  clickhouse-client --host 127.0.0.1 --port "$CH_TCP_PORT" --database "$DB" --multiquery \
    <"$ROOT/contract/clickhouse.sql"
}

ch_pid() {
  if [ -f "$CH_DIR/clickhouse.pid" ] && kill -0 "$(cat "$CH_DIR/clickhouse.pid")" 2>/dev/null; then
    cat "$CH_DIR/clickhouse.pid"
  else
    pgrep -f -- "clickhouse-server --config-file=$CH_DIR/config.xml" | head -1 || true
  fi
}

ch_stop() {
  local pid; pid=$(ch_pid)
  if [ -n "$pid" ]; then
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping ClickHouse"
      kill "$pid"
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
    fi
  fi
  rm -f "$CH_DIR/clickhouse.pid"
}

status() {
  local rc=0
  if pg_running && psql_admin -c 'SELECT 1' >/dev/null 2>&1; then
    echo "postgresql: running on 127.0.0.1:$PG_PORT, database $DB, role $DB"
  else echo "postgresql: stopped"; rc=3; fi
  if ch_running; then
    echo "clickhouse: running on 127.0.0.1:$CH_HTTP_PORT (http), 127.0.0.1:$CH_TCP_PORT (native), database $DB, version $(echo "SELECT version()" | ch_query | tr -d "\n")"
  else echo "clickhouse: stopped"; rc=3; fi
  return $rc
}

# --current-clickhouse: the test front of the current engine (current.sh) instead.
if [ "${2:-}" = "--current-clickhouse" ] || [ "${1:-}" = "--current-clickhouse" ]; then
  cmd=${1:-}; [ "$cmd" = "--current-clickhouse" ] && cmd=${2:-}
  exec "$ROOT/tools/local/current.sh" "$cmd"
fi

# --cluster: the local ClickHouse cluster (cluster.sh) instead of the single-node services.
if [ "${2:-}" = "--cluster" ] || [ "${1:-}" = "--cluster" ]; then
  cmd=${1:-}; [ "$cmd" = "--cluster" ] && cmd=${2:-}
  shift 2 || true
  exec "$ROOT/tools/local/cluster.sh" "$cmd" "$@"
fi

case "${1:-}" in
  start) install_packages; pg_start; ch_start; status ;;
  stop) ch_stop; pg_stop ;;
  status) status ;;
  # Fault injection for the tests: one server at a time.
  clickhouse-stop) ch_stop ;;
  clickhouse-kill) pid=$(ch_pid); if [ -n "$pid" ]; then log "killing ClickHouse (SIGKILL)"; kill -9 "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; fi; rm -f "$CH_DIR/clickhouse.pid" ;;
  clickhouse-start) ch_start >/dev/null ;;
  clickhouse-pid) ch_pid ;;
  postgres-restart) log "restarting PostgreSQL"
    (close_inherited_fds; as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -m fast -w -t 60 restart >/dev/null </dev/null) ;;
  *) echo "usage: reindex services start|stop|status [--cluster|--current-clickhouse]" >&2; exit 2 ;;
esac
