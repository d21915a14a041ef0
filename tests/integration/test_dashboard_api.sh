#!/usr/bin/env bash
# test_dashboard_api.sh: the API additions the dashboard reads, over real HTTP with real
# uploads. A series of 300 main commits on tb1 steps +20 % at commit 201 (a regression alert
# there, then a change point): GET /series with max_points=50 keeps at most 50 + K points with
# the regression's and the change point's commits, says total_points 300 and decimated, and
# its change_points' index points at their sha in the returned points; subjects=1 gives each
# point its message's first line. GET /benchmarks?spark=N gives oldest-first sparks with null
# where a commit lacks the benchmark, the newest change point and the open alert count. GET
# /projects gives each project's latest default-branch commit with GET /commits' verdict (a
# long UTF-8 subject cut to 120 bytes on a character boundary); GET /projects/{p} its testbeds
# and branches. Bad parameters answer 400 naming them. Static files: dot segments 404, an
# ETag from size and mtime answers 304, and every answer carries the security headers.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
mkdir -p "$TMP/web/.git" "$TMP/web/js"
echo '<!doctype html><title>benchgate</title>' >"$TMP/web/index.html"
echo 'export const x = 1;' >"$TMP/web/js/app.js"
echo 'secret' >"$TMP/web/.env"
echo '[core]' >"$TMP/web/.git/config"
start_server "$DB" --web "$TMP/web"
ADMIN=$(make_token "$DB" --role admin)
for p in dash other empty; do
  create_project "$ADMIN" "{\"slug\":\"$p\"}"
  expect "project $p created" 201
done

