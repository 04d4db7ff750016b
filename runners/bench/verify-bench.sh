#!/usr/bin/env bash
# Benchmark: how long verifying a clean window takes next to reindexing it, on the same
# data, in one run. Uses databases of its own (reindex_bench), never the demo's.
#   ./reindex bench-verify [--scorecards N] [--scores-per-scorecard M]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
N=100000; M=10
while [ $# -gt 0 ]; do
  case "$1" in
    --scorecards) N=$2; shift 2 ;;
    --scores-per-scorecard) M=$2; shift 2 ;;
    *) echo "usage: reindex bench-verify [--scorecards N] [--scores-per-scorecard M]" >&2; exit 2 ;;
  esac
done
DB=reindex_bench
PG_PORT=${REINDEX_LOCAL_PG_PORT:-55432}
CH_HTTP=http://127.0.0.1:${REINDEX_LOCAL_CH_HTTP_PORT:-18123}
JAR=$ROOT/runners/target/reindex-bundled-0.1.0-SNAPSHOT.jar

"$ROOT/runners/local/services.sh" start >/dev/null
"$ROOT/reindex" build
psql_() { psql -h 127.0.0.1 -p "$PG_PORT" -U reindex -v ON_ERROR_STOP=1 -qAt "$@"; }
[ "$(psql_ -d reindex -c "SELECT count(*) FROM pg_database WHERE datname = '$DB'")" = 1 ] || psql_ -d reindex -c "CREATE DATABASE $DB"
psql_ -d "$DB" -c "SET client_min_messages = warning" -f "$ROOT/contract/postgres.sql" >/dev/null
curl -sS --fail "$CH_HTTP/" --data-binary "CREATE DATABASE IF NOT EXISTS $DB" >/dev/null
grep -v '^\s*--' "$ROOT/contract/clickhouse.sql" | tr '\n' ' ' | tr ';' '\n' | while read -r ddl; do
  [ -n "${ddl// /}" ] && curl -sS --fail "$CH_HTTP/?database=$DB" --data-binary "$ddl" >/dev/null
done
for t in scorecards scores; do curl -sS --fail "$CH_HTTP/" --data-binary "TRUNCATE TABLE $DB.$t" >/dev/null; done

export REINDEX_PG_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/$DB REINDEX_CH_DATABASE=$DB
START=2026-03-01T00:00:00Z END=2026-03-08T00:00:00Z
java -jar "$JAR" seed --scorecards "$N" --scores-per-scorecard "$M" --start $START --end $END --seed 7 --replace

now() { date +%s.%N; }
t0=$(now)
"$ROOT/reindex" run --mode process --start $START --end $END --no-verify | tail -4
t1=$(now)
"$ROOT/reindex" verify --mode process --start $START --end $END
t2=$(now)
awk -v t0="$t0" -v t1="$t1" -v t2="$t2" -v cores="$(nproc)" 'BEGIN { r = t1 - t0; v = t2 - t1;
  printf "\nbench-verify on %d cores: reindex %.1f s wall, verify %.1f s wall: verifying is %.1fx faster than reindexing\n", cores, r, v, r / v }'
