#!/usr/bin/env bash
# test_confirm.sh: confirmation runs through the real agent (`run --gate`, `serve`), a real
# benchgated and a real git repository (lib/confirm.h, agent/confirmation.h).
#
# The benchmarks are a committed script (bench.py) in benchgate's own result format whose
# numbers the test sets: per suite a factor for each invocation since the test last set it
# (the first run slower than its re-runs is a passing disturbance of the machine; slower in
# every run is a real regression), and a between-run jitter of +-J alternating from run to
# run, so every verdict below follows from the numbers, not from this machine's noise. Each
# invocation is logged, so the test sees which suites a confirmation re-ran.
#
# - a first run 10 % slower in suite "hot" alone: pending, suite hot re-run once (cold not),
#   cleared: pass, decision "same"; the first run's own verdict stays pending, and the cleared
#   first run is left out of later baselines;
# - 10 % slower in every run: one confirmation, "different", fail (exit 1), an alert;
# - a change that stays doubtful: confirmations up to the project's confirm_runs (2), then
#   "unknown": pass with the result inconclusive; with confirm_runs 0, the first run is final;
# - a suite with a `filter` (suite_filter.h): the confirmation re-runs the doubtful benchmark
#   alone (bench.py is given the regex), the others keep the first run's numbers;
# - `serve` with `gate --enqueue --wait`: the job stays running through the confirmation and
#   is done with the run whose verdict is final;
# - bad `confirms`: a run of another commit, an unknown run, not a UUID: 400 naming it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"p"}'
expect "project p created" 201 '"confirm_runs":2'
create_project "$ADMIN" '{"slug":"q"}'
expect "project q created" 201
create_project "$ADMIN" '{"slug":"z","confirm_runs":0}'
expect "project z created without confirmations" 201 '"confirm_runs":0'
create_project "$ADMIN" '{"slug":"bad","confirm_runs":11}'
expect "confirm_runs 11 is a 400 naming it" 400 '"field":"confirm_runs"'
export BENCHGATE_TOKEN=$ADMIN

CTL="$TMP/ctl"
mkdir -p "$CTL"
# control SUITE J F1 [F2...]: suite SUITE's jitter and its factors per invocation from now on
# (for every benchmark of the suite; with BENCH set, for that benchmark alone).
control() {
  local suite=$1 j=$2
  shift 2
  printf '{"jitter": %s, "factors": [%s], "only": "%s"}\n' "$j" "$(
    IFS=,
    echo "$*"
  )" "${BENCH:-}" >"$CTL/$suite.json"
  rm -f "$CTL/count.$suite"
}
# ran SUITE: how often SUITE ran since the log was cleared.
ran() { grep -cx "$1" "$CTL/invocations.log" 2>/dev/null || true; }

git_repo "$TMP/repo"
cat >bench.py <<'PY'
# bench.py SUITE CTL [--only=REGEX]: benchmark results in benchgate's own format, from the
# test's controls; with --only, the benchmarks whose names REGEX matches (as a harness does).
import json, os, re, sys
suite, ctl = sys.argv[1], sys.argv[2]
only = sys.argv[3][len("--only="):] if len(sys.argv) > 3 else None
levels = {"hot": {"alpha": 1000.0, "beta": 2000.0}, "cold": {"gamma": 3000.0, "delta": 4000.0}}
spec = json.load(open(os.path.join(ctl, suite + ".json")))
def bump(name):
    path = os.path.join(ctl, name)
    k = int(open(path).read()) if os.path.exists(path) else 0
    open(path, "w").write(str(k + 1))
    return k
k = bump("count." + suite)      # invocations since the control was set
g = bump("runs." + suite)       # every invocation: the jitter alternates with it
with open(os.path.join(ctl, "invocations.log"), "a") as log:
    log.write(suite + "\n")
if only is not None:
    with open(os.path.join(ctl, "filters.log"), "a") as log:
        log.write(only + "\n")
