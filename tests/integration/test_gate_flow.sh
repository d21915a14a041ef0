#!/usr/bin/env bash
# test_gate_flow.sh: the gate end to end: the real benchgated and the real agent measuring a
# tiny C program in a real git repository. Unchanged commits on main pass (the first one has
# no baseline); a commit doing 3x the work fails (201 with state fail, `run --gate` exits 1,
# the Markdown report goes to stdout and $GITHUB_STEP_SUMMARY, alerts are listed); an admin
# acknowledges the alerts and the verdict turns to pass; the next commit's baseline starts
# there; a branch whose benchgate.yml sets min_effect 10 for everything still fails on a
# slowdown (thresholds come from the default branch). Also: verdict, compare, alerts and ack
# endpoints' errors, and the history's verdict states.
set -u
. "$(dirname "$0")/lib.sh"
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_STEP_SUMMARY

DB=$TMP/gate.db
start_server "$DB" --public-url http://bench.example.org/
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"flow"}'
[[ $STATUS == [23]?? ]] || bad "create project"
AGENT_TOKEN=$(make_token "$DB" --project flow --role agent)
CI_TOKEN=$(make_token "$DB" --project flow --role ci)

# gate_run WANT NAME [args]: `benchgate run --gate` in the repository, exit code WANT.
gate_run() {
  local want=$1 name=$2
  shift 2
  expect_exit "$want" "$name" -- \
    env BENCHGATE_TOKEN="$AGENT_TOKEN" "$AGENT" run --server "$URL" --gate "$@"
}

# ---- the project: a loop whose work is set at compile time ----
git_repo "$TMP/repo"
cat >work.c <<'C'
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  unsigned long long x = 1;
  for (long i = 0; i < 4000000L * WORK; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  printf("%llu\n", x & 1);
  return 0;
}
C
config() { # WORK MIN_EFFECT
  cat >benchgate.yml <<YML
project: flow
testbed: ci-vm
build: cc -O1 -DWORK=$1 -o work work.c
suites:
  - name: loop
    command: ./work
    repetitions: 8
    warmup: 1
    measures: [cpu_time]
thresholds:
  default: {min_effect: $2}
YML
}
printf 'work\n' >.gitignore
# min_effect 0.5 on main: only large changes count, so a busy CI machine cannot fail the
# unchanged commits, while 3x the work (+200 %) is far beyond it.
config 2 0.5
timed_commit "first"
gate_run 0 "first commit: no baseline passes"
[ "$(verdict_state)" = no_baseline ] && ok "state no_baseline" || bad "state $(verdict_state)"
for i in 2 3 4 5; do
  timed_commit "unchanged $i"
  gate_run 0 "unchanged commit $i passes"
done
[ "$(verdict_state)" = pass ] && ok "state pass" || bad "state $(verdict_state)"
GOOD=$(git rev-parse HEAD)

# ---- a clear slowdown ----
config 6 0.5
timed_commit "3x the work"
SLOW=$(git rev-parse HEAD)
export GITHUB_STEP_SUMMARY=$TMP/summary.md
gate_run 1 "3x slower commit: run --gate exits 1"
unset GITHUB_STEP_SUMMARY
[ "$(verdict_state)" = fail ] && ok "state fail" || bad "state $(verdict_state)"
has out '^\|' "the Markdown table is on stdout"
grep -q 'loop' "$TMP/summary.md" 2>/dev/null && ok "GITHUB_STEP_SUMMARY written" ||
  bad "GITHUB_STEP_SUMMARY not written"

req GET "/api/v1/projects/flow/commits/$SLOW/verdict?testbed=ci-vm" \
  -H "Authorization: Bearer $CI_TOKEN"
expect "verdict endpoint (ci role)" 200 '"state":"fail"'
grep -q '"regressed":1' <<<"$BODY" && ok "one regressed result" || bad "counts: ${BODY:0:200}"
grep -q "\"url\":\"http://bench.example.org/#/p/flow/c/$SLOW\"" <<<"$BODY" &&
  ok "url built from --public-url" || bad "url missing"
grep -q '"markdown":"' <<<"$BODY" && grep -q '"summary":"1 regression' <<<"$BODY" &&
  ok "markdown and summary" || bad "markdown/summary missing"
grep -q "\"baseline\":{\"branch\":\"main\",\"runs\":5,\"noise_runs\":5,\"first\":\"[0-9a-f]*\",\"last\":\"$GOOD\"" \
  <<<"$BODY" && ok "baseline: 5 main runs up to the previous commit" || bad "baseline block"
