#!/usr/bin/env bash
# Benchmark: how long `neighbourhood seed-demo` takes for a population on the embedded default
# (SQLite file) and on PostgreSQL, release build. Target (issue #2): 50,000 people in seconds on
# both. Writes bench/results/seed-demo.md and .csv; prints the table.
#
#   bench/seed-demo.sh [POPULATION ...]        default: 50000
#   PG_SERVER=postgres://postgres@127.0.0.1:5432 REPEATS=3 bench/seed-demo.sh 50000 200000
set -euo pipefail
cd "$(dirname "$0")/.."

POPULATIONS=("${@:-50000}")
REPEATS="${REPEATS:-3}"
PG_SERVER="${PG_SERVER:-postgres://postgres@127.0.0.1:5432}"
OUT=bench/results
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

cargo build --release --quiet
BIN=target/release/neighbourhood

pg_up() { timeout 2 bash -c '</dev/tcp/127.0.0.1/5432' 2>/dev/null; }
if ! pg_up; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
psql_admin() { PGOPTIONS="-c client_min_messages=warning" psql "$PG_SERVER/postgres" -qAtc "$1"; }

# Runs one seed and prints "seconds peak_rss_kib".
timed_seed() {
  local url="$1" population="$2"
  DATABASE_URL="$url" "$BIN" migrate >/dev/null 2>&1
  /usr/bin/time -f "%e %M" -o "$WORK/time" \
    env DATABASE_URL="$url" "$BIN" seed-demo --population "$population" --seed 2026 --today 2026-11-25 >/dev/null 2>"$WORK/seed.err" \
    || { cat "$WORK/seed.err" >&2; exit 1; }
  cat "$WORK/time"
}

echo "backend,population,repeat,seconds,peak_rss_kib" > "$OUT/seed-demo.csv"
for population in "${POPULATIONS[@]}"; do
  for repeat in $(seq 1 "$REPEATS"); do
    file="$WORK/seed-$population-$repeat.db"
    read -r secs rss < <(timed_seed "sqlite://$file?mode=rwc" "$population")
    echo "sqlite,$population,$repeat,$secs,$rss" >> "$OUT/seed-demo.csv"
    db="nbh_bench_seed_${population}_$repeat"
    psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"; psql_admin "CREATE DATABASE $db"
    read -r secs rss < <(timed_seed "$PG_SERVER/$db" "$population")
    echo "postgres,$population,$repeat,$secs,$rss" >> "$OUT/seed-demo.csv"
    psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  done
done

{
  echo "# seed-demo benchmark"
  echo
  echo "Release build, $(nproc) cores, $(date -u +%Y-%m-%d), commit $(git rev-parse --short HEAD)."
  echo "Each row: median of $REPEATS runs (min–max) of \`neighbourhood seed-demo\` into an empty, migrated database,"
  echo "wall-clock seconds including connection and the single transaction; peak RSS of the process."
  echo
  echo "| backend | population | seconds (median) | min–max | peak RSS (MiB) |"
  echo "|---|---|---|---|---|"
  python3 - "$OUT/seed-demo.csv" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1])))
groups = {}
for r in rows:
    groups.setdefault((r["backend"], int(r["population"])), []).append(r)
for (backend, population), rs in sorted(groups.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    secs = sorted(float(r["seconds"]) for r in rs)
    rss = max(int(r["peak_rss_kib"]) for r in rs) / 1024
    print(f"| {backend} | {population:,} | {statistics.median(secs):.2f} | {secs[0]:.2f}–{secs[-1]:.2f} | {rss:.0f} |")
PY
} > "$OUT/seed-demo.md"
cat "$OUT/seed-demo.md"
