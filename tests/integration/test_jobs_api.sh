#!/usr/bin/env bash
# test_jobs_api.sh: the job queue over real HTTP: enqueue (one job per testbed, dedupe,
# supersede), lists and one job, the long-polled lease (204, woken by an enqueue), heartbeats
# (409 for an agent without the lease), three failed attempts, completion by an upload naming
# the job, the agents list, and the errors, each naming its field; leases limited to named
# projects (waiting too), the lease length of --job-lease (its bad values exit 2) in the job's
# lease_seconds, and an expired short lease leased again. Waiting leases hold no thread: with
# --threads 1, two leases wait while other requests (on a connection of their own, and on a
# keep-alive one) are answered at once; an enqueue wakes a waiting lease at once, a lapsed
# lease goes to a lease already waiting within two seconds, and the server stops at once,
# answering 204 to the leases still waiting.
#
# Needs BG_BUILD and curl. Prints "N passed, M failed" last and exits non-zero on any failure.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

json=(-H 'Content-Type: application/json')
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201
CI=$(make_token "$DB" --project demo --role ci --name ci)
AGENT=$(make_token "$DB" --project demo --role agent --name bench-01)
ci=(-H "Authorization: Bearer $CI" "${json[@]}")
ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")

A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
C=cccccccccccccccccccccccccccccccccccccccc

# upload RUN_ID SHA TESTBED [JOB]: uploads a run, naming job JOB when given.
upload() {
  local job=${4:+"\"job_id\":$4,"}
  req POST /api/v1/projects/demo/runs "${ag[@]}" -d "{\"schema\":\"benchgate.run/v1\",
    \"run_id\":\"$1\",\"commit\":{\"sha\":\"$2\",\"branch\":\"main\"},$job
    \"testbed\":{\"name\":\"$3\"},
    \"results\":[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1,2,3]}]}"
}

# Testbeds exist once a run named them.
upload 00000000-0000-4000-8000-000000000001 "$A" tb1
expect "a run on tb1" 201
upload 00000000-0000-4000-8000-000000000002 "$A" tb2
expect "a run on tb2" 201

# ---- enqueue ----
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$B\",\"branch\":\"feature\",\"pull_request\":5}"
expect "enqueue: one job per testbed" 201
expect_json "two queued jobs, tb1 and tb2" \
  "sorted(x['testbed'] for x in j['jobs']) == ['tb1','tb2'] and all(x['state'] == 'queued' and x['attempts'] == 0 for x in j['jobs'])"
J1=$(json "[x['id'] for x in j['jobs'] if x['testbed'] == 'tb1'][0]")
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$B\",\"branch\":\"feature\",\"testbeds\":[\"tb1\"]}"
expect "the same sha and testbed while open: the open job" 200
expect_json "the open job answered" "j['jobs'][0]['id'] == $J1"
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$C\",\"branch\":\"feature\",\"pull_request\":5,\"testbeds\":[\"tb1\"]}"
expect "a newer job of the pull request" 201
J3=$(json "j['jobs'][0]['id']")
req GET "/api/v1/jobs/$J1"
expect "the older queued job of the pull request is canceled" 200 '"state":"canceled"'
expect_json "its reason names the newer job" "j['reason'] == 'superseded by job $J3'"

