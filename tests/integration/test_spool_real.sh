#!/usr/bin/env bash
# test_spool_real.sh: never lose a run, against the real server. The
# server goes down before `benchgate run` uploads: the run is spooled and the agent exits 3;
# the server comes back on the same port: `benchgate flush` delivers the run, which is stored
# exactly once, and a second flush has nothing left to send.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

export BENCHGATE_SPOOL=$TMP/spool BENCHGATE_RETRY_ATTEMPTS=2 BENCHGATE_RETRY_BASE_MS=10 CI=1
db=$TMP/bench.db
start_server "$db"
port=${URL##*:}
admin=$(make_token "$db" --role admin)
create_project "$admin" '{"slug":"spool"}'
expect "project created" 201
export BENCHGATE_TOKEN=$(make_token "$db" --project spool --role agent)

repo=$TMP/repo
mkdir -p "$repo"
cat >"$repo/benchgate.yml" <<'YML'
project: spool
testbed: it-box
suites:
  - name: sleepy
    command: sleep 0.01
    repetitions: 3
    warmup: 0
YML
git -C "$repo" init -q -b main
git -C "$repo" -c user.name=A -c user.email=a@example.org commit -q --allow-empty -m "first"
sha=$(git -C "$repo" rev-parse HEAD)

stop_server
(cd "$repo" && "$AGENT" run --server "$URL" >"$TMP/run.out" 2>"$TMP/run.err")
code=$?
check "run with the server down exits 3" test "$code" = 3
check "the agent says where the run went" grep -q "$BENCHGATE_SPOOL" "$TMP/run.err"
check "one run is spooled" test "$(ls "$BENCHGATE_SPOOL"/*.json 2>/dev/null | wc -l)" = 1
run_id=$(basename "$(ls "$BENCHGATE_SPOOL"/*.json)" .json)

"$AGENT" flush >"$TMP/flush0.out" 2>&1
check "flush while the server is still down exits 3 and keeps the run" \
  test "$?" = 3 -a "$(ls "$BENCHGATE_SPOOL"/*.json 2>/dev/null | wc -l)" = 1

LISTEN=127.0.0.1:$port start_server "$db"
check "the server is back on the same port and database" test "${URL##*:}" = "$port"
"$AGENT" flush >"$TMP/flush1.out" 2>&1
check "flush delivers it (exit 0)" test "$?" = 0
check "the spool is empty" test "$(ls "$BENCHGATE_SPOOL"/*.json 2>/dev/null | wc -l)" = 0
req GET "/api/v1/projects/spool/runs/$run_id"
expect "the run is stored under its run_id" 200
req GET "/api/v1/projects/spool/commits/$sha"
expect_json "the commit has exactly one run" "len(j['runs']) == 1"
"$AGENT" flush >"$TMP/flush2.out" 2>&1
check "a second flush has nothing to send (exit 0)" test "$?" = 0
req GET "/api/v1/projects/spool/commits/$sha"
expect_json "still exactly one run" "len(j['runs']) == 1"
finish
