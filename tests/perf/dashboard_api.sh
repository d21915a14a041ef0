#!/usr/bin/env bash
# dashboard_api.sh: the server time of the reads the dashboard makes (the requirement: a
# project page of 200 benchmarks x 1000 commits with spark=50 well under 100 ms). A benchmark,
# not a test: it prints numbers and fails only when it cannot run.
#
# A real benchgated on a fresh database, seeded through the API: project `page` with BENCHES
# benchmarks x COMMITS main commits on one testbed (one run each, 5 samples a result), and
# project `long` with one series of POINTS commits (a 10 % step 100 commits before the newest:
# a change point and a regression alert the decimation keeps). The runs are posted over one
# keep-alive connection.
# Each round sends REQUESTS GETs of each path and takes the median of the handler's time the
# answers carry (Server-Timing: app;dur=); the table gives the median over the rounds and
# their range [min-max].
#
# usage: tests/perf/dashboard_api.sh [--rounds K] [--requests N] [--benches B] [--commits C]
#                                    [--points P]
#   BG_BUILD: build directory (default ./build)
set -euo pipefail
ROUNDS=5
REQUESTS=20
BENCHES=200
COMMITS=1000
POINTS=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --benches) BENCHES=$2; shift 2 ;;
    --commits) COMMITS=$2; shift 2 ;;
    --points) POINTS=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds K] [--requests N] [--benches B] [--commits C] [--points P]" >&2; exit 2 ;;
  esac
done
set +e
source "$(dirname "$0")/../integration/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
for p in page long; do
  create_project "$ADMIN" "{\"slug\":\"$p\"}"
  [ "$STATUS" = 201 ] || { echo "cannot create project $p: $BODY" >&2; exit 1; }
done

SEED_START=$(date +%s)
python3 - "$URL" "$ADMIN" "$BENCHES" "$COMMITS" "$POINTS" <<'PY' || { echo "seeding failed" >&2; exit 1; }
import datetime, http.client, json, random, sys, urllib.parse, uuid
url, token, benches, commits, points = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:6])
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port)
rng = random.Random(1)
start = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
def stamp(n):
    return (start + datetime.timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ")
headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
def post(project, n, results):
    body = json.dumps({"schema": "benchgate.run/v1", "run_id": str(uuid.UUID(int=n)),
                       "commit": {"sha": "%040x" % n, "branch": "main",
                                  "message": "commit %d\n\nbody" % n, "timestamp": stamp(n)},
                       "testbed": {"name": "tb"}, "results": results})
    conn.request("POST", "/api/v1/projects/%s/runs" % project, body, headers)
    r = conn.getresponse()
    r.read()
    if r.status != 201:
        sys.exit("upload %s %d: %d" % (project, n, r.status))
def res(bench, level):
    return {"benchmark": bench, "measure": "wall_time", "unit": "ns", "direction": "lower",
            "samples": [round(level * (1 + rng.gauss(0, 0.01)), 1) for _ in range(5)]}
for n in range(1, commits + 1):
    post("page", n, [res("bench_%03d" % b, 1000 + b) for b in range(benches)])
for n in range(1, points + 1):
    post("long", n, [res("bench", 1e6 * (1.1 if n > points - 100 else 1.0))])
PY
echo "seeded $BENCHES benchmarks x $COMMITS commits and a series of $POINTS commits in $(($(date +%s) - SEED_START)) s"
req GET "/api/v1/projects/page/benchmarks?spark=50"
echo "benchmarks?spark=50: $(json 'len(j["benchmarks"])') benchmarks, spark_commits $(json 'j["spark_commits"]'), ${#BODY} bytes"
req GET "/api/v1/projects/long/series?benchmark=bench&measure=wall_time&limit=10000&max_points=2000"
echo "series?max_points=2000: $(json 'len(j["points"])') of $(json 'j["total_points"]') points, $(json 'len(j["change_points"])') change points, ${#BODY} bytes"

# timings PATH: the Server-Timing durations of REQUESTS GETs of PATH, one a line.
timings() {
  for _ in $(seq 1 "$REQUESTS"); do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$URL" "$1"; done >"$TMP/curl.cfg"
  curl -s -D - -K "$TMP/curl.cfg" | tr -d '\r' | sed -n 's/^Server-Timing: app;dur=//p'
}
# median FILE: the median of the numbers in FILE.
median() { sort -g "$1" | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
# summary FILE: "median [min-max]" of the numbers in FILE.
summary() { sort -g "$1" | awk '{a[NR]=$1} END {printf "%.3f [%.3f-%.3f]", a[int((NR+1)/2)], a[1], a[NR]}'; }

for path in "/api/v1/projects/page/benchmarks?spark=50" \
  "/api/v1/projects/long/series?benchmark=bench&measure=wall_time&limit=10000&max_points=2000" \
  "/api/v1/projects/long/series?benchmark=bench&measure=wall_time&limit=10000" \
  /api/v1/projects; do
  : >"$TMP/medians"
  for _ in $(seq 1 "$ROUNDS"); do
    timings "$path" >"$TMP/t"
    [ "$(wc -l <"$TMP/t")" = "$REQUESTS" ] || { echo "$path: not $REQUESTS answers" >&2; exit 1; }
    median "$TMP/t" >>"$TMP/medians"
  done
  echo "$path: server time median $(summary "$TMP/medians") ms ($ROUNDS rounds of $REQUESTS)"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
