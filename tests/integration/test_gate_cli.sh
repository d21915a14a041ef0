#!/usr/bin/env bash
# test_gate_cli.sh: `benchgate gate`, the CI step, against the real server while curl plays
# the bench agent (lease, heartbeat, upload a run naming the job; /fail three times). Asserts
# the exit codes of the contract: 0 for a first run (no baseline) found without a job, as a
# self-hosted `benchgate run` uploads it, and for a commit with the same numbers (pass); 1 for
# a clearly slower commit; 3 when the job fails three times (its reason printed), when --wait
# runs out, when the server is unreachable; 2 for bad --wait values, a malformed commit, an
# unknown project or testbed, a refused or missing token. Also: the reports go to stdout and
# $GITHUB_STEP_SUMMARY; plain progress lines per state change; a pull request without
# --base-sha is compared with the fork point from git merge-base, and the report names it.
#
# Needs BG_BUILD and curl. Prints "N passed, M failed" last and exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
unset BENCHGATE_TOKEN BENCHGATE_SERVER GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF \
  GITHUB_BASE_REF GITHUB_STEP_SUMMARY

DB=$TMP/bg.db
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201
printf '%s\n' "$(make_token "$DB" --project demo --role ci --name ci)" >"$TMP/ci.token"
printf '%s\n' "$(make_token "$DB" --project demo --role read --name reader)" >"$TMP/read.token"
chmod 600 "$TMP"/*.token
AGENT_TOKEN=$(make_token "$DB" --project demo --role agent --name bench-01)
ag=(-H "Authorization: Bearer $AGENT_TOKEN" -H 'Content-Type: application/json')
TB=ci-vm

# ---- a repository: main c1..c6, a feature branch forked at c3 ----
git_repo "$TMP/repo"
for i in 1 2 3; do timed_commit "c$i"; done
C1=$(git rev-parse HEAD~2) C2=$(git rev-parse HEAD~1) C3=$(git rev-parse HEAD)
git checkout -q -b feature
timed_commit "f1"
F1=$(git rev-parse HEAD)
git checkout -q main
for i in 4 5 6 7 8; do timed_commit "c$i"; done
C4=$(git rev-parse HEAD~4) C5=$(git rev-parse HEAD~3) C6=$(git rev-parse HEAD~2)
C7=$(git rev-parse HEAD~1) C8=$(git rev-parse HEAD)
unset CI # lib.sh's git_repo set it; the gate must be plain without a terminal too

FAST='[100,101,99,100.5,99.5,100.2,99.8,100.1]'
SLOW='[300,301,299,300.5,299.5,300.2,299.8,300.1]'
RUNS=0
# upload SHA BRANCH SAMPLES [JOB]: uploads a run of one benchmark, naming job JOB when given.
upload() {
  RUNS=$((RUNS + 1))
  local job=${4:+"\"job_id\":$4,"} parents
  parents=$(git log -1 --format=%P "$1" | sed 's/\([0-9a-f]\{40\}\)/"\1"/g; s/ /,/g')
  req POST /api/v1/projects/demo/runs "${ag[@]}" -d "{\"schema\":\"benchgate.run/v1\",
    \"run_id\":\"00000000-0000-4000-8000-$(printf '%012d' "$RUNS")\",$job
    \"commit\":{\"sha\":\"$1\",\"branch\":\"$2\",\"parents\":[$parents]},
    \"testbed\":{\"name\":\"$TB\"},
    \"results\":[{\"benchmark\":\"parse\",\"measure\":\"wall_time\",\"unit\":\"ns\",\"samples\":$3}]}"
}

# gate_start ARGS...: `benchgate gate` in the background against the server, waiting 3 min at
# most unless ARGS say otherwise (a later --wait wins), so a lost step fails instead of hanging.
gate_start() {
  "$AGENT" gate --server "$URL" --project demo --wait 3m "$@" >"$TMP/out" 2>"$TMP/err" &
  GATE=$!
  PIDS+=("$GATE")
}

# gate_end WANT NAME: waits for the background gate; passes when it exited WANT.
gate_end() {
  wait "$GATE"
  local got=$?
  forget "$GATE"
  if [ "$got" -eq "$1" ]; then ok "$2"; else
    bad "$2: exit $got, want $1"
    show err out
  fi
}

# gate WANT NAME ARGS...: `benchgate gate ARGS` in the foreground.
gate() {
  local want=$1 name=$2
  shift 2
  expect_exit "$want" "$name" -- "$AGENT" gate --server "$URL" --project demo "$@"
}

# lease: leases the next job on the testbed as bench-01 (waiting for it); sets JOB.
lease() {
  req POST /api/v1/agents/lease "${ag[@]}" -d "{\"agent\":\"bench-01\",\"testbed\":\"$TB\",\"wait\":20}"
  JOB=$(json "j['id']" 2>/dev/null)
  [ "$STATUS" = 200 ] || bad "lease: status $STATUS"
}

# ---- usage and input errors: exit 2 ----
for w in 10x -5 ''; do
  gate 2 "--wait '$w' is refused" --commit "$C1" --wait "$w"
  has -F err '--wait' "the message names --wait ('$w')"
done
gate 2 "a malformed commit" --commit 'xyz!'
has -F err "--commit: 'xyz!'" "the message names --commit"
gate 2 "--enqueue with a prefix git does not know" --commit abcdef1 --enqueue --branch main \
  --token-file "$TMP/ci.token"
gate 2 "--pr without --enqueue" --commit "$C1" --pr 3
expect_exit 2 "an unknown project" -- "$AGENT" gate --server "$URL" --project nope --commit "$C1"
has err 'project_not_found|no project' "the message says the project is unknown"
expect_exit 2 "an unknown project with --enqueue" -- "$AGENT" gate --server "$URL" \
  --project nope --commit "$C1" --enqueue --branch main --token-file "$TMP/ci.token"
gate 2 "--enqueue without a token" --commit "$C1" --enqueue --branch main
gate 2 "--enqueue with a read token is refused (403)" --commit "$C1" --enqueue --branch main \
  --token-file "$TMP/read.token"
has err '403' "the message has the status"
expect_exit 2 "no server" -- "$AGENT" gate --project demo --commit "$C1"

# ---- the first run, uploaded without a job (self-hosted run): no baseline, exit 0 ----
gate_start --commit "$C1" --wait 30
sleep 1.5
upload "$C1" main "$FAST"
expect "c1 uploaded" 201
gate_end 0 "a self-hosted first run: no_baseline, exit 0"
has out "^verdict on $TB: no_baseline" "the verdict is no_baseline"

gate 2 "an unknown testbed" --commit "$C1" --testbed nope
has -F err '--testbed nope' "the message names the testbed"
gate 2 "an unknown testbed with --enqueue" --commit "$C2" --enqueue --branch main \
  --testbed nope --token-file "$TMP/ci.token"
has err 'testbeds\[0\]' "the server's field is shown"

# ---- an enqueued commit with the same numbers: pass, exit 0 ----
export GITHUB_STEP_SUMMARY=$TMP/summary.md
gate_start --commit "${C2:0:10}" --enqueue --branch main --token-file "$TMP/ci.token"
lease
check "the job is for the full sha git resolved" test "$(json "j['sha']")" = "$C2"
sleep 1.5
req POST "/api/v1/jobs/$JOB/heartbeat" "${ag[@]}" -d '{"agent":"bench-01"}'
expect "heartbeat" 200 '"state":"running"'
sleep 1.5
upload "$C2" main "$FAST" "$JOB"
expect "c2 uploaded for its job" 201
gate_end 0 "the same numbers: pass, exit 0"
has out "^verdict on $TB: pass" "the verdict is pass"
has err "job $JOB on $TB: queued -> leased \\(agent bench-01\\)" "a plain line per change: leased"
has err "job $JOB on $TB: leased -> running \\(agent bench-01\\)" "a plain line per change: running"
has err "job $JOB on $TB: running -> done" "a plain line per change: done"
check "no carriage return without a terminal" bash -c "! grep -q $'\r' '$TMP/err'"
check "GITHUB_STEP_SUMMARY has the report" grep -q 'parse' "$GITHUB_STEP_SUMMARY"
unset GITHUB_STEP_SUMMARY

gate 0 "without --enqueue the commit's done job is found" --commit "$C2"
has err "job $JOB on $TB: done" "it names the job"
has out "^verdict on $TB: pass" "and prints the verdict"

# ---- a clearly slower commit after a baseline of several runs: exit 1 ----
for c in "$C3" "$C4" "$C5"; do
  upload "$c" main "$FAST"
  [ "$STATUS" = 201 ] || bad "baseline upload: $STATUS"
done
export GITHUB_STEP_SUMMARY=$TMP/slow.md
gate_start --commit "$C6" --enqueue --branch main --token-file "$TMP/ci.token"
lease
upload "$C6" main "$SLOW" "$JOB"
expect "the slow c6 uploaded" 201
gate_end 1 "a 3x slower commit: exit 1"
has out "^verdict on $TB: fail" "the verdict is fail"
has out '^\|' "the Markdown table is on stdout"
check "GITHUB_STEP_SUMMARY has the failing report" grep -q 'parse' "$GITHUB_STEP_SUMMARY"
unset GITHUB_STEP_SUMMARY

# ---- a job that fails three times: exit 3 with the reason ----
gate_start --commit "$C7" --enqueue --branch main --token-file "$TMP/ci.token"
for i in 1 2 3; do
  lease
  req POST "/api/v1/jobs/$JOB/fail" "${ag[@]}" -d "{\"agent\":\"bench-01\",\"reason\":\"build failed $i\"}"
  [ "$STATUS" = 200 ] || bad "fail $i: status $STATUS"
  sleep 1.2
done
gate_end 3 "a job failed three times: exit 3"
has err "failed after 3 attempts: build failed 3" "the reason and the attempts are printed"
has out "no verdict: job $JOB failed after 3 attempts" "the report says so too"

# ---- a pull request without --base-sha: the fork point from git merge-base ----
git checkout -q feature
gate_start --commit "$F1" --enqueue --pr 7 --token-file "$TMP/ci.token"
lease
check "the job has the fork point c3 as base_sha" test "$(json "j['base_sha']")" = "$C3"
check "the job has the branch from git and the pull request" \
  test "$(json "j['branch'] + ' ' + str(j['pull_request'])")" = "feature 7"
upload "$F1" feature "$FAST" "$JOB"
expect "f1 uploaded" 201
gate_end 0 "the pull request's commit passes"
has out "[Cc]ompared with the fork point ${C3:0:7} of main" "the report names the fork point"
has err "compared with the fork point ${C3:0:7} of main" "stderr names it at enqueue"
git checkout -q main

# ---- a job canceled by a newer job of its pull request: exit 3 with the reason ----
gate_start --commit "$C7" --enqueue --branch main --pr 9 --token-file "$TMP/ci.token"
await 's/.*enqueued.*/x/p' "$TMP/err" >/dev/null || bad "the gate did not enqueue"
req POST /api/v1/projects/demo/jobs -H "Authorization: Bearer $(cat "$TMP/ci.token")" \
  -H 'Content-Type: application/json' -d "{\"sha\":\"$C8\",\"branch\":\"main\",\"pull_request\":9}"