factors = spec["factors"]
f = factors[min(k, len(factors) - 1)] * (1 + (spec["jitter"] if g % 2 == 0 else -spec["jitter"]))
results = []
for name, level in levels[suite].items():
    if only is not None and not re.search(only, name):
        continue
    g = f if spec.get("only", "") in ("", name) else f / factors[min(k, len(factors) - 1)]
    samples = [level * g * (1 + 0.001 * (i - 4.5) / 4.5) for i in range(10)]
    results.append({"benchmark": name, "measure": "wall_time", "unit": "ns",
                    "direction": "lower", "samples": samples})
print(json.dumps({"results": results}))
PY
config() {
  cat >benchgate.yml <<YML
project: $1
testbed: tb
server: $URL
suites:
  - name: hot
    format: native
    command: $PY bench.py hot $CTL
  - name: cold
    format: native
    command: $PY bench.py cold $CTL
$([ "$1" = f ] && echo '    filter: "--only={regex}"')
YML
}
config p
timed_commit "bench"

# ---- a baseline of 10 unchanged runs (plain `run`: the first run is final) ----
control hot 0.005 1.0
control cold 0.005 1.0
for i in $(seq 10); do
  timed_commit "history $i"
  "$AGENT" run >"$TMP/out" 2>"$TMP/err" || bad "history run $i failed: $(tail -n 3 "$TMP/err")"
done
ok "10 history runs uploaded"

# ---- a passing disturbance: cleared by one confirmation ----
timed_commit "disturbed"
SHA1=$(git rev-parse HEAD)
control hot 0.005 1.10 1.0
: >"$CTL/invocations.log"
expect_exit 0 "run --gate passes once the confirmation clears the slow first run" -- "$AGENT" run --gate
check "suite hot ran twice (the first run and one confirmation)" test "$(ran hot)" = 2
check "suite cold ran once (nothing of it was doubtful)" test "$(ran cold)" = 1
has err 'confirming 2 doubtful benchmarks of run' "the agent says it confirms"
has out '^verdict: pass' "the final verdict is pass"
req GET "/api/v1/projects/p/commits/$SHA1/verdict?testbed=tb"
expect_json "the commit's verdict: pass, decision same on 2 runs" \
  'j["state"] == "pass" and j["confirmation"]["decision"] == "same" and j["confirmation"]["runs"] == 2'
expect_json "alpha's candidate is the confirmation, not the slow first run" \
  '[r for r in j["results"] if r["benchmark"] == "alpha"][0]["class"] == "unchanged"'
FIRST=$(sed -n 1p "$TMP/out")
CONF=$(sed -n 2p "$TMP/out")
req GET "/api/v1/projects/p/runs/$FIRST"
expect_json "the first run's own verdict stays pending, asking for the confirmation" \
  'j["verdict"]["state"] == "pending" and j["verdict"]["confirmation"]["decision"] == "needed" and sorted(j["verdict"]["confirmation"]["benchmarks"]) == ["alpha", "beta"]'
check "the first run is not in the confirmation's baseline" \
  test "$(sqlite3 "$DB" "SELECT count(*) FROM runs WHERE confirms_id = (SELECT id FROM runs WHERE run_id = '$FIRST') AND run_id = '$CONF'")" = 1

# ---- a real regression: confirmed ----
timed_commit "slower"
SHA2=$(git rev-parse HEAD)
control hot 0.005 1.10
: >"$CTL/invocations.log"
expect_exit 1 "run --gate fails when the confirmation shows the regression too" -- "$AGENT" run --gate
check "suite hot ran twice" test "$(ran hot)" = 2
has out '^verdict: fail' "the final verdict is fail"
req GET "/api/v1/projects/p/commits/$SHA2/verdict?testbed=tb"
expect_json "decision different, alpha regressed on the confirmation" \
  'j["confirmation"]["decision"] == "different" and [r for r in j["results"] if r["benchmark"] == "alpha"][0]["class"] == "regressed"'
req GET "/api/v1/projects/p/alerts"
expect_json "the confirmed regression opened alerts (alpha and beta)" \
  'sorted(a["benchmark"] for a in j["alerts"] if a["commit"] == "'"$SHA2"'") == ["alpha", "beta"]'