# ---- errors ----
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d '{"sha":"xyz","branch":"main"}'
expect "malformed sha" 400 '"field":"sha"'
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\"}"
expect "missing branch" 400 '"field":"branch"'
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\",\"testbeds\":[\"tb1\",\"nope\"]}"
expect "unknown testbed" 404 '"code":"testbed_not_found".*"field":"testbeds\[1\]"'
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\",\"pull_request\":-1}"
expect "bad pull request" 400 '"field":"pull_request"'
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\",\"testbed\":\"tb1\"}"
expect "a misspelt member" 400 '"field":"testbed"'
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d 'not json'
expect "malformed body" 400 '"code":"malformed_json"'
req POST /api/v1/projects/demo/jobs "${ag[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\"}"
expect "an agent token does not enqueue" 403
req POST /api/v1/projects/demo/jobs "${json[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\"}"
expect "no token does not enqueue" 401
req GET '/api/v1/projects/demo/jobs?state=bogus'
expect "bad state" 400 '"field":"state"'
req GET '/api/v1/projects/demo/jobs?sha=abc'
expect "a sha prefix shorter than 7" 400 '"field":"sha"'
req GET '/api/v1/projects/demo/jobs?sha=bbbbbbbbbbz'
expect "a sha that is no hex" 400 '"field":"sha"'
req GET /api/v1/jobs/999999
expect "unknown job" 404 '"code":"job_not_found"'
req GET /api/v1/jobs/abc
expect "a job id that is no number" 404 '"code":"job_not_found"'
req POST /api/v1/agents/lease "${ag[@]}" -d '{"testbed":"tb1"}'
expect "lease without agent" 400 '"field":"agent"'
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"x","testbed":"tb1","timeout":3}'
expect "lease with an unknown member" 400 '"field":"timeout"'
req POST /api/v1/agents/lease "${ci[@]}" -d '{"agent":"x","testbed":"tb1"}'
expect "a ci token does not lease" 403

# ---- lists ----
req GET '/api/v1/projects/demo/jobs?state=queued'
expect_json "queued: the tb2 job and the newer tb1 job" "len(j['jobs']) == 2 and all(x['state'] == 'queued' for x in j['jobs'])"
req GET "/api/v1/projects/demo/jobs?sha=$C"
expect_json "sha=: the jobs of that commit only" "[x['sha'] for x in j['jobs']] == ['$C']"
req GET "/api/v1/projects/demo/jobs?sha=BBBBBBB"
expect_json "sha=, a prefix in any case: the two jobs of B" "len(j['jobs']) == 2 and all(x['sha'] == '$B' for x in j['jobs'])"
req GET "/api/v1/projects/demo/jobs?sha=ddddddd"
expect_json "sha= of a commit without jobs: none" "j['jobs'] == []"
req GET /api/v1/projects/demo/jobs
expect_json "all three jobs, newest first" "[x['id'] for x in j['jobs']] == sorted([x['id'] for x in j['jobs']], reverse=True) and len(j['jobs']) == 3"

# ---- lease, heartbeat, fail ----
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-01","testbed":"tb1","wait":0}'
expect "lease the oldest queued job of tb1" 200 '"state":"leased"'
expect_json "it is the newer tb1 job of demo, first attempt" "j['id'] == $J3 and j['project'] == 'demo' and j['attempts'] == 1 and j['agent'] == 'bench-01'"
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-02","testbed":"tb1","wait":1}'
expect "nothing left on tb1: 204 after the wait" 204
req POST "/api/v1/jobs/$J3/heartbeat" "${ag[@]}" -d '{"agent":"bench-02"}'
expect "heartbeat by an agent without the lease" 409 '"field":"agent"'
req POST "/api/v1/jobs/$J3/heartbeat" "${ag[@]}" -d '{"agent":"bench-01"}'
expect "heartbeat by the holder: running" 200 '"state":"running"'
req GET /api/v1/agents
expect_json "the agents list names the holder's job" \
  "any(a['name'] == 'bench-01' and a['job'] == $J3 and a['testbed'] == 'tb1' for a in j['agents'])"
req POST "/api/v1/jobs/$J3/fail" "${ag[@]}" -d '{"agent":"bench-01"}'
expect "fail without a reason" 400 '"field":"reason"'
for i in 1 2 3; do
  if [ "$i" -gt 1 ]; then
    req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-01","testbed":"tb1"}'
    expect "lease attempt $i" 200 "\"attempts\":$i"
  fi
  req POST "/api/v1/jobs/$J3/fail" "${ag[@]}" -d "{\"agent\":\"bench-01\",\"reason\":\"build failed $i\"}"
  [ "$i" -lt 3 ] && expect "fail $i: queued again" 200 '"state":"queued"'
