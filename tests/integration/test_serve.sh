#!/usr/bin/env bash
# test_serve.sh: the job loop end to end. The real benchgated (leases of 5 s), real git
# repositories, real `benchgate serve` agents measuring a tiny C program, and `benchgate gate
# --enqueue --wait` on the CI side: unchanged commits on main pass (exit 0), a pull request
# doing 3x the work fails (exit 1, compared with its fork point), a suite whose command does
# not exist fails its job three times (exit 3, the reason names the command). Then the hard
# cases: an agent SIGKILLed mid-job (the job is leased again once the lease lapses and
# completes once), the server restarted mid-job (the agent carries on), two agents on one
# testbed (no job held twice, every job run once), SIGTERM (the job finishes, exit 0) and a
# second SIGTERM (the job is given back with a reason), and bad agent configurations. (A
# replayed upload naming a job is test_jobs_api.sh's.)
#
# Needs BG_BUILD, cc, git and curl. Prints "N passed, M failed" last.
set -u
. "$(dirname "$0")/lib.sh"
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF GITHUB_BASE_REF \
  GITHUB_STEP_SUMMARY
export BENCHGATE_RETRY_BASE_MS=200 BENCHGATE_RETRY_CAP_MS=1000 BENCHGATE_RETRY_ATTEMPTS=30

DB=$TMP/serve.db
LISTEN=127.0.0.1:$(free_port) # the same address after a restart
start_server "$DB" --job-lease 5
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"loop"}'
expect "project created" 201
AGENT_TOKEN=$(make_token "$DB" --project loop --role agent --name bench)
CI_TOKEN=$(make_token "$DB" --project loop --role ci --name ci)
ci=(-H "Authorization: Bearer $CI_TOKEN" -H 'Content-Type: application/json')

# ---- the project: a loop whose work is set at compile time ----
REPO=$TMP/repo
git_repo "$REPO"
loop_project loop

# start_agent N: starts agent bench-N (lib.sh serve_agent: its stderr in $TMP/agent-bench-N.log,
# its work directory $TMP/work-bench-N); AGENT_PID.
start_agent() { serve_agent "bench-$1" "$REPO"; }
# gate WANT NAME ARGS...: `benchgate gate --project loop ARGS...` from the CI side, exit WANT.
gate() {
  local want=$1 name=$2
  shift 2
  expect_exit "$want" "$name" -- env BENCHGATE_TOKEN="$CI_TOKEN" \
    "$AGENT" gate --server "$URL" --project loop --wait 3m "$@"
}
# enqueue SHA BRANCH: a job through the API; JOB its id.
enqueue() {
  req POST /api/v1/projects/loop/jobs "${ci[@]}" -d "{\"sha\":\"$1\",\"branch\":\"$2\"}"
  JOB=$(json "j['jobs'][0]['id']")
}
# job_state ID: the job's state.
job_state() {
  req GET "/api/v1/jobs/$1"
  json "j['state']"
}
# await_job ID STATE [SECONDS]: waits until job ID is in STATE; returns 1 after SECONDS (60).
await_job() {
  local i
  for ((i = 0; i < ${3:-60} * 10; i++)); do
    [ "$(job_state "$1")" = "$2" ] && return 0
    sleep 0.1
  done
  return 1
}
# runs_of SHA: how many runs the server holds for the commit.
runs_of() {
  req GET "/api/v1/projects/loop/commits/$1"
  json "len(j['runs'])"
}

# ---- the loop: unchanged commits on main pass ----
loop_config 2
timed_commit "first"
start_agent 1
A1=$AGENT_PID
gate 0 "first commit: enqueued, run by the agent, no baseline: exit 0" \
  --enqueue --branch main --commit "$(git rev-parse HEAD)"
has out 'no_baseline|No baseline|no baseline' "the report says there is no baseline"
for i in 2 3 4 5; do
  timed_commit "unchanged $i"
  gate 0 "unchanged commit $i passes" --enqueue --branch main --commit "$(git rev-parse HEAD)"
