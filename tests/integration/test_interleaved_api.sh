#!/usr/bin/env bash
# test_interleaved_api.sh: interleaved runs through the HTTP API of a real benchgated
# (lib/interleave.h, server/interleaved.h): the project settings, the access answer, the
# verdict in each comparison mode from the upload and from the store, and bad payloads.
#
# The payloads come from a seeded generator below: 20 benchmarks, 5 samples per run with
# 0.5 % noise; a machine factor per run (history) or per round (both sides of a round alike).
# - a machine 6 % slower for the whole job fails every benchmark against history, and passes
#   interleaved (the base ran on the same slow machine);
# - a real 3 % slowdown of one benchmark, with the machine drifting +-5 % between rounds,
#   fails interleaved with that benchmark regressed (method paired) and nothing else;
# - both: the slow machine's history regressions turn inconclusive (pass), the real one fails;
# - the stored verdict (read back, and after a restart) equals the upload's answer;
# - confirmations of a pull request, measured interleaved, are decided on the pairs of their
#   chain: the second pools its rounds with the first's (8), one against another base does
#   not (4).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
AUTH=(-H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json')
create_project "$ADMIN" '{"slug":"hist"}'
expect "a project compares with history by default, 3 rounds" 201 \
  '"comparison":"history","interleave_rounds":3'
create_project "$ADMIN" '{"slug":"il","comparison":"interleaved","interleave_rounds":4}'
expect "project il compares interleaved runs, 4 rounds" 201 \
  '"comparison":"interleaved","interleave_rounds":4'
create_project "$ADMIN" '{"slug":"both","comparison":"both"}'
expect "project both" 201 '"comparison":"both"'
create_project "$ADMIN" '{"slug":"x","comparison":"sometimes"}'
expect "an unknown comparison is a 400 naming it" 400 '"field":"comparison"'
create_project "$ADMIN" '{"slug":"x","interleave_rounds":1}'
expect "interleave_rounds 1 is a 400 naming it" 400 '"field":"interleave_rounds"'
create_project "$ADMIN" '{"slug":"x","interleave_rounds":21}'
expect "interleave_rounds 21 is a 400 naming it" 400 '"field":"interleave_rounds"'
req GET /api/v1/projects/il/access "${AUTH[@]}"
expect "the access answer tells an agent to interleave, and how often" 200 \
  '"comparison":\{"mode":"interleaved","rounds":4\}'

GEN="$TMP/gen.py"
cat >"$GEN" <<'PY'
# gen.py SEED KIND [MACHINE] [SLOW]: a run payload. KIND main: a default-branch run whose
# machine factor is MACHINE; pr: a pull request run interleaved over 4 rounds, machine
# MACHINE times a drift of +-5 % per round, benchmark b0 SLOW times slower at the head. For a
# confirmation: GEN_SHA (the commit), GEN_CONFIRMS (the first run's id), GEN_BASE (the base);
# GEN_CONFIRMABLE=1 marks a run whose uploader re-runs when asked.
import json, os, random, sys, uuid
seed, kind = int(sys.argv[1]), sys.argv[2]
machine = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
slow = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
rnd = random.Random(seed)
BASE = os.environ.get("GEN_BASE", "b" * 40)
def results(factor, b0):
    return [{"benchmark": "b%d" % i, "measure": "wall_time", "unit": "ns", "direction": "lower",
             "samples": [1000 * (1 + i / 10) * factor * (b0 if i == 0 else 1)
                         * (1 + rnd.gauss(0, 0.005)) for _ in range(5)]} for i in range(20)]
run = {"schema": "benchgate.run/v1", "run_id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
       "testbed": {"name": "tb"}}
if kind == "main":
    run["commit"] = {"sha": "%040x" % rnd.getrandbits(160), "branch": "main",
                     "timestamp": "2026-11-%02dT12:00:00Z" % (1 + seed % 28)}
    run["results"] = results(machine, 1)
else:
    run["commit"] = {"sha": "%040x" % rnd.getrandbits(160), "branch": "feature"}
    run["baseline"] = {"branch": "main", "sha": BASE}
    run["pull_request"] = 7
    rounds = []
    for r in range(4):
        f = machine * (1 + rnd.uniform(-0.05, 0.05))
        rounds.append({"base": results(f, 1), "head": results(f, slow)})
    run["results"] = [dict(res, samples=sum((r["head"][i]["samples"] for r in rounds), []))
                      for i, res in enumerate(rounds[0]["head"])]
    run["interleaved"] = {"base_sha": BASE, "rounds": rounds}
    if os.environ.get("GEN_SHA"):
        run["commit"]["sha"] = os.environ["GEN_SHA"]
    if os.environ.get("GEN_CONFIRMS"):
        run["confirms"] = os.environ["GEN_CONFIRMS"]
    if os.environ.get("GEN_CONFIRMABLE"):
        run["confirmable"] = True
print(json.dumps(run))
PY
# upload PROJECT GEN-ARGS...: posts a generated run; STATUS and BODY.
upload() {
  local p=$1
  shift
  "$PY" "$GEN" "$@" >"$TMP/run.json"
  req POST "/api/v1/projects/$p/runs" "${AUTH[@]}" --data-binary @"$TMP/run.json"
}
sha_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["commit"]["sha"])' "$1"; }
# classes: the verdict's "benchmark:class" list (upload answer or verdict) from BODY.
classes() { json '" ".join("%s:%s" % (r["benchmark"], r["class"]) for r in sorted((j.get("verdict") or j)["results"], key=lambda r: int(r["benchmark"][1:])))'; }

