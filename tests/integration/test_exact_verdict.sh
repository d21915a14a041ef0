#!/usr/bin/env bash
# test_exact_verdict.sh: exact measures through the real benchgated. A result whose baseline
# samples are all equal (instruction counts) is judged by the exact rule against one baseline
# run: +3 % fails, +1.9999 % and equal pass; the verdict names the rule ("method": "exact",
# "resolution", p and q null, "exact" in the Markdown) while a noisy result beside it keeps
# the t test ("method": "t", a p-value).
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"exact"}'
expect "project created" 201
AGENT_TOKEN=$(make_token "$DB" --project exact --role agent)

# upload N SHA COUNT: a run of commit SHA (timestamp day N) with 10 equal instruction counts
# COUNT and 10 noisy wall times; N 1 is on main, the others on branch bN forked from it.
upload() {
  local n=$1 sha=$2 count=$3
  python3 - "$n" "$sha" "$count" "$(printf '%040d' 1)" >"$TMP/run.json" <<'PY'
import json, random, sys, uuid
n, sha, count, fork = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
rng = random.Random(n)
branch = "main" if n == 1 else "b%d" % n
print(json.dumps({
    "schema": "benchgate.run/v1", "run_id": str(uuid.UUID(int=n)),
    "commit": {"sha": sha, "branch": branch, "timestamp": "2026-11-%02dT12:00:00Z" % n},
    "baseline": None if n == 1 else {"branch": "main", "sha": fork},
    "testbed": {"name": "tb"},
    "results": [
        {"benchmark": "count", "measure": "instructions", "unit": "count", "direction": "lower",
         "samples": [count] * 10},
        {"benchmark": "count", "measure": "wall_time", "unit": "ns", "direction": "lower",
         "samples": [1e6 * (1 + rng.gauss(0, 0.01)) for _ in range(10)]}]}))
PY
  req POST /api/v1/projects/exact/runs -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $AGENT_TOKEN" --data-binary @"$TMP/run.json"
}
sha() { printf '%040d' "$1"; }

upload 1 "$(sha 1)" 1000000
expect "baseline run uploaded" 201
# Each candidate is a branch commit forked from commit 1, judged against its one run.
upload 2 "$(sha 2)" 1000000
expect_json "equal counts pass" 'j["verdict"]["state"] == "pass"'
req GET "/api/v1/projects/exact/commits/$(sha 2)/verdict?testbed=tb"
expect_json "equal counts: unchanged by the exact rule, p and q null" \
  '[(r["class"], r["method"], r["p"], r["q"]) for r in j["results"] if r["measure"] == "instructions"] == [("unchanged", "exact", None, None)]'
expect_json "the noisy wall time keeps the t test" \
  '[(r["method"], r["p"] is not None) for r in j["results"] if r["measure"] == "wall_time"] == [("t", True)]'
upload 3 "$(sha 3)" 1019999
expect_json "a change just under min_effect passes" 'j["verdict"]["state"] == "pass"'
upload 4 "$(sha 4)" 1030000
expect_json "+3 % in exact counts fails" 'j["verdict"]["state"] == "fail"'
req GET "/api/v1/projects/exact/commits/$(sha 4)/verdict?testbed=tb"
expect_json "the regression names the exact rule and its resolution" \
  '[(r["class"], r["method"], r["resolution"], r["p"], r["change_ci"]) for r in j["results"] if r["measure"] == "instructions"] == [("regressed", "exact", 1, None, [None, None])]'
expect_json "the Markdown says exact" '"| exact | – |" in j["markdown"]'
expect_json "the summary says exact" '"(exact)" in j["summary"]'
finish