done
MAIN=$(git rev-parse HEAD)
req GET "/api/v1/projects/loop/commits/$MAIN/verdict?testbed=ci-vm"
expect_json "the last main commit's verdict is pass" "j['state'] == 'pass'"
req GET /api/v1/projects/loop/jobs
expect_json "five jobs, all done in one attempt each" \
  "len(j['jobs']) == 5 and all(x['state'] == 'done' and x['attempts'] == 1 for x in j['jobs'])"
check "the agent's checkouts are removed after each job" test -z "$(ls -A "$TMP/work-bench-1/jobs")"
check "one cache clone of the repository" test -d "$TMP/work-bench-1/repos/loop.git"
req GET /api/v1/agents
expect_json "the agent is listed with its testbed" \
  "any(a['name'] == 'bench-1' and a['testbed'] == 'ci-vm' for a in j['agents'])"

# ---- a pull request doing 3x the work fails against its fork point ----
git checkout -q -b slow
loop_config 6
timed_commit "3x the work"
SLOW=$(git rev-parse HEAD)
export GITHUB_STEP_SUMMARY=$TMP/summary.md
gate 1 "the slow pull request: exit 1" --enqueue --branch slow --pr 7 --commit "$SLOW"
unset GITHUB_STEP_SUMMARY
has out '^\|' "the Markdown report is on stdout"
check "the report went to GITHUB_STEP_SUMMARY" grep -q '|' "$TMP/summary.md"
has out "${MAIN:0:7}" "the report names the fork point it compared with"
req GET "/api/v1/projects/loop/commits/$SLOW/verdict?testbed=ci-vm"
expect_json "the verdict is fail" "j['state'] == 'fail'"

# ---- a suite whose command does not exist: three attempts, then exit 3 ----
git checkout -q main
git checkout -q -b broken
loop_config 2 ./no-such-benchmark
timed_commit "a suite that cannot run"
BROKEN=$(git rev-parse HEAD)
gate 3 "a job that fails three times: exit 3" --enqueue --branch broken --commit "$BROKEN"
has err 'no-such-benchmark' "gate prints the reason, naming the command"
req GET /api/v1/projects/loop/jobs
expect_json "the job failed after 3 attempts with the reason" \
  "[(x['state'], x['attempts']) for x in j['jobs'] if x['sha'] == '$BROKEN'] == [('failed', 3)] and \
   'no-such-benchmark' in [x['reason'] for x in j['jobs'] if x['sha'] == '$BROKEN'][0]"
check "the agent carries on after failed jobs" kill -0 "$A1"
check "the agent said why each attempt failed" \
  test "$(grep -A3 'job [0-9]*: failed: ' "$TMP/agent-bench-1.log" | grep -c 'no-such-benchmark')" -ge 3

# ---- SIGKILL mid-job: the lease lapses, another agent completes the job once ----
git checkout -q main
git checkout -q -b sleepy
loop_config 2 ./work "sleep 3 && "
timed_commit "a slow build"
SLEEPY=$(git rev-parse HEAD)
enqueue "$SLEEPY" sleepy
K=$JOB
await_job "$K" running 30 || bad "the job did not start running"
stop "$A1" KILL
ok "agent bench-1 SIGKILLed while job $K runs"
start_agent 2
A2=$AGENT_PID
await_job "$K" done 60 && ok "the job is leased again after its lease lapsed and completes" ||
  bad "job $K: $(job_state "$K")"
req GET "/api/v1/jobs/$K"
expect_json "it took two attempts, the second by bench-2" "j['attempts'] == 2 and j['agent'] == 'bench-2'"
check "the commit has exactly one run" test "$(runs_of "$SLEEPY")" = 1
start_agent 1 # the killed agent comes back on its old work directory
A1=$AGENT_PID
check "a restarted agent removes what the killed one left" test -z "$(ls -A "$TMP/work-bench-1/jobs")"

# ---- two agents on one testbed: every job run once, none held twice ----
git checkout -q main
shas=()
for i in 1 2 3 4 5 6; do
  timed_commit "parallel $i"
  shas+=("$(git rev-parse HEAD)")
done
ids=()
for s in "${shas[@]}"; do
  enqueue "$s" main
  ids+=("$JOB")
done
for id in "${ids[@]}"; do await_job "$id" done 90 || bad "job $id: $(job_state "$id")"; done
req GET /api/v1/projects/loop/jobs
expect_json "all six done in one attempt each" \
  "all(x['state'] == 'done' and x['attempts'] == 1 for x in j['jobs'] if x['id'] in [$(IFS=,; echo "${ids[*]}")])"