# History: 12 default-branch runs on a steady machine, for every project.
for p in hist il both; do
  for i in $(seq 12); do upload "$p" "$i" main 1.0; done
done
expect "history uploaded" 201

# A machine 6 % slower for the whole job, no code change.
upload hist 100 pr 1.06
expect "history: a slower machine fails the pull request" 201 '"state":"fail"'
expect_json "history: the verdict says it compared with history, all 20 regressed" \
  'j["verdict"]["comparison"] == {"mode": "history"} and j["verdict"]["counts"]["regressed"] == 20'
upload il 100 pr 1.06
expect "interleaved: the same slower machine passes" 201 '"state":"pass"'
expect_json "interleaved: comparison names the base and 4 rounds, every result paired" \
  'j["verdict"]["comparison"] == {"mode": "interleaved", "base": "b" * 40, "rounds": 4} and all(r["method"] == "paired" and r["baseline"]["runs"] == 4 for r in j["verdict"]["results"])'
upload both 100 pr 1.06
expect "both: the slower machine's history regressions do not fail" 201 '"state":"pass"'
expect_json "both: 20 inconclusive, each showing the history's class" \
  'j["verdict"]["counts"]["inconclusive"] == 20 and all(r["history_class"] == "regressed" for r in j["verdict"]["results"])'

# A real 3 % slowdown of b0 while the machine drifts +-5 % between rounds.
upload il 200 pr 1.0 1.03
expect "interleaved: a 3 % slowdown under drift fails" 201 '"state":"fail"'
answer=$(classes)
check "interleaved: b0 regressed, nothing else" \
  test "$answer" = "$(printf 'b0:regressed'; for i in $(seq 19); do printf ' b%d:unchanged' "$i"; done)"
expect_json "interleaved: b0's change is +2 to +4 %" \
  '[0.02 < r["change"] < 0.04 for r in j["verdict"]["results"] if r["benchmark"] == "b0"] == [True]'
