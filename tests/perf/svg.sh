#!/usr/bin/env bash
# svg.sh: the server time of the embeddable images (the performance requirement: badge.svg
# and trend.svg p50 <= 10 ms of server time). A benchmark, not a test: it prints numbers and
# fails only when it cannot run.
#
# A real benchgated on a fresh database with one series of POINTS commits on main (one run
# each, 10 samples, a 20 % step 100 commits before the newest, so the chart draws a change
# point and the regression alert of the step).
# Each round sends REQUESTS GETs of badge.svg and of trend.svg (the newest 200 points, drawn
# at 600 x 200) over one keep-alive connection and takes the p50 and p99 of the handler's
# time the answers carry (Server-Timing: app;dur=); the table gives the median over the
# rounds of each and their range [min-max].
#
# usage: tests/perf/svg.sh [--rounds K] [--requests N] [--points P]
#   BG_BUILD: build directory (default ./build)
set -euo pipefail
ROUNDS=3
REQUESTS=200
POINTS=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --points) POINTS=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds K] [--requests N] [--points P]" >&2; exit 2 ;;
  esac
done
set +e
source "$(dirname "$0")/../integration/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"svg"}'
[ "$STATUS" = 201 ] || { echo "cannot create the project: $BODY" >&2; exit 1; }

python3 - "$POINTS" "$TMP" <<'PY'
import datetime, json, random, sys, uuid
points, tmp = int(sys.argv[1]), sys.argv[2]
rng = random.Random(1)
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
def stamp(n):
    return (start + datetime.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
for n in range(1, points + 1):
    level = 1e6 * (1.2 if n > points - 100 else 1.0)
    with open("%s/run%d.json" % (tmp, n), "w") as f:
        json.dump({"schema": "benchgate.run/v1", "run_id": str(uuid.UUID(int=n)),
                   "commit": {"sha": "%040x" % n, "branch": "main", "timestamp": stamp(n)},
                   "testbed": {"name": "tb"},
                   "results": [{"benchmark": "bench", "measure": "wall_time", "unit": "ns",
                                "direction": "lower",
                                "samples": [level * (1 + rng.gauss(0, 0.01)) for _ in range(10)]}]},
                  f)
PY
for n in $(seq 1 "$POINTS"); do
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/run$n.json" "$URL/api/v1/projects/svg/runs")
  [ "$code" = 201 ] || { echo "upload $n: $code" >&2; exit 1; }
done
echo "seeded $POINTS commits of one series"
curl -s -o "$TMP/trend.svg" "$URL/api/v1/projects/svg/trend.svg?benchmark=bench&measure=wall_time"
python3 - "$TMP/trend.svg" <<'PY'
import sys, xml.etree.ElementTree as E
ns = "{http://www.w3.org/2000/svg}"
root = E.parse(sys.argv[1]).getroot()
line = root.find(ns + "polyline")
print("trend.svg: %d points drawn, %d change lines, %d regression dots, %d bytes" % (
    len(line.get("points").split()) if line is not None else 0,
    len(root.findall(ns + "line")), len(root.findall(ns + "circle")),
    len(open(sys.argv[1], "rb").read())))
PY

# timings PATH: the Server-Timing durations of REQUESTS GETs of PATH, one a line.
timings() {
  local i
  for i in $(seq 1 "$REQUESTS"); do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$URL" "$1"; done >"$TMP/curl.cfg"
  curl -s -D - -K "$TMP/curl.cfg" | tr -d '\r' | sed -n 's/^Server-Timing: app;dur=//p'
}
# pct FILE P: the P-th percentile of the numbers in FILE.
pct() { sort -g "$1" | awk -v p="$2" '{a[NR]=$1} END {i=int((NR-1)*p/100+0.5)+1; print a[i]}'; }
# summary FILE: "median [min-max]" of the numbers in FILE.
summary() { sort -g "$1" | awk '{a[NR]=$1} END {printf "%.3f [%.3f-%.3f]", a[int((NR+1)/2)], a[1], a[NR]}'; }

for path in /api/v1/projects/svg/badge.svg \
  "/api/v1/projects/svg/trend.svg?benchmark=bench&measure=wall_time"; do
  : >"$TMP/p50" && : >"$TMP/p99"
  for r in $(seq 1 "$ROUNDS"); do
    timings "$path" >"$TMP/t"
    [ "$(wc -l <"$TMP/t")" = "$REQUESTS" ] || { echo "$path: not $REQUESTS answers" >&2; exit 1; }
    pct "$TMP/t" 50 >>"$TMP/p50"
    pct "$TMP/t" 99 >>"$TMP/p99"
  done
  echo "$path: server time p50 $(summary "$TMP/p50") ms, p99 $(summary "$TMP/p99") ms ($ROUNDS rounds of $REQUESTS)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