expect "a newer commit of the pull request enqueued" 201
NEWER=$(json "j['jobs'][0]['id']")
gate_end 3 "a job canceled without a newer job of the commit: exit 3"
has err "was canceled: superseded by job $NEWER, and the commit has no newer job" \
  "the reason is printed"

# ---- no verdict within --wait: exit 3 ----
gate_start --commit "$C8" --enqueue --branch main --wait 2s --token-file "$TMP/ci.token"
start=$(date +%s)
gate_end 3 "--wait 2s with nobody leasing: exit 3"
check "it gave up after about 2 s" test $(($(date +%s) - start)) -le 8
has -F err 'no verdict: --wait 2s ran out' "the message names --wait"
has out "job [0-9]* is still queued" "the report says the job is still queued"

# ---- an unreachable server: exit 3 after retries ----
expect_exit 3 "an unreachable server: exit 3" -- env BENCHGATE_RETRY_ATTEMPTS=2 \
  BENCHGATE_RETRY_BASE_MS=10 "$AGENT" gate --server "http://127.0.0.1:$(free_port)" \
  --project demo --commit "$C1"
has err 'unreachable' "the message says unreachable"

# ---- the pull request and its base branch from the GitHub Actions environment ----
git checkout -q feature
expect_exit 3 "GITHUB_REF and GITHUB_BASE_REF: enqueued (nobody leases: exit 3)" -- \
  env GITHUB_REF=refs/pull/8/merge GITHUB_BASE_REF=main "$AGENT" gate --server "$URL" \
  --project demo --commit "$F1" --enqueue --wait 1 --token-file "$TMP/ci.token"
git checkout -q main
req GET "/api/v1/projects/demo/jobs?state=queued"
expect_json "the job names pull request 8 and the fork point c3" \
  "[(x['pull_request'], x['base_sha'], x['branch']) for x in j['jobs'] if x['sha'] == '$F1'] == [(8, '$C3', 'feature')]"

# ---- durations the help promises are accepted (here the server is unreachable: exit 3) ----
for w in 90 90s 15m 2h 1h30m; do
  expect_exit 3 "--wait $w is accepted" -- env BENCHGATE_RETRY_ATTEMPTS=1 "$AGENT" gate \
    --server "http://127.0.0.1:$(free_port)" --project demo --commit "$C1" --wait "$w"
done

finish