done
expect "the third failure fails the job" 200 '"state":"failed"'
req GET "/api/v1/jobs/$J3"
expect_json "its attempts and last reason" "j['attempts'] == 3 and j['reason'] == 'build failed 3'"

# ---- a waiting lease woken by an enqueue, completed by an upload ----
start=$(date +%s)
curl -s -o "$TMP/lease.out" -w '%{http_code}' -X POST "${ag[@]}" \
  -d '{"agent":"bench-03","testbed":"tb1","wait":20}' "$URL/api/v1/agents/lease" >"$TMP/lease.code" &
LEASE=$!
sleep 0.5
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\",\"testbeds\":[\"tb1\"]}"
expect "enqueue while an agent waits" 201
J4=$(json "j['jobs'][0]['id']")
wait "$LEASE"
check "the waiting agent got the job at once" test "$(cat "$TMP/lease.code")" = 200 -a $(($(date +%s) - start)) -le 5
check "the job it got is the new one" grep -q "\"id\":$J4," "$TMP/lease.out"
upload 00000000-0000-4000-8000-000000000003 "$A" tb1 "$J4"
expect "an upload naming the job" 201
req GET "/api/v1/jobs/$J4"
expect "the upload completed the job" 200 '"state":"done"'
RUNREF=$(json "j['run']")
upload 00000000-0000-4000-8000-000000000003 "$A" tb1 "$J4"
expect "the upload replayed" 200
req GET "/api/v1/jobs/$J4"
expect_json "the replay completed nothing again" "j['state'] == 'done' and j['run'] == $RUNREF"
req POST "/api/v1/jobs/$J4/heartbeat" "${ag[@]}" -d '{"agent":"bench-03"}'
expect "a done job takes no heartbeat" 409

# ---- another project's token sees none of these jobs ----
create_project "$ADMIN" '{"slug":"other"}'
OTHER=$(make_token "$DB" --project other --role agent --name o)
req GET "/api/v1/jobs/$J4" -H "Authorization: Bearer $OTHER"
expect "another project's token: 404" 404
req POST "/api/v1/jobs/$J4/heartbeat" -H "Authorization: Bearer $OTHER" "${json[@]}" -d '{"agent":"bench-03"}'
expect "another project's token heartbeats nothing" 404

# ---- a lease limited to the projects an agent serves ----
SW=$(make_token "$DB" --role agent --name sw)
sw=(-H "Authorization: Bearer $SW" "${json[@]}")
adm=(-H "Authorization: Bearer $ADMIN" "${json[@]}")
req POST /api/v1/projects/other/runs -H "Authorization: Bearer $OTHER" "${json[@]}" -d "{
  \"schema\":\"benchgate.run/v1\",\"run_id\":\"00000000-0000-4000-8000-000000000010\",
  \"commit\":{\"sha\":\"$A\",\"branch\":\"main\"},\"testbed\":{\"name\":\"tb1\"},
  \"results\":[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1,2,3]}]}"
expect "a run of other on tb1" 201
req POST /api/v1/projects/other/jobs "${adm[@]}" -d "{\"sha\":\"$B\",\"branch\":\"main\",\"testbeds\":[\"tb1\"]}"
expect "a job of other on tb1 (the oldest queued)" 201
JO=$(json "j['jobs'][0]['id']")
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$C\",\"branch\":\"main\",\"testbeds\":[\"tb1\"]}"
expect "a job of demo on tb1" 201
JD=$(json "j['jobs'][0]['id']")
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":"demo"}'
expect "projects that is no array" 400 '"field":"projects"'
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":["demo","Not A Slug"]}'
expect "a malformed slug" 400 '"field":"projects\[1\]"'
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":[7]}'
expect "a slug that is no string" 400 '"field":"projects\[0\]"'
many=$("$PY" -c 'import json; print(json.dumps(["p%d" % i for i in range(65)]))')
req POST /api/v1/agents/lease "${sw[@]}" -d "{\"agent\":\"sw-1\",\"testbed\":\"tb1\",\"projects\":$many}"
expect "65 projects" 400 '"field":"projects"'
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":["not-yet","later"]}'
expect "projects that do not exist (yet): nothing to lease" 204
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":[]}'
expect "no projects: nothing to lease" 204
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-01","testbed":"tb1","projects":["other"]}'
expect "demo's token naming only other: nothing" 204
req POST /api/v1/agents/lease "${sw[@]}" -d '{"agent":"sw-1","testbed":"tb1","projects":["demo","later"]}'
expect "a server-wide token serving demo" 200 '"state":"leased"'
expect_json "it gets demo's job, not other's older one, with the lease length" \
  "j['id'] == $JD and j['project'] == 'demo' and j['lease_seconds'] == 60 and j['lease_expires_at'] - j['updated_at'] == 60"