req GET "/api/v1/projects/p/commits/$SHA1/verdict?testbed=tb"
expect_json "the cleared commit opened no alert" 'j["state"] == "pass"'

# ---- a change that stays doubtful: bounded by confirm_runs ----
# Project q's history jitters by +-5 % from run to run; a change of exactly +11 % in every run
# of the commit (no jitter) makes alpha and beta doubtful on one run (t about 1.8, one-sided
# q_worse about 0.07 <= 0.1) and still short of the fail budget on two pooled confirmations
# (t about 2.4, q_worse about 0.016 > 0.0075), so the confirmations go to the bound.
config q
timed_commit "q bench"
control hot 0.05 1.0
control cold 0.05 1.0
for i in $(seq 10); do
  timed_commit "q history $i"
  "$AGENT" run >"$TMP/out" 2>"$TMP/err" || bad "q history run $i failed"
done
timed_commit "q doubtful"
SHA3=$(git rev-parse HEAD)
control hot 0 1.11
: >"$CTL/invocations.log"
expect_exit 0 "run --gate passes a change still unclear after the last confirmation" -- "$AGENT" run --gate
check "suite hot ran 3 times: the first run and confirm_runs (2) confirmations" test "$(ran hot)" = 3
req GET "/api/v1/projects/q/commits/$SHA3/verdict?testbed=tb"
expect_json "decision unknown on 3 runs, nothing regressed, inconclusive results" \
  'j["confirmation"]["decision"] == "unknown" and j["confirmation"]["runs"] == 3 and j["counts"]["regressed"] == 0 and j["counts"]["inconclusive"] >= 1'
expect_json "the summary says the results are still unclear" \
  '"still unclear after 2 confirmation runs" in j["summary"]'

# ---- confirm_runs 0: the first run is final ----
config z
timed_commit "z bench"
control hot 0.005 1.0
control cold 0.005 1.0
for i in $(seq 6); do
  timed_commit "z history $i"
  "$AGENT" run >"$TMP/out" 2>"$TMP/err" || bad "z history run $i failed"
done
timed_commit "z slower"
control hot 0.005 1.10
: >"$CTL/invocations.log"
expect_exit 1 "with confirm_runs 0 the first run's regression fails at once" -- "$AGENT" run --gate
check "suite hot ran once" test "$(ran hot)" = 1

