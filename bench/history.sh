#!/usr/bin/env bash
# Benchmark: the history (issue 18) on SQLite and on PostgreSQL on loopback.
#
# What it does:
#   1. builds the history's `bench` example (release);
#   2. on a new SQLite file: records N_RUNS runs (default 10,000) of 100 gates and 50 records
#      each (45 of them shared by every run, 5 a run's own), then times recording one run
#      (budget 20 ms), a trend of the last 20 runs of a gate and of a metric, and
#      `--baseline last-go` (budget 50 ms), and prints bytes per run;
#   3. the same on a PostgreSQL server of its own (Debian's postgresql: initdb and postgres
#      from /usr/lib/postgresql/*/bin, as the postgres user when run as root) on a free
#      loopback port in a temporary data directory (budget 100 ms), stopped at the end.
# Each figure is printed with its ratio to the issue's budget.
#
# Usage:  bench/history.sh [N_RUNS]
# Needs:  cargo; postgresql (apt-get install postgresql) for step 3, skipped when missing.
# Caveats: medians of 21 queries (and of the first and last 50 recordings) on a shared
#         machine; the PostgreSQL server runs with fsync=off (a benchmark, not a durability
#         test), SQLite with its defaults here (WAL, synchronous=NORMAL).
set -euo pipefail
cd "$(dirname "$0")/.."
N_RUNS="${1:-10000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}"
WORK="$(mktemp -d)"
PG_PID=""
cleanup() {
  if [ -n "$PG_PID" ]; then
    as_pg "$PG_BIN/pg_ctl" stop -D "$WORK/pg" -m fast -w >/dev/null 2>&1 || kill "$PG_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

cargo build --release -q -p gonogo-history --example bench
BENCH="$CARGO_TARGET_DIR/release/examples/bench"

echo "== SQLite"
"$BENCH" "$WORK/history.db" "$N_RUNS"

PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  echo "== PostgreSQL: skipped (apt-get install postgresql)"
  exit 0
fi
echo "== PostgreSQL ($PG_BIN)"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$WORK"
as_pg "$PG_BIN/initdb" -D "$WORK/pg" -U gonogo --auth=trust -E UTF8 --no-sync >/dev/null
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg "$PG_BIN/postgres" -D "$WORK/pg" -p "$PORT" -k "$WORK" \
  -c listen_addresses=127.0.0.1 -c fsync=off >"$WORK/pg.log" 2>&1 &
PG_PID=$!
for _ in $(seq 1 300); do
  if as_pg "$PG_BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then break; fi
  sleep 0.1
done
"$BENCH" "postgres://gonogo@127.0.0.1:$PORT/postgres" "$N_RUNS"