req POST "/api/v1/jobs/$JD/heartbeat" "${sw[@]}" -d '{"agent":"sw-1"}'
expect_json "a heartbeat answers the lease length too" "j['state'] == 'running' and j['lease_seconds'] == 60"
req GET "/api/v1/jobs/$JO"
expect_json "a queued job has no lease in force" "j['state'] == 'queued' and j['lease_seconds'] is None"

# A waiting lease limited to demo sleeps through other's enqueue and takes demo's job.
curl -s -o "$TMP/lease.out" -w '%{http_code}' -X POST "${sw[@]}" \
  -d '{"agent":"sw-2","testbed":"tb1","wait":20,"projects":["demo"]}' "$URL/api/v1/agents/lease" >"$TMP/lease.code" &
LEASE=$!
sleep 0.5
req POST /api/v1/projects/other/jobs "${adm[@]}" -d "{\"sha\":\"$C\",\"branch\":\"main\",\"testbeds\":[\"tb1\"]}"
expect "enqueue on other while a demo agent waits" 201
sleep 0.5
check "the demo agent still waits" kill -0 "$LEASE"
start=$(date +%s)
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$B\",\"branch\":\"main\",\"testbeds\":[\"tb1\"]}"
expect "enqueue on demo" 201
JD2=$(json "j['jobs'][0]['id']")
wait "$LEASE"
check "the waiting demo agent got demo's job at once" test "$(cat "$TMP/lease.code")" = 200 -a $(($(date +%s) - start)) -le 3
check "the job it got is demo's new one" grep -q "\"id\":$JD2,.*\"project\":\"demo\"" "$TMP/lease.out"

# ---- --job-lease ----
for v in 0 4 3601 99999 abc ''; do
  expect_exit 2 "--job-lease '$v' refused" -- "$SERVER" --db "$TMP/flags.db" --job-lease "$v"
  has err 'job-lease' "--job-lease '$v': the message names the flag"
done
expect_exit 2 "--job-lease without a value" -- "$SERVER" --db "$TMP/flags.db" --job-lease
has err 'job-lease needs a value'
expect_exit 0 "--help" -- "$SERVER" --help
has out '--job-lease SECONDS'

# An agent that stops heartbeating (killed mid-job): with --job-lease 5 its job goes to the
# next agent within seconds.
stop_server
start_server "$DB" --job-lease 5
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-k","testbed":"tb2"}'
expect "lease under --job-lease 5" 200 '"lease_seconds":5,'
JK=$(json "j['id']")
expect_json "the lease ends 5 s after it began" "j['lease_expires_at'] - j['updated_at'] == 5"
sleep 2
req POST "/api/v1/jobs/$JK/heartbeat" "${ag[@]}" -d '{"agent":"bench-k"}'
expect_json "a heartbeat keeps it for 5 s more" "j['lease_seconds'] == 5 and j['lease_expires_at'] - j['updated_at'] == 5"
start=$(date +%s)
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-next","testbed":"tb2","wait":20}'
took=$(($(date +%s) - start))
expect "the next agent, waiting, gets the job once the lease expired" 200 "\"id\":$JK,"
expect_json "its second attempt, leased to the next agent" "j['attempts'] == 2 and j['agent'] == 'bench-next'"
check "within the lease and a second or two ($took s)" test "$took" -ge 3 -a "$took" -le 8
req POST "/api/v1/jobs/$JK/heartbeat" "${ag[@]}" -d '{"agent":"bench-k"}'
expect "the first agent's lease is gone" 409

