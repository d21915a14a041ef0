#!/usr/bin/env bash
# load.sh: benchgated under sustained load, measured (docs/reliability.md, "Load"). Run by hand
# after `make build` (needs wrk, a Debian package): tests/reliability/load.sh [SECONDS]
#
# Seeds a project with 40 commits of 200 results, then for SECONDS (default 60) per round runs
# wrk with a mix of reads (projects, a project, its history, benchmarks with sparklines, a
# series, a verdict, a badge, the dashboard's page) at 8 and then 64 connections, while 4
# agents upload runs of 200 results in a loop. Prints wrk's latency distribution and errors,
# the uploads answered and failed, and the server's RSS at start and end.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
SECONDS_PER_ROUND=${1:-60}
command -v wrk >/dev/null || { echo "load.sh: needs wrk (apt-get install wrk)"; exit 2; }
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
AGENT_TOKEN=$(make_token "$DB" --role agent --name bench)
start_server "$DB" --web "$BG_SOURCE/web"
create_project "$ADMIN" '{"slug":"p"}'

cat >"$TMP/gen.py" <<'PY'
import json, random, sys, uuid
i = int(sys.argv[1])
print(json.dumps({"schema": "benchgate.run/v1", "run_id": str(uuid.uuid4()),
  "commit": {"sha": "%040x" % random.getrandbits(160), "branch": "main", "message": "commit %d" % i,
             "author": "A <a@example.org>", "timestamp": "2026-11-%02dT12:00:00Z" % (1 + i % 28)},
  "testbed": {"name": "tb", "fingerprint": {"cpus": 2}}, "agent": {"name": "a", "version": "0.1.0"},
  "results": [{"benchmark": "bench/%03d" % b, "measure": "wall_time",
               "samples": [1000 + b + random.gauss(0, 5) for _ in range(10)]} for b in range(200)]}))
PY
upload() {
  curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $AGENT_TOKEN" \
    -H 'Content-Type: application/json' --data-binary @"$1" "$URL/api/v1/projects/p/runs"
}
for i in $(seq 1 40); do
  "$PY" "$TMP/gen.py" "$i" >"$TMP/seed.json"
  upload "$TMP/seed.json" >/dev/null
done
SHA=$(curl -s "$URL/api/v1/projects/p/commits?limit=1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["commits"][0]["sha"])')

cat >"$TMP/mix.lua" <<LUA
local paths = {
  "/api/v1/projects", "/api/v1/projects/p", "/api/v1/projects/p/commits",
  "/api/v1/projects/p/benchmarks?spark=30",
  "/api/v1/projects/p/series?benchmark=bench/007&measure=wall_time&testbed=tb",
  "/api/v1/projects/p/commits/$SHA/verdict", "/api/v1/projects/p/badge.svg?testbed=tb",
  "/", "/healthz" }
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors: connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000))
end
LUA

rss() { awk '/VmRSS/ {print $2 / 1024 " MB"}' "/proc/$SERVER_PID/status"; }
echo "server RSS after seeding: $(rss)"
for conns in 8 64; do
  : >"$TMP/uploads"
  stop_at=$(($(date +%s) + SECONDS_PER_ROUND))
  apids=()
  for a in 1 2 3 4; do
    (
      n=0
      while [ "$(date +%s)" -lt "$stop_at" ]; do
        n=$((n + 1))
        "$PY" "$TMP/gen.py" $((1000 * a + n)) >"$TMP/agent$a.json"
        upload "$TMP/agent$a.json" >>"$TMP/uploads"
      done
    ) &
    apids+=($!)
  done
  echo "== $conns connections, ${SECONDS_PER_ROUND} s of mixed reads, 4 agents uploading =="
  wrk -t 2 -c "$conns" -d "${SECONDS_PER_ROUND}s" --latency -s "$TMP/mix.lua" "$URL" |
    grep -E '^(requests|latency|Requests/sec|  Non-2xx)'
  wait "${apids[@]}"
  echo "uploads: $(grep -c '^201$' "$TMP/uploads") answered 201, $(grep -vc '^201$' "$TMP/uploads") not"
  echo "server RSS: $(rss)"
done
echo "integrity: $(sqlite3 "$DB" 'PRAGMA integrity_check'), runs stored: $(sqlite3 "$DB" 'SELECT count(*) FROM runs')"