one_run=1
for s in "${shas[@]}"; do [ "$(runs_of "$s")" = 1 ] || one_run=0; done
check "every commit was measured exactly once" test "$one_run" = 1
n1=$(grep -c 'job [0-9]*: done' "$TMP/agent-bench-1.log")
n2=$(grep -c 'job [0-9]*: done' "$TMP/agent-bench-2.log")
check "both agents took jobs ($n1 and $n2 in all)" test "$n1" -gt 0 -a "$n2" -gt 0

# ---- the server restarted mid-job: the agent carries on ----
stop "$A2"
git checkout -q sleepy
timed_commit "slow build again"
R=$(git rev-parse HEAD)
enqueue "$R" sleepy
RJ=$JOB
await_job "$RJ" running 30 || bad "the job did not start running"
stop_server
sleep 1
start_server "$DB" --job-lease 5
await_job "$RJ" done 60 && ok "after a server restart mid-job the job completes" ||
  bad "job $RJ: $(job_state "$RJ")"
check "the commit has exactly one run" test "$(runs_of "$R")" = 1

# ---- SIGTERM: the job finishes; a second SIGTERM gives it back ----
timed_commit "slow build, stopped"
T=$(git rev-parse HEAD)
enqueue "$T" sleepy
TJ=$JOB
await_job "$TJ" running 30 || bad "the job did not start running"
kill -TERM "$A1"
wait "$A1"
check "SIGTERM: the agent exits 0 ($?)" test $? -eq 0
forget "$A1"
check "after SIGTERM the current job is finished first" test "$(job_state "$TJ")" = done
timed_commit "slow build, stopped twice"
T2=$(git rev-parse HEAD)
start_agent 1
A1=$AGENT_PID
enqueue "$T2" sleepy
TJ2=$JOB
await_job "$TJ2" running 30 || bad "the job did not start running"
kill -TERM "$A1"
sleep 0.3
kill -TERM "$A1"
wait "$A1"
code=$?
forget "$A1"
check "a second SIGTERM: the agent exits 0 ($code)" test "$code" -eq 0
req GET "/api/v1/jobs/$TJ2"
expect_json "the job is given back with a reason" \
  "j['state'] == 'queued' and 'stopped' in j['reason'] and j['attempts'] == 1"

# ---- bad configurations and tokens ----
printf 'server: %s\ntestbed: ci-vm\nname: bench-9\nworkdir: %s\nprojects:\n  loop: {repository: %s}\n' \
  "$URL" "$TMP/work-bench-9" "$REPO" >"$TMP/agent-bench-9.yml"
expect_exit 2 "serve without a token: exit 2" -- "$AGENT" serve --config "$TMP/agent-bench-9.yml"
has err 'no API token' "it says where the token comes from"
expect_exit 2 "serve with a refused token: exit 2" -- env BENCHGATE_TOKEN=bg_wrong \
  "$AGENT" serve --config "$TMP/agent-bench-9.yml"
has err '401' "it says the server refused the token"
expect_exit 2 "serve with a ci token: exit 2" -- env BENCHGATE_TOKEN="$CI_TOKEN" \
  "$AGENT" serve --config "$TMP/agent-bench-9.yml"
has err '403' "it says the token's role may not lease"
printf 'server: %s\ntestbed: ci-vm\nworkdir: %s\nprojects:\n  loop: {repo: x}\n' "$URL" \
  "$TMP/w9" >"$TMP/bad.yml"
expect_exit 2 "an unknown key in agent.yml: exit 2" -- env BENCHGATE_TOKEN="$AGENT_TOKEN" \
  "$AGENT" serve --config "$TMP/bad.yml"
has err 'bad.yml:5: projects.loop.repo: unknown key' "the error names the file, line and key"
start_agent 3
expect_exit 2 "a second agent on the same work directory: exit 2" -- \
  env BENCHGATE_TOKEN="$AGENT_TOKEN" "$AGENT" serve --config "$TMP/agent-bench-3.yml"
has err 'another agent works in' "it says the work directory is taken"
stop "$AGENT_PID"

finish
