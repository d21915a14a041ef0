#!/usr/bin/env bash
# test_creeping.sh: a creeping slowdown that no single commit fails raises a post-merge alert.
# The real benchgated, the real agent and a real git repository: a C program whose work is set
# at compile time is measured with `instructions` (exact with callgrind on a machine without a
# PMU; clean_env keeps the counts reproducible). Twelve commits do the same work, then six
# commits each add 1 % more. The project's gate compares each commit with the 3 runs before it
# (gate_window 3, and noise_window 3: exact counts of the stable commits would otherwise
# give a noise of zero) with min_effect 2.2 %, so every creeping commit is ~1-2 % slower than its
# baseline and passes, while the series moves by more than 2.2 % in total: the change-point
# detector finds the level shift after the stable history, opens a 'changepoint' alert naming
# the commit range (last stable commit .. first slower commit), GET .../series lists the change
# point, and an admin acknowledges the alert without touching any verdict.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

command -v valgrind >/dev/null || { echo "skipped: no valgrind"; echo "0 passed, 0 failed"; exit 0; }
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_STEP_SUMMARY

DB=$TMP/creep.db
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"creep","gate_window":3,"noise_window":3}'
expect "project created" 201
expect_json "the project's gate and noise windows are 3" \
  "j['gate_window'] == 3 and j['noise_window'] == 3"
AGENT_TOKEN=$(make_token "$DB" --project creep --role agent)

git_repo "$TMP/repo"
cat >work.c <<'C'
#include <stdio.h>
int main(void) {
  unsigned long long x = 1;
  for (long i = 0; i < 20000L * (100 + PCT); i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  printf("%llu\n", x & 1);
  return 0;
}
C
printf 'work\n' >.gitignore
config() { # PCT: the work in percent above the stable level
  cat >benchgate.yml <<YML
project: creep
testbed: ci-vm
clean_env: true
build: cc -O1 -DPCT=$1 -o work work.c
suites:
  - name: loop
    command: ./work
    repetitions: 2
    warmup: 0
    measures: [instructions]
thresholds:
  default: {min_effect: 0.022}
YML
}
SHAS=()
commit_and_run() { # PCT MESSAGE
  config "$1"
  timed_commit "$2"
  SHAS+=("$(git rev-parse HEAD)")
  BENCHGATE_TOKEN=$AGENT_TOKEN "$AGENT" run --server "$URL" --gate >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  if [ $rc -ne 0 ]; then
    bad "commit $2 (work +$1 %): run --gate exit $rc"
    show err out
    return 1
  fi
  return 0
}

stable_ok=1
for i in $(seq 1 12); do
  commit_and_run 0 "stable $i" || stable_ok=0
done
[ $stable_ok = 1 ] && ok "12 stable commits pass their gate" || true
grep -q "instructions counted with callgrind" "$TMP/err" "$TMP/out" 2>/dev/null ||
  echo "note: instructions may come from a PMU here"
req GET "/api/v1/projects/creep/alerts?state=open"
expect_json "no alert after the stable history" "j['alerts'] == []"

creep_ok=1
for p in 1 2 3 4 5 6; do
  commit_and_run "$p" "creep +$p %" || creep_ok=0
  state=$(verdict_state)
  [ "$state" = pass ] || { creep_ok=0; bad "creep +$p %: verdict $state"; }
done
[ $creep_ok = 1 ] && ok "every creeping commit passes its gate (no regression alert)" || true
LAST_STABLE=${SHAS[11]}
FIRST_SLOW=${SHAS[12]}

req GET "/api/v1/projects/creep/alerts?state=open"
expect_json "exactly one open alert, of kind changepoint" \
  "len(j['alerts']) == 1 and j['alerts'][0]['kind'] == 'changepoint'"
expect_json "it names the range: last stable commit .. first slower commit" \
  "j['alerts'][0]['first'] == '$LAST_STABLE' and j['alerts'][0]['last'] == '$FIRST_SLOW'"
expect_json "it names the series and a worsening of at least min_effect" \
  "j['alerts'][0]['benchmark'] == 'loop' and j['alerts'][0]['measure'] == 'instructions' \
and j['alerts'][0]['change'] >= 0.022"
ALERT=$(json "j['alerts'][0]['id'] if j['alerts'] else 0")

req GET "/api/v1/projects/creep/series?benchmark=loop&measure=instructions&testbed=ci-vm"
expect_json "series lists one change point at the first slower commit" \
  "len(j['change_points']) == 1 and j['change_points'][0]['sha'] == '$FIRST_SLOW' \
and j['change_points'][0]['first_sha'] == '$LAST_STABLE' and j['change_points'][0]['index'] == 12"
expect_json "its change is relative and positive (slower)" \
  "j['change_points'][0]['change'] > 0.02 and j['change_points'][0]['after'] > j['change_points'][0]['before']"
expect_json "series lists the alert" \
  "[a['id'] for a in j['alerts'] if a['kind'] == 'changepoint'] == [$ALERT]"

req POST "/api/v1/projects/creep/alerts/$ALERT/ack" -H "Authorization: Bearer $AGENT_TOKEN" \
  -H 'Content-Type: application/json' -d '{"note":"x"}'
expect "an agent cannot acknowledge" 403
req POST "/api/v1/projects/creep/alerts/$ALERT/ack" -H "Authorization: Bearer $ADMIN" \
  -H 'Content-Type: application/json' -d '{"note":"the new hashing costs 6 %, accepted"}'
expect "admin acknowledges the changepoint alert" 200
expect_json "acknowledged, and no verdict re-evaluated" \
  "j['alert']['state'] == 'acknowledged' and j['verdict'] is None"
req GET "/api/v1/projects/creep/alerts?state=open"
expect_json "no open alert left" "j['alerts'] == []"
req GET "/api/v1/projects/creep/commits/$FIRST_SLOW/verdict?testbed=ci-vm"
expect_json "the first slower commit's verdict still passes" "j['state'] == 'pass'"

# One more commit at the new level: the same change point, no second alert.
commit_and_run 6 "same level" || true
req GET "/api/v1/projects/creep/alerts?state=all"
expect_json "a later commit does not raise the change point again" \
  "len([a for a in j['alerts'] if a['kind'] == 'changepoint']) == 1"
finish