# The runs: commit n (sha %040x, one minute apart) on tb1 with `step` (1e6, 1.2e6 from 201 on,
# exact counts), `flat` (constant) and `odd` (odd commits only); tb2 has commits 1..5 with
# `flat`. A pull-request run on branch feature (7) and a run on branch old of an older commit.
python3 - "$TMP" <<'PY'
import json, sys, uuid
tmp = sys.argv[1]
def run(n, branch="main", testbed="tb1", results=None, pr=None, sha=None, message=None):
    r = {"schema": "benchgate.run/v1", "run_id": str(uuid.uuid4()),
         "commit": {"sha": sha or "%040x" % n, "branch": branch,
                    "message": message or "commit %d\n\nthe body" % n,
                    "author": "Dev <dev@example.org>",
                    "timestamp": "2026-11-01T%02d:%02d:00Z" % (n // 60, n % 60)},
         "testbed": {"name": testbed}, "results": results}
    if pr is not None:
        r["pull_request"] = pr
    return r
def res(bench, value):
    return {"benchmark": bench, "measure": "instructions", "unit": "count", "direction": "lower",
            "samples": [value] * 5}
with open(tmp + "/runs.list", "w") as lst:
    def put(name, r):
        with open("%s/%s.json" % (tmp, name), "w") as f:
            json.dump(r, f)
        lst.write(name + "\n")
    for n in range(1, 301):
        results = [res("step", 1000000 if n <= 200 else 1200000), res("flat", 5000)]
        if n % 2:
            results.append(res("odd", 700))
        msg = ("\u00e9" * 100 + "\nrest") if n == 300 else None
        put("main%d" % n, run(n, results=results, message=msg))
    for n in range(1, 6):
        put("tb2_%d" % n, run(n, testbed="tb2", results=[res("flat", 5000)]))
    put("feature", run(400, branch="feature", pr=7, sha="f" * 40, results=[res("step", 1300000)]))
    put("old", run(2, branch="old", sha="e" * 40, results=[res("flat", 5000)]))
with open(tmp + "/other.json", "w") as f:
    json.dump(run(1, results=[res("flat", 1)]), f)
PY
failed_uploads=0
while read -r name; do
  code=$(curl -s -o "$TMP/up.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/$name.json" \
    "$URL/api/v1/projects/dash/runs")
  [ "$code" = 201 ] || { failed_uploads=$((failed_uploads + 1)); echo "upload $name: $code $(cat "$TMP/up.out")"; }
done <"$TMP/runs.list"
check "every run of dash uploaded" test "$failed_uploads" = 0
req POST /api/v1/projects/other/runs -H 'Content-Type: application/json' \
  -H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/other.json"
expect "the run of other uploaded" 201

S="/api/v1/projects/dash/series?benchmark=step&measure=instructions&testbed=tb1"

# ---- series: decimation ----
req GET "$S"
expect "the whole series" 200
expect_json "undecimated: 300 points, total_points 300, decimated false" \
  'len(j["points"]) == 300 and j["total_points"] == 300 and j["decimated"] is False'
expect_json "the step made a change point and a regression alert" \
  'len(j["change_points"]) >= 1 and any(a["kind"] == "regression" for a in j["alerts"])'
expect_json "no subjects unless asked" 'all("subject" not in p for p in j["points"])'
printf '%s' "$BODY" >"$TMP/full.json"
req GET "$S&max_points=50"
expect "max_points=50" 200
printf '%s' "$BODY" >"$TMP/dec.json"
check "decimated: at most 50 + K points, sorted, the special ones kept" python3 - "$TMP" <<'PY'
import json, sys
full = json.load(open(sys.argv[1] + "/full.json"))
dec = json.load(open(sys.argv[1] + "/dec.json"))
pts = dec["points"]
shas = [p["sha"] for p in pts]
special = {full["points"][0]["sha"], full["points"][-1]["sha"]}
for c in full["change_points"]:
    special |= {c["sha"], c["first_sha"]}
order = {p["sha"]: i for i, p in enumerate(full["points"])}
# The series' alerts are of every branch on the testbed: those of main's commits are kept.
special |= {a["commit"] for a in full["alerts"] if a["kind"] == "regression" and a.get("commit") in order}
problems = []
if not (dec["decimated"] is True and dec["total_points"] == 300):
    problems.append("decimated/total_points: %r %r" % (dec["decimated"], dec["total_points"]))
if len(pts) > 50 + len(special):
    problems.append("%d points > 50 + %d" % (len(pts), len(special)))
if len(pts) < 25:
    problems.append("only %d points" % len(pts))
if [order[s] for s in shas] != sorted(order[s] for s in shas):
    problems.append("not oldest first")
if not special <= set(shas):
    problems.append("missing special points %r" % (special - set(shas)))
if "%040x" % 201 not in shas:
    problems.append("the regression's commit 201 is missing")
for c in dec["change_points"]:
    if c["index"] is None or pts[c["index"]]["sha"] != c["sha"]:
        problems.append("change point %s index %r" % (c["sha"], c["index"]))
if len(dec["change_points"]) != len(full["change_points"]):
    problems.append("change points lost")
# Min/max per bucket: the series' extremes stay.
means = [p["mean"] for p in pts]
if min(means) != 1000000 or max(means) != 1200000:
    problems.append("extremes lost")
print("\n".join(problems))
sys.exit(1 if problems else 0)
PY
req GET "$S&max_points=400"
expect_json "max_points above the count: every point, decimated false" \
  'len(j["points"]) == 300 and j["decimated"] is False and j["total_points"] == 300'
req GET "$S&limit=100&max_points=16"
expect_json "limit first, then max_points: total_points 100" \
  'j["total_points"] == 100 and j["decimated"] is True and len(j["points"]) <= 16 + 6'
req GET "$S&subjects=1&limit=5"
expect_json "subjects=1: each point has its first line" \
  '[p["subject"] for p in j["points"][:4]] == ["commit %d" % n for n in range(296, 300)]'
expect_json "a long UTF-8 subject is cut to 120 bytes on a character boundary" \
  'j["points"][-1]["subject"] == "\u00e9" * 60'
for bad in "max_points=15" "max_points=10001" "max_points=abc" "max_points="; do
  req GET "$S&$bad"
  expect "$bad: 400 naming max_points" 400 '"field":"max_points"'
done
for bad in "subjects=2" "subjects=yes" "subjects=-1"; do
  req GET "$S&$bad"
  expect "$bad: 400 naming subjects" 400 '"field":"subjects"'
done

# ---- benchmarks: spark, change, open_alerts ----
B="/api/v1/projects/dash/benchmarks?testbed=tb1"
req GET "$B&spark=10"
expect "benchmarks with spark=10" 200
expect_json "spark_commits 10" 'j["spark_commits"] == 10'
expect_json "spark arrays of 10, oldest first" \
  '{b["benchmark"]: b["spark"] for b in j["benchmarks"]}["step"] == [1200000] * 10 and all(len(b["spark"]) == 10 for b in j["benchmarks"])'
expect_json "odd: null at the even commits (291..300)" \
  '{b["benchmark"]: b["spark"] for b in j["benchmarks"]}["odd"] == [700, None] * 5'
expect_json "step: its newest change point with sha, time and change" \
  '[(b["change"]["sha"] in ["%040x" % n for n in range(195, 210)], round(b["change"]["change"], 3), b["change"]["time"] > 0) for b in j["benchmarks"] if b["benchmark"] == "step"] == [(True, 0.2, True)]'
expect_json "flat: no change point" '[b["change"] for b in j["benchmarks"] if b["benchmark"] == "flat"] == [None]'
expect_json "open alerts: step has some, flat none" \
  '{b["benchmark"]: b["open_alerts"] for b in j["benchmarks"]}["step"] >= 1 and {b["benchmark"]: b["open_alerts"] for b in j["benchmarks"]}["flat"] == 0'
STEP_ALERTS=$(json '{b["benchmark"]: b["open_alerts"] for b in j["benchmarks"]}["step"]')
req GET "/api/v1/projects/dash/alerts?state=open"
check "open_alerts counts the open alerts of the series on tb1" test "$(json 'len([a for a in j["alerts"] if a["benchmark"] == "step" and a["testbed"] == "tb1"])')" = "$STEP_ALERTS"
req GET "$B"
expect_json "no spark param: no spark, no spark_commits, change and open_alerts still" \
  '"spark_commits" not in j and all("spark" not in b and "open_alerts" in b and "change" in b for b in j["benchmarks"])'
req GET "/api/v1/projects/dash/benchmarks?testbed=tb2&spark=50"
expect_json "tb2: 5 commits only, spark_commits 5" \
  'j["spark_commits"] == 5 and j["benchmarks"][0]["spark"] == [5000] * 5'
for bad in "spark=1" "spark=201" "spark=x"; do
  req GET "$B&$bad"
  expect "$bad: 400 naming spark" 400 '"field":"spark"'
done

# ---- projects ----
LAST_TIME=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["points"][-1]["time"])' "$TMP/full.json")
req GET "/api/v1/projects/dash/commits?branch=main&limit=1"
VERDICT=$(json 'json.dumps(j["commits"][0]["verdict"], sort_keys=True)')
req GET /api/v1/projects
expect "the projects" 200
expect_json "dash: latest is commit 300 with its cut subject and time" \
  '[(p["latest"]["sha"], p["latest"]["subject"], p["latest"]["time"]) for p in j["projects"] if p["slug"] == "dash"] == [("%040x" % 300, "\u00e9" * 60, '"$LAST_TIME"')]'
check "dash: latest verdict is what GET /commits gives" test \
  "$(json 'json.dumps([p for p in j["projects"] if p["slug"] == "dash"][0]["latest"]["verdict"], sort_keys=True)')" = "$VERDICT"
expect_json "other: latest verdict no_baseline" \
  '[p["latest"]["verdict"]["state"] for p in j["projects"] if p["slug"] == "other"] == ["no_baseline"]'
expect_json "empty: latest null" '[p["latest"] for p in j["projects"] if p["slug"] == "empty"] == [None]'
expect_json "existing members stay" 'all("default_branch" in p and "gate_window" in p for p in j["projects"])'
req GET /api/v1/projects/dash
expect "one project" 200
expect_json "testbeds sorted" 'j["testbeds"] == ["tb1", "tb2"]'
expect_json "branches: main first, then newest first, with pull_request and last_time" \
  '[(b["name"], b["pull_request"]) for b in j["branches"]] == [("main", None), ("feature", 7), ("old", None)] and j["branches"][0]["last_time"] == '"$LAST_TIME"
req GET /api/v1/projects/empty
expect_json "a project without runs: no testbeds, no branches" 'j["testbeds"] == [] and j["branches"] == [] and j["slug"] == "empty"'

# ---- headers and static files ----
# hget PATH [CURL-ARGS...]: GETs PATH; headers to $TMP/hdr, body to $TMP/body.
hget() {
  local path=$1
  shift
  rm -f "$TMP/body" # curl writes no file for an answer without a body
  STATUS=$(curl -s --path-as-is -o "$TMP/body" -D "$TMP/hdr" -w '%{http_code}' "$@" "$URL$path")
}
header() { grep -i "^$1:" "$TMP/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
headers_present() {
  [ "$(header X-Frame-Options)" = DENY ] &&
    [ "$(header Cross-Origin-Opener-Policy)" = same-origin ] &&
    [ "$(header Cross-Origin-Resource-Policy)" = same-origin ] &&
    [ "$(header Permissions-Policy)" = "camera=(), microphone=(), geolocation=()" ] &&
    [ -n "$(header Content-Security-Policy)" ] && [ "$(header X-Content-Type-Options)" = nosniff ] &&
    [ "$(header Referrer-Policy)" = no-referrer ]
}
hget /api/v1/projects
check "an API answer carries every security header" headers_present
hget /api/v1/projects/nope
check "an error answer carries them too" headers_present
hget /index.html
check "a static file: 200" test "$STATUS" = 200
check "a static file carries them" headers_present
check "a static file is revalidated (no-cache)" test "$(header Cache-Control)" = no-cache
ETAG=$(header ETag)
check "a static file has an ETag" test -n "$ETAG"
hget /index.html -H "If-None-Match: $ETAG"
check "If-None-Match with its ETag: 304" test "$STATUS" = 304
check "the 304 has no body" test ! -s "$TMP/body"
check "the 304 has the ETag and the headers" bash -c '[ "$1" = "$2" ]' _ "$(header ETag)" "$ETAG"
headers_present || bad "the 304 lacks a security header"
hget /index.html -H 'If-None-Match: "other"'
check "If-None-Match with another ETag: 200" test "$STATUS" = 200
hget /js/app.js
check "another file, another ETag" test "$(header ETag)" != "$ETAG"
sleep 1.1
echo '<!doctype html><title>changed</title>' >"$TMP/web/index.html"
hget /index.html -H "If-None-Match: $ETAG"
check "a changed file: 200 with a new ETag" bash -c '[ "$1" = 200 ] && [ "$2" != "$3" ]' _ "$STATUS" "$(header ETag)" "$ETAG"
for path in /.env /.git/config /js/.hidden /./index.html /js/../.env; do
  hget "$path"
  check "$path: 404" test "$STATUS" = 404
done
hget /js
check "a directory without index.html: 404" test "$STATUS" = 404
finish