# ---- waiting leases park their connection, not a thread ----
stop_server
start_server "$DB" --threads 1 --job-lease 5
now_ms() { date +%s%3N; }
# wait_lease NAME AGENT: a lease of testbed tbw waiting up to 20 s, in the background; its
# status goes to $TMP/NAME.code, its body to $TMP/NAME.out, the time it ended to $TMP/NAME.end.
wait_lease() {
  { curl -s -o "$TMP/$1.out" -w '%{http_code}' -X POST "${ag[@]}" \
      -d "{\"agent\":\"$2\",\"testbed\":\"tbw\",\"wait\":20}" "$URL/api/v1/agents/lease" \
      >"$TMP/$1.code"; now_ms >"$TMP/$1.end"; } &
}
wait_lease w1 bench-w1
W1=$!
wait_lease w2 bench-w2
W2=$!
sleep 0.5
check "--threads 1: a lease waits" kill -0 "$W1"
check "--threads 1: a second lease waits too" kill -0 "$W2"
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$URL/healthz")
check "GET /healthz beside two waiting leases: at once ($t s)" \
  awk -v t="$t" 'BEGIN { split(t, a, " "); exit !(a[1] == 200 && a[2] < 0.5) }'
t=$(curl -s -o /dev/null -o /dev/null -w '%{http_code} %{time_total}\n' "$URL/api/v1/agents" \
  "$URL/api/v1/agents" | tail -1)
check "two GET /api/v1/agents on one keep-alive connection: at once ($t s)" \
  awk -v t="$t" 'BEGIN { split(t, a, " "); exit !(a[1] == 200 && a[2] < 0.5) }'
req GET /api/v1/agents
expect_json "both waiting agents are listed" \
  "{'bench-w1', 'bench-w2'} <= {a['name'] for a in j['agents']}"
start=$(now_ms)
req POST /api/v1/projects/demo/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"main\",\"testbeds\":[\"tbw\"]}"
expect "enqueue on tbw while two leases wait" 201
JW=$(json "j['jobs'][0]['id']")
sleep 0.3
# The one that got the job is done; the other waits on.
if [ -s "$TMP/w1.end" ]; then GOT=w1 WAITS=$W2 LEFT=w2; else GOT=w2 WAITS=$W1 LEFT=w1; fi
check "a waiting lease got the enqueued job" grep -q "\"id\":$JW," "$TMP/$GOT.out"
took=$(($(cat "$TMP/$GOT.end" 2>/dev/null || echo 0) - start))
check "within a second of the enqueue's start ($took ms)" test "$took" -ge 0 -a "$took" -lt 1000
check "the other lease still waits" kill -0 "$WAITS"
# A lease that lapses (its agent stopped heartbeating) goes to the lease waiting already.
req GET "/api/v1/jobs/$JW"
LAPSE=$(json "j['lease_expires_at']")
wait "$WAITS"
took=$(($(cat "$TMP/$LEFT.end") - LAPSE * 1000))
check "the waiting lease got the lapsed job" grep -q "\"id\":$JW,.*\"attempts\":2" "$TMP/$LEFT.out"
check "within two seconds of the lapse ($took ms after)" test "$took" -ge 0 -a "$took" -le 2000
# Stopping with leases parked: they answer 204 and the server exits 0 at once.
wait_lease s1 bench-s1
S1=$!
wait_lease s2 bench-s2
S2=$!
sleep 0.5
start=$(now_ms)
stop_server
rc=$?
took=$(($(now_ms) - start))
check "stopped with two leases waiting: exit 0 ($rc) in under 2 s ($took ms)" \
  test "$rc" -eq 0 -a "$took" -lt 2000
wait "$S1" "$S2"
check "the waiting leases were answered 204" test "$(cat "$TMP/s1.code")$(cat "$TMP/s2.code")" = 204204

finish
