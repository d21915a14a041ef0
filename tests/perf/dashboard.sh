#!/usr/bin/env bash
# dashboard.sh: how fast the dashboard's views are in headless Chromium (the performance
# requirement: a project page of 200 benchmarks x 1 000 commits with its sparklines, a commit
# view of 1 000 results and a trend of 10 000 points, each interactive in <= 1 s). A benchmark,
# not a test: it prints numbers and fails only when it cannot run.
#
# The data (tests/perf/seed_dashboard.py: projects perf, wide and long) is uploaded through the
# real API into a real benchgated once and kept as a database under the build folder, named by
# the hash of the seeding script and of the server's migrations; later runs start benchgated
# (serving web/) on a copy of it. tests/perf/dashboard.mjs then loads each view cold, RUNS
# times, and prints the median [min-max] of its times (see there for what each column is).
#
# usage: tests/perf/dashboard.sh [--runs N] [--scale F] [--clients N] [--reseed]
#   (make bench runs it, as ctest's perf/dashboard: cd build && ctest -R '^perf/dashboard$' -V)
#   --scale F   commit counts times F (a quick try: 0.1; the cache is kept per scale)
#   --reseed    seed again even when the cached database exists
# Exits 77 (skipped) without Chromium or playwright-core.
#   BG_BUILD: build directory (default ./build); BG_NODE_MODULES: node_modules with
#   playwright-core (default tests/browser/node_modules); BG_CHROMIUM (default /usr/bin/chromium);
#   BG_WEB: the pages to serve (default web/ of the checkout); BG_SERVER: the benchgated to
#   measure (default the build's; another build seeds a cache of its own)
set -euo pipefail
RUNS=7
SCALE=1
CLIENTS=4
RESEED=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --reseed) RESEED=1; shift ;;
    *) echo "usage: $0 [--runs N] [--scale F] [--clients N] [--reseed]" >&2; exit 2 ;;
  esac
done
set +e
source "$(dirname "$0")/../integration/lib.sh"
HERE="$BG_SOURCE/tests/perf"
SERVER=${BG_SERVER:-$SERVER}
CHROMIUM=${BG_CHROMIUM:-/usr/bin/chromium}
export BG_NODE_MODULES=${BG_NODE_MODULES:-$BG_SOURCE/tests/browser/node_modules}
# exit 77: ctest's "skipped", when this machine cannot run a browser
[ -x "$CHROMIUM" ] || { echo "dashboard.sh: no Chromium at $CHROMIUM: skipped" >&2; exit 77; }
[ -d "$BG_NODE_MODULES/playwright-core" ] ||
  { echo "dashboard.sh: no playwright-core in $BG_NODE_MODULES (make deps): skipped" >&2; exit 77; }

key=$({ cat "$HERE/seed_dashboard.py" "$BG_SOURCE/server/migrations.h"; echo "${BG_SERVER:-}"; } |
  sha256sum | cut -c1-12)
CACHE="$BG_BUILD/perf/dashboard-$key-x$SCALE.db"
if [ -n "$RESEED" ] || [ ! -s "$CACHE" ] || [ ! -s "$CACHE.env" ]; then
  start_server "$TMP/seed.db"
  ADMIN=$(make_token "$TMP/seed.db" --role admin)
  started=$(date +%s)
  "$PY" "$HERE/seed_dashboard.py" "$URL" "$ADMIN" --clients "$CLIENTS" --scale "$SCALE" \
    >"$TMP/seed.env" || { echo "dashboard.sh: seeding failed" >&2; exit 1; }
  stop_server || { echo "dashboard.sh: benchgated did not stop cleanly" >&2; exit 1; }
  echo "seeded in $(($(date +%s) - started)) s into $CACHE"
  mkdir -p "$BG_BUILD/perf"
  # the database is complete once the server has closed it (its WAL checkpointed)
  cp "$TMP/seed.db" "$CACHE.tmp" && mv "$CACHE.tmp" "$CACHE" && cp "$TMP/seed.env" "$CACHE.env"
else
  echo "seeded database: $CACHE (cached)"
fi
# shellcheck disable=SC1090 # KEY=VALUE lines the seeding script printed
source "$CACHE.env"

cp "$CACHE" "$TMP/bg.db"
start_server "$TMP/bg.db" --web "${BG_WEB:-$BG_SOURCE/web}"
echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1))," \
  "load average $(cut -d' ' -f1-3 /proc/loadavg); $("$CHROMIUM" --version 2>/dev/null);" \
  "node $(node --version)"
node "$HERE/dashboard.mjs" --url "$URL" --runs "$RUNS" --chromium "$CHROMIUM" \
  --wide-sha "$WIDE_SHA" --long-benchmark "$LONG_BENCHMARK" --long-measure "$LONG_MEASURE" \
  --json "$BG_BUILD/perf/dashboard.json" || { echo "dashboard.sh: the measurement failed" >&2; exit 1; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); raw numbers: $BG_BUILD/perf/dashboard.json"