req GET "/api/v1/projects/flow/commits/$SLOW/verdict?testbed=nowhere"
expect "verdict on an unknown testbed is 404" 404 '"field":"testbed"'
req GET "/api/v1/projects/flow/commits/0000000000000000000000000000000000000000/verdict"
expect "verdict of an unknown commit is 404" 404
req GET "/api/v1/projects/flow/compare?base=$GOOD&head=$SLOW&testbed=ci-vm"
expect "compare good..slow fails" 200 '"state":"fail"'
req GET "/api/v1/projects/flow/compare?base=$GOOD"
expect "compare without head is 400" 400 '"field":"head"'
req GET "/api/v1/projects/flow/commits?branch=main&limit=2"
expect "history lists verdict states" 200 \
  "\"sha\":\"$SLOW\".*\"verdict\":\\{\"state\":\"fail\",\"counts\":\\{\"regressed\":1"

req GET "/api/v1/projects/flow/alerts"
expect "open alerts listed" 200 \
  '"kind":"regression","state":"open","benchmark":"loop","measure":"cpu_time"'
ALERT=$(sed -n 's/.*"alerts":\[{"id":\([0-9]*\).*/\1/p' <<<"$BODY")
req GET "/api/v1/projects/flow/alerts?state=bogus"
expect "alerts with a bad state is 400" 400 '"field":"state"'
req POST "/api/v1/projects/flow/alerts/$ALERT/ack" -H 'Content-Type: application/json' \
  -d '{"note":"x"}'
expect "ack without a token is 401" 401
req POST "/api/v1/projects/flow/alerts/$ALERT/ack" -H "Authorization: Bearer $AGENT_TOKEN" \
  -H 'Content-Type: application/json' -d '{"note":"x"}'
expect "ack with an agent token is 403" 403
req POST "/api/v1/projects/flow/alerts/$ALERT/ack" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{}'
expect "ack without a note is 400" 400 '"field":"note"'
req POST "/api/v1/projects/flow/alerts/999999/ack" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"note":"x"}'
expect "ack of an unknown alert is 404" 404
req POST "/api/v1/projects/flow/alerts/$ALERT/ack" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"note":"the new algorithm is worth it"}'
expect "admin acknowledges with a note" 200 '"state":"acknowledged".*"verdict":\{"state":"pass"'
req POST "/api/v1/projects/flow/alerts/$ALERT/ack" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"note":"again"}'
expect "a second ack is 409" 409
req GET "/api/v1/projects/flow/commits/$SLOW/verdict?testbed=ci-vm"
expect "the commit's verdict is now pass" 200 '"state":"pass"'
req GET "/api/v1/projects/flow/alerts?state=acknowledged"
expect "acknowledged alerts listed with the note" 200 '"note":"the new algorithm is worth it"'
req GET "/api/v1/projects/flow/alerts?state=open"
expect "no open alerts left" 200 '^\{"alerts":\[\]\}$'

# ---- the next commit keeps the new level: its baseline starts at the acknowledged one ----
timed_commit "after the acknowledged change"
gate_run 0 "next commit at the new level passes"
req GET "/api/v1/projects/flow/commits/$(git rev-parse HEAD)/verdict?testbed=ci-vm"
expect "its series baseline is the acknowledged commit" 200 \
  '"baseline":\{"center":[0-9.e+]*,"runs":1,"noise_runs":1\}'
# Four more commits at the new level, so the branch below is judged against five baseline
# runs (with fewer, one benchmark has almost no degrees of freedom and a noisy CI machine
# could leave even +200 % inconclusive).
for i in 2 3 4 5; do
  timed_commit "at the new level $i"
  gate_run 0 "commit $i at the new level passes"
done
MAIN_HEAD=$(git rev-parse HEAD)

# ---- a branch cannot loosen its own gate ----
git checkout -q -b loose
config 18 10
timed_commit "3x slower again, with min_effect 10"
gate_run 1 "branch with min_effect 10 in its benchgate.yml still fails" --baseline-sha "$MAIN_HEAD"
has out 'min_effect|regress' "the branch run reports the regression"
git checkout -q main
timed_commit "main moves on"
gate_run 0 "main after the branch: branch runs are no baseline"

# ---- replay answers the stored verdict ----
BENCHGATE_TOKEN=$AGENT_TOKEN "$AGENT" run --dry-run --output "$TMP/run.json" >/dev/null 2>&1
req POST /api/v1/projects/flow/runs -H "Authorization: Bearer $AGENT_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/run.json"
expect "upload answers 201 with the verdict" 201 \
  '^\{"run_id":"[0-9a-f-]*","verdict":\{"state":"pass"'
FIRST=$BODY
req POST /api/v1/projects/flow/runs -H "Authorization: Bearer $AGENT_TOKEN" \
  -H 'Content-Type: application/json' --data-binary @"$TMP/run.json"
expect "replay answers 200" 200
[ "$BODY" = "$FIRST" ] && ok "replay answers the stored verdict" || bad "replay differs"

finish
