#!/usr/bin/env bash
# test_concurrency.sh: one benchgated (--threads 4) under everything at once. Four testbeds
# upload a run per commit of main each, all four in parallel (each upload decides its verdict
# on a thread beside its insert) and send every second run again (a replay, whose stored
# verdict is rendered again meanwhile); two readers poll the commits list, a series and
# /metrics; three agents wait in long-polled leases (parked connections) until an enqueue on
# their testbeds wakes them, then heartbeat and upload the job's run while the others upload.
# Every upload is answered 201, every read 200, every job is done by its run, the counters
# add up, and the server stops with exit 0. Under ThreadSanitizer (make test-tsan) a data race
# also fails the stop: the runtime exits 66 after a report.
# Needs BG_BUILD and curl. Prints "N passed, M failed".
set -uo pipefail

. "$(dirname "$0")/lib.sh"

json=(-H 'Content-Type: application/json')
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB" --threads 4
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201
CI=$(make_token "$DB" --project demo --role ci --name ci)
AGENT=$(make_token "$DB" --project demo --role agent --name bench)
ci=(-H "Authorization: Bearer $CI" "${json[@]}")
ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")
COMMITS=20
JOB_SHA=$(printf '%040x' 999)

# payload RUN-ID SHA TESTBED [JOB]: a run of two benchmarks with five samples each, which vary
# from run to run (so that each verdict takes the t-test's path, not the exact one).
payload() {
  local job=${4:+"\"job_id\":$4,"} r=$((RANDOM % 7))
  printf '{"schema":"benchgate.run/v1","run_id":"%s","commit":{"sha":"%s","branch":"main"},%s' \
    "$1" "$2" "$job"
  printf '"testbed":{"name":"%s"},"results":[' "$3"
  printf '{"benchmark":"parse","measure":"wall_time","samples":[10.%d,10.3,9.9,10.2,10.0]},' "$r"
  printf '{"benchmark":"sort","measure":"wall_time","samples":[20.4,20.%d,20.6,20.2,20.3]}]}' "$r"
}

# post FILE: uploads the run in FILE; prints the status.
post() {
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "${ag[@]}" --data-binary @"$1" \
    "$URL/api/v1/projects/demo/runs"
}

# Testbeds exist once a run named them: one run each, on a first commit.
for tb in 1 2 3 4; do
  payload "00000000-0000-4000-8000-0000000000$tb$tb" "$(printf '%040x' 1)" "tb$tb" \
    >"$TMP/first.json"
  check "a first run on tb$tb" test "$(post "$TMP/first.json")" = 201
done

# testbed TB: uploads commits 2..COMMITS+1 of main from testbed tbTB, one after the other,
# and sends every second run again, as an agent retrying a lost answer does: the replay
# renders the stored verdict again while other uploads decide theirs.
testbed() {
  local i
  for ((i = 2; i <= COMMITS + 1; i++)); do
    payload "$(printf '00000000-0000-4000-8000-%04d%08d' "$1" "$i")" "$(printf '%040x' "$i")" \
      "tb$1" >"$TMP/run$1.json"
    post "$TMP/run$1.json" >>"$TMP/uploads.$1"
    ((i % 2)) || post "$TMP/run$1.json" >>"$TMP/replays.$1"
  done
}

# reader N: reads until the uploads are done; prints each status.
reader() {
  while [[ ! -e $TMP/stop ]]; do
    curl -s -o /dev/null -o /dev/null -o /dev/null -w '%{http_code}\n' \
      "$URL/api/v1/projects/demo/commits?branch=main" \
      "$URL/api/v1/projects/demo/series?benchmark=parse&measure=wall_time&testbed=tb$1" \
      "$URL/metrics" >>"$TMP/reads.$1"
  done
}

# agent N: waits for a job on tbN, heartbeats it and uploads its run.
agent() {
  local code job
  code=$(curl -s -o "$TMP/lease.$1" -w '%{http_code}' -X POST "${ag[@]}" \
    -d "{\"agent\":\"bench-$1\",\"testbed\":\"tb$1\",\"wait\":30}" "$URL/api/v1/agents/lease")
  echo "$code" >"$TMP/lease.$1.code"
  [[ $code == 200 ]] || return
  job=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$TMP/lease.$1")
  echo "$job" >"$TMP/job.$1"
  curl -s -o /dev/null -w '%{http_code}\n' -X POST "${ag[@]}" -d "{\"agent\":\"bench-$1\"}" \
    "$URL/api/v1/jobs/$job/heartbeat" >"$TMP/heartbeat.$1"
  payload "$(printf '00000000-0000-4000-8000-%04d%08d' "$1" 999)" "$JOB_SHA" "tb$1" "$job" \
    >"$TMP/job$1.json"
  post "$TMP/job$1.json" >"$TMP/jobrun.$1"
}

AGENTS=()
for n in 1 2 3; do
  agent "$n" &
  AGENTS+=($!)
done
READERS=()
for n in 1 2; do
  reader "$n" &
  READERS+=($!)
done
UPLOADERS=()
for tb in 1 2 3 4; do
  testbed "$tb" &
  UPLOADERS+=($!)
done
# The enqueue lands while the uploads run and the three leases wait.
sleep 0.5
req POST /api/v1/projects/demo/jobs "${ci[@]}" \
  -d "{\"sha\":\"$JOB_SHA\",\"branch\":\"main\",\"testbeds\":[\"tb1\",\"tb2\",\"tb3\"]}"
expect "enqueue on three testbeds while their leases wait" 201 '"state":"queued"'
wait "${UPLOADERS[@]}" "${AGENTS[@]}"
touch "$TMP/stop"
wait "${READERS[@]}"

uploads=$(cat "$TMP"/uploads.* | sort | uniq -c | tr -s ' ')
check "all $((4 * COMMITS)) parallel uploads answered 201 ($uploads)" \
  test "$uploads" = " $((4 * COMMITS)) 201"
replays=$(cat "$TMP"/replays.* | sort | uniq -c | tr -s ' ')
check "all $((4 * COMMITS / 2)) replays beside them answered 200 ($replays)" \
  test "$replays" = " $((4 * COMMITS / 2)) 200"
reads=$(cat "$TMP"/reads.* | sort -u | tr '\n' ' ')
check "every read beside them answered 200 ($reads)" test "$reads" = "200 "
check "some reads were made" test "$(cat "$TMP"/reads.* | wc -l)" -ge 6
for n in 1 2 3; do
  check "agent $n: its waiting lease got a job" test "$(cat "$TMP/lease.$n.code")" = 200
  check "agent $n: the job is of tb$n" grep -q "\"testbed\":\"tb$n\"" "$TMP/lease.$n"
  check "agent $n: heartbeat 200" test "$(cat "$TMP/heartbeat.$n" 2>/dev/null)" = 200
  check "agent $n: the job's run answered 201" test "$(cat "$TMP/jobrun.$n" 2>/dev/null)" = 201
  req GET "/api/v1/jobs/$(cat "$TMP/job.$n" 2>/dev/null)"
  expect "agent $n: the job is done" 200 '"state":"done"'
done
req GET "/api/v1/projects/demo/commits?branch=main"
expect_json "every commit is listed" "len(j['commits']) == $((COMMITS + 2))"
req GET /metrics
total=$(sed -n 's/^benchgate_runs_ingested_total \([0-9]*\)$/\1/p' <<<"$BODY")
check "runs ingested: 4 + $((4 * COMMITS)) + 3 ($total)" test "$total" = $((4 + 4 * COMMITS + 3))
stop_server
rc=$?
check "the server stops with exit 0 ($rc)" test "$rc" -eq 0
finish
