#!/usr/bin/env bash
# test_svg.sh: the embeddable images over real HTTP. The badge shows the newest
# default-branch verdict on the testbed (pass green, fail red, no baseline grey, unknown grey
# without a run), with an ETag that answers 304 to If-None-Match, 404 naming an unknown
# testbed and 400 when the project has several and none is named. The trend chart is
# well-formed XML with the hostile benchmark name escaped, and a width out of bounds answers
# 400 naming it.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
for p in pass fail empty xss two; do
  create_project "$ADMIN" "{\"slug\":\"$p\"}"
  expect "project $p created" 201
done

# upload PROJECT N COUNT [BENCHMARK] [TESTBED]: a main run of commit N (timestamp day N) with
# 10 equal instruction counts COUNT: the exact rule judges +3 % a regression.
upload() {
  local project=$1 n=$2 count=$3 bench=${4:-count} testbed=${5:-tb}
  python3 - "$n" "$count" "$bench" "$testbed" >"$TMP/run.json" <<'PY'
import json, sys, uuid
n, count, bench, testbed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
print(json.dumps({
    "schema": "benchgate.run/v1", "run_id": str(uuid.uuid4()),
    "commit": {"sha": "%040d" % n, "branch": "main", "timestamp": "2026-11-%02dT12:00:00Z" % n},
    "testbed": {"name": testbed},
    "results": [{"benchmark": bench, "measure": "instructions", "unit": "count",
                 "direction": "lower", "samples": [count] * 10}]}))
PY
  req POST "/api/v1/projects/$project/runs" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/run.json"
}

# svg PATH [CURL-ARGS...]: GETs PATH; the body goes to $TMP/svg, the headers to $TMP/hdr.
svg() {
  local path=$1
  shift
  rm -f "$TMP/svg"
  STATUS=$(curl -s -o "$TMP/svg" -D "$TMP/hdr" -w '%{http_code}' "$@" "$URL$path")
  BODY=$(cat "$TMP/svg")
}
header() { grep -i "^$1:" "$TMP/hdr" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
well_formed() { python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$TMP/svg"; }

svg /api/v1/projects/empty/badge.svg
expect "a project without runs: badge unknown" 200 '>unknown</text>'
check "the badge is image/svg+xml" test "$(header Content-Type)" = "image/svg+xml"
check "the badge is revalidated each time" test "$(header Cache-Control)" = "no-cache"
check "the badge is well-formed XML" well_formed

upload pass 1 1000000
expect "first run uploaded" 201
svg /api/v1/projects/pass/badge.svg
expect "the first run: no baseline, grey" 200 '>no baseline</text>.*'
check "no baseline is grey" grep -q 'fill="#9f9f9f"' "$TMP/svg"
upload pass 2 1000000
expect_json "equal counts pass" 'j["verdict"]["state"] == "pass"'
svg /api/v1/projects/pass/badge.svg?testbed=tb
expect "a pass: the badge says pass" 200 '>pass</text>'
check "pass is green" grep -q 'fill="#4c1"' "$TMP/svg"
ETAG=$(header ETag)
check "the badge has an ETag" test -n "$ETAG"
svg /api/v1/projects/pass/badge.svg?testbed=tb -H "If-None-Match: $ETAG"
check "If-None-Match with the ETag: 304" test "$STATUS" = 304
check "the 304 has no body" test ! -s "$TMP/svg"
check "the 304 has the ETag" test "$(header ETag)" = "$ETAG"
svg /api/v1/projects/pass/badge.svg?testbed=tb -H 'If-None-Match: "other"'
expect "If-None-Match with another ETag: the badge" 200 '>pass</text>'

upload fail 1 1000000 && upload fail 2 1000000 && upload fail 3 1030000
expect_json "+3 % in exact counts fails" 'j["verdict"]["state"] == "fail"'
svg /api/v1/projects/fail/badge.svg
expect "a fail: the badge says fail" 200 '>fail</text>'
check "fail is red" grep -q 'fill="#e05d44"' "$TMP/svg"
check "the fail badge's ETag differs from the pass badge's" test "$(header ETag)" != "$ETAG"

svg /api/v1/projects/pass/badge.svg?testbed=nope
expect "an unknown testbed: 404 naming it" 404 '"field":"testbed"'
check "the error is JSON" test "$(header Content-Type)" = "application/json"
upload two 1 1000000 count tb && upload two 2 1000000 count other
svg /api/v1/projects/two/badge.svg
expect "two testbeds and none named: 400 naming testbed" 400 '"field":"testbed"'
svg /api/v1/projects/two/badge.svg?testbed=other
expect "two testbeds, one named: its verdict" 200 '>no baseline</text>'
svg /api/v1/projects/nope/badge.svg
expect "an unknown project: 404" 404 'project_not_found'

# ---- trend ----
EVIL='<img src=x onerror=alert(1)>'
Q="benchmark=$(python3 -c 'import sys, urllib.parse as u; print(u.quote(sys.argv[1]))' "$EVIL")&measure=instructions"
for n in 1 2 3 4 5; do upload xss "$n" $((1000000 + n * 100000)) "$EVIL"; done
expect "runs of the hostile benchmark uploaded" 201
svg "/api/v1/projects/xss/trend.svg?$Q"
expect "trend.svg answers" 200 '<polyline'
check "trend.svg is image/svg+xml" test "$(header Content-Type)" = "image/svg+xml"
check "trend.svg is well-formed XML" well_formed
check "the hostile name appears escaped" grep -qF '&lt;img src=x onerror=alert(1)&gt;' "$TMP/svg"
check "the hostile name never appears raw" bash -c '! grep -qF "<img" "$1"' _ "$TMP/svg"
check "no script, no external reference" bash -c '! grep -qiE "<script|href=|onerror=\"|<image" "$1"' _ "$TMP/svg"
check "the default size is 600 x 200" grep -q 'width="600" height="200"' "$TMP/svg"
check "five points drawn" python3 -c '
import sys, xml.etree.ElementTree as E
line = E.parse(sys.argv[1]).getroot().find("{http://www.w3.org/2000/svg}polyline")
sys.exit(len(line.get("points").split()) != 5)' "$TMP/svg"
check "the regressions are red" grep -q '#e05d44' "$TMP/svg"
ETAG=$(header ETag)
svg "/api/v1/projects/xss/trend.svg?$Q" -H "If-None-Match: $ETAG"
check "trend.svg: If-None-Match with the ETag: 304" test "$STATUS" = 304
svg "/api/v1/projects/xss/trend.svg?$Q&width=800&height=300"
expect "a size in bounds" 200 'width="800" height="300"'
svg "/api/v1/projects/xss/trend.svg?$Q&width=5000"
expect "a width out of bounds: 400 naming it" 400 '"field":"width"'
svg "/api/v1/projects/xss/trend.svg?$Q&height=abc"
expect "a height not a number: 400 naming it" 400 '"field":"height"'
svg "/api/v1/projects/xss/trend.svg?measure=instructions"
expect "no benchmark: 400 naming it" 400 '"field":"benchmark"'
svg "/api/v1/projects/xss/trend.svg?benchmark=nope&measure=instructions"
expect "an unknown benchmark: 404 naming it" 404 '"field":"benchmark"'
finish