sha=$(sha_of "$TMP/run.json")
req GET "/api/v1/projects/il/commits/$sha/verdict?testbed=tb" "${AUTH[@]}"
expect "the stored verdict is read back" 200 '"mode":"interleaved"'
check "the stored verdict has the upload's classes" test "$(classes)" = "$answer"
upload both 200 pr 1.0 1.05
expect "both: a real 5 % slowdown fails" 201 '"state":"fail"'
expect_json "both: b0 regressed in both comparisons" \
  '[(r["class"], r["history_class"]) for r in j["verdict"]["results"] if r["benchmark"] == "b0"] == [("regressed", "regressed")]'

# Confirmations measured interleaved: decided on the pairs of their chain.
GEN_CONFIRMABLE=1 upload il 400 pr 1.0 1.03
expect "a confirmable pull request with b0 3 % slower asks for a confirmation" 201 \
  '"decision":"needed"'
first_sha=$(sha_of "$TMP/run.json")
first_id=$(json 'j["run_id"]')
GEN_CONFIRMABLE=1 GEN_SHA=$first_sha GEN_CONFIRMS=$first_id upload il 401 pr 1.0 1.03
expect "its first confirmation is taken" 201
expect_json "the first confirmation is decided on its own 4 rounds" \
  'j["verdict"]["comparison"]["rounds"] == 4 and [r["baseline"]["runs"] for r in j["verdict"]["results"] if r["benchmark"] == "b0"] == [4]'
GEN_CONFIRMABLE=1 GEN_SHA=$first_sha GEN_CONFIRMS=$first_id upload il 402 pr 1.0 1.03
expect "a second confirmation is taken" 201
expect_json "the second pools both confirmations' pairs: 8 rounds, b0 regressed on them" \
  'j["verdict"]["comparison"]["rounds"] == 8 and [(r["baseline"]["runs"], r["class"]) for r in j["verdict"]["results"] if r["benchmark"] == "b0"] == [(8, "regressed")]'
GEN_BASE=$(printf 'c%.0s' $(seq 40)) GEN_CONFIRMABLE=1 GEN_SHA=$first_sha GEN_CONFIRMS=$first_id \
  upload il 403 pr 1.0 1.03
expect "a confirmation against another base is taken" 201
expect_json "it is decided on its own 4 rounds: pairs of other bases are not pooled" \
  'j["verdict"]["comparison"]["rounds"] == 4'

# Bad payloads: 400 naming the field, nothing stored.
req GET "/api/v1/projects/il/commits?limit=100" "${AUTH[@]}"
before=$(json 'len(j["commits"]) if isinstance(j, dict) and "commits" in j else len(j)')
upload il 300 pr 1.0
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["interleaved"]["rounds"]=r["interleaved"]["rounds"][:1]; print(json.dumps(r))' \
  "$TMP/run.json" >"$TMP/bad.json"
req POST /api/v1/projects/il/runs "${AUTH[@]}" --data-binary @"$TMP/bad.json"
expect "one round is a 400 naming interleaved.rounds" 400 '"field":"interleaved.rounds"'
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["run_id"]="0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b12"; r["interleaved"]["rounds"][2]["base"][3]["samples"][1]="x"; print(json.dumps(r))' \
  "$TMP/run.json" >"$TMP/bad.json"
req POST /api/v1/projects/il/runs "${AUTH[@]}" --data-binary @"$TMP/bad.json"
expect "a bad sample in a round is a 400 naming it" 400 \
  '"field":"interleaved.rounds\[2\]\.base\[3\]\.samples\[1\]"'
req GET "/api/v1/projects/il/commits?limit=100" "${AUTH[@]}"
after=$(json 'len(j["commits"]) if isinstance(j, dict) and "commits" in j else len(j)')
check "the refused payloads stored nothing ($before commits before, $after after)" \
  test "$before" = "$((after - 1))"

# After a restart the verdict comes from the store alone.
stop_server
start_server "$DB"
req GET "/api/v1/projects/il/commits/$sha/verdict?testbed=tb" "${AUTH[@]}"
check "after a restart the stored verdict has the upload's classes" test "$(classes)" = "$answer"
finish