# ---- bad confirms ----
payload() {
  "$PY" - "$@" <<'PY'
import json, sys
run_id, sha, confirms = sys.argv[1:4]
print(json.dumps({"schema": "benchgate.run/v1", "run_id": run_id,
                  "commit": {"sha": sha, "branch": "main"}, "testbed": {"name": "tb"},
                  "confirms": confirms, "confirmable": True,
                  "results": [{"benchmark": "alpha", "measure": "wall_time", "samples": [1000]}]}))
PY
}
post() { req POST /api/v1/projects/p/runs -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' -d "$1"; }
post "$(payload 11111111-1111-4111-8111-111111111111 "$SHA2" "$FIRST")"
expect "a confirmation of another commit's run is a 400 naming confirms" 400 'same commit on the same testbed","field":"confirms"'
post "$(payload 11111111-1111-4111-8111-111111111112 "$SHA1" 99999999-9999-4999-8999-999999999999)"
expect "a confirmation of an unknown run is a 400" 400 'no run 9.* in project p","field":"confirms"'
post "$(payload 11111111-1111-4111-8111-111111111113 "$SHA1" not-a-uuid)"
expect "a confirms that is no UUID is a 400" 400 '"field":"confirms"'
post "$(payload 11111111-1111-4111-8111-111111111114 "$SHA1" 11111111-1111-4111-8111-111111111114)"
expect "a run confirming itself is a 400" 400 'cannot confirm itself'

# ---- a suite with a filter: the confirmation re-runs the doubtful benchmark alone ----
create_project "$ADMIN" '{"slug":"f"}'
expect "project f created" 201
config f
timed_commit "f bench"
control hot 0.005 1.0
control cold 0.005 1.0
for i in $(seq 8); do
  timed_commit "f history $i"
  "$AGENT" run >"$TMP/out" 2>"$TMP/err" || bad "f history run $i failed: $(tail -n 3 "$TMP/err")"
done
timed_commit "f disturbed"
SHA5=$(git rev-parse HEAD)
control hot 0.005 1.0
BENCH=gamma control cold 0.005 1.10 1.0
: >"$CTL/invocations.log"
: >"$CTL/filters.log"
expect_exit 0 "run --gate passes once gamma's confirmation clears it" -- "$AGENT" run --gate
check "suite cold ran twice, hot once" test "$(ran cold)/$(ran hot)" = 2/1
check "the confirmation ran cold with gamma's filter alone" test "$(cat "$CTL/filters.log")" = '^(gamma)$'
has err "suite cold: the doubtful benchmarks alone: .*--only=" "the agent says it narrows the suite"
CONF5=$(sed -n 2p "$TMP/out")
check "the confirmation run holds gamma's result alone" \
  test "$(sqlite3 "$DB" "SELECT group_concat(b.name) FROM results x JOIN benchmarks b ON b.id = x.benchmark_id WHERE x.run_id = (SELECT id FROM runs WHERE run_id = '$CONF5')")" = gamma
req GET "/api/v1/projects/f/commits/$SHA5/verdict?testbed=tb"
expect_json "pass, decision same, delta judged on the first run" \
  'j["state"] == "pass" and j["confirmation"]["decision"] == "same" and sorted(r["benchmark"] for r in j["results"]) == ["alpha", "beta", "delta", "gamma"]'
timed_commit "f slower"
BENCH=gamma control cold 0.005 1.10
: >"$CTL/filters.log"
expect_exit 1 "gamma 10 % slower in every run fails on its filtered confirmation" -- "$AGENT" run --gate
check "the confirmation was filtered to gamma" test "$(cat "$CTL/filters.log")" = '^(gamma)$'
req GET "/api/v1/projects/f/commits/$(git rev-parse HEAD)/verdict?testbed=tb"
expect_json "decision different: gamma regressed, delta unchanged" \
  'j["confirmation"]["decision"] == "different" and {r["benchmark"]: r["class"] for r in j["results"]}["gamma"] == "regressed" and {r["benchmark"]: r["class"] for r in j["results"]}["delta"] == "unchanged"'
control cold 0.005 1.0

# ---- serve: the job runs through its confirmation ----
config p
timed_commit "served"
SHA4=$(git rev-parse HEAD)
control hot 0.005 1.10 1.0
control cold 0.005 1.0
: >"$CTL/invocations.log"
LOOP_PROJECT=p
AGENT_TOKEN=$ADMIN
serve_agent a1 "$TMP/repo"
sed -i 's/^testbed: ci-vm$/testbed: tb/' "$TMP/agent-a1.yml"
stop "$AGENT_PID"
BENCHGATE_TOKEN=$ADMIN "$AGENT" serve --config "$TMP/agent-a1.yml" 2>"$TMP/agent-a1.log" &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
await '/waiting for jobs/p' "$TMP/agent-a1.log" >/dev/null || bad "agent a1 did not start"
expect_exit 0 "gate --enqueue --wait passes once the agent's confirmation clears the first run" -- \
  "$AGENT" gate --server "$URL" --project p --commit "$SHA4" --enqueue --branch main --testbed tb \
  --wait 120
await '/job [0-9]*: done/p' "$TMP/agent-a1.log" >/dev/null || bad "the agent did not finish the job"
has -F agent-a1.log "1 confirmation run" "the agent ran one confirmation for the job"
check "suite hot ran twice in the job" test "$(ran hot)" = 2
req GET "/api/v1/projects/p/jobs?sha=$SHA4"
JOB_RUN=$(json 'j["jobs"][0]["run"]')
expect_json "the job is done" 'j["jobs"][0]["state"] == "done"'
check "the job is done with the confirmation run (confirms set)" \
  test "$(sqlite3 "$DB" "SELECT confirms_id IS NOT NULL FROM runs WHERE id = $JOB_RUN")" = 1

finish
