#!/usr/bin/env bash
# test_interleave.sh: interleaved A/B runs through the real agent (`run --gate`, `run
# --interleave`, `serve`, `compare --paired`), a real benchgated and a real git repository
# (agent/measure_ab.h, lib/interleave.h).
#
# The benchmarks are a committed script (bench.py) in benchgate's own result format. What
# they measure depends on the commit: speed.json in the checkout slows a benchmark by a
# factor (the pull request's code). What the machine does depends on the test: a factor for
# every invocation while it is set (a machine slower for the whole job), and a jitter of
# +-0.2 % alternating from invocation to invocation. Each invocation logs the checkout it ran
# in, so the test sees the order of base and head.
#
# - project i (comparison interleaved, 3 rounds): a pull request with unchanged code passes,
#   the verdict's comparison is interleaved with 3 rounds, base and head ran in the order
#   B H H B B H, the base's worktree is gone afterwards; one whose head is 30 % slower in
#   alpha fails with alpha regressed by the paired method; a machine 15 % slower for the whole
#   job passes (both sides slow alike);
# - project h (history): the same pull request is not interleaved; the slower machine fails
#   it (what the interleaving is for);
# - project b (both): unchanged passes, 30 % slower fails, the verdict says both;
# - `run --interleave=2 --dry-run --output` writes the rounds; `--no-interleave` measures the
#   commit alone; the base's own benchgate.yml is used (its suites differ from the head's);
#   a base without benchgate.yml falls back to the commit alone (an error with --interleave);
#   SIGTERM during a round removes the base's worktree;
# - `compare --paired` on the written run and on per-round files;
# - a default-branch commit of project i measured while the machine is 10 % slower: its
#   confirmation is measured interleaved with the newest baseline commit (the base just as
#   slow) and the commit passes ("same"); in project h (history) the same machine fails,
#   confirmed alone; a real 30 % slowdown on main in project i fails on the pairs
#   ("different");
# - `serve`: a job of project i with a base sha is measured interleaved, the base checked
#   out next to the job's and removed with it.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"i","comparison":"interleaved","interleave_rounds":3}'
expect "project i created (interleaved, 3 rounds)" 201 '"comparison":"interleaved"'
create_project "$ADMIN" '{"slug":"b","comparison":"both","interleave_rounds":3}'
expect "project b created (both)" 201 '"comparison":"both"'
create_project "$ADMIN" '{"slug":"h"}'
expect "project h created (history by default)" 201
req GET /api/v1/projects/i/access -H "Authorization: Bearer $ADMIN"
expect_json "the access answer tells the agent the comparison" \
  'j["comparison"]["mode"] == "interleaved" and j["comparison"]["rounds"] == 3'
export BENCHGATE_TOKEN=$ADMIN
export TMPDIR="$TMP/tmp"
mkdir -p "$TMPDIR"

CTL="$TMP/ctl"
mkdir -p "$CTL"
machine() { printf '%s\n' "$1" >"$CTL/machine"; }
machine 1.0
order() { sed -n 's/^hot //p' "$CTL/invocations.log" | sed "s|^$TMPDIR/benchgate-base.*|B|; s|^$TMP/repo$|H|" | tr -d '\n'; }

git_repo "$TMP/repo"
cat >bench.py <<'PY'
# bench.py SUITE CTL: results in benchgate's own format; the checkout's speed.json slows
# benchmarks, CTL/machine slows everything, the jitter alternates with the invocations.
import json, os, sys, time
suite, ctl = sys.argv[1], sys.argv[2]
levels = {"hot": {"alpha": 1000.0, "beta": 2000.0}, "cold": {"gamma": 3000.0, "delta": 4000.0}}
speed = json.load(open("speed.json")) if os.path.exists("speed.json") else {}
machine = float(open(os.path.join(ctl, "machine")).read())
path = os.path.join(ctl, "runs." + suite)
g = int(open(path).read()) if os.path.exists(path) else 0
open(path, "w").write(str(g + 1))
with open(os.path.join(ctl, "invocations.log"), "a") as log:
    log.write("%s %s\n" % (suite, os.getcwd()))
if os.path.exists(os.path.join(ctl, "sleep")):
    time.sleep(30)
f = machine * (1.002 if g % 2 == 0 else 0.998)
results = []
for name, level in levels[suite].items():
    v = level * f * speed.get(name, 1.0)
    results.append({"benchmark": name, "measure": "wall_time", "unit": "ns", "direction": "lower",
                    "samples": [v * (1 + 0.0005 * (i - 4.5) / 4.5) for i in range(10)]})
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
YML
}
config i
timed_commit "bench"

# history SLUG: 6 runs of main, measured alone (no base commit on the default branch).
history() {
  config "$1"
  for k in $(seq 6); do
    timed_commit "$1 history $k"
    "$AGENT" run >"$TMP/out" 2>"$TMP/err" || bad "$1 history run $k failed: $(tail -n 3 "$TMP/err")"
  done
}
history i
history b
history h
check "history runs on main are not interleaved" bash -c "! grep -q 'interleaved A/B' '$TMP/err'"

# pr SLUG NAME [SPEED-JSON]: a branch NAME from main with the config of SLUG and speed.json.
pr() {
  git checkout -q main
  git checkout -q -b "$2"
  config "$1"
  [[ -n ${3:-} ]] && printf '%s\n' "$3" >speed.json
  timed_commit "$2"
  PR_SHA=$(git rev-parse HEAD)
  PR_BASE=$(git merge-base main HEAD)
}
verdict() { req GET "/api/v1/projects/$1/commits/$2/verdict?testbed=tb"; }
no_base_left() {
  check "no base worktree is left ($1)" bash -c "! ls -d '$TMPDIR'/benchgate-base.* 2>/dev/null"
  check "the repository records no other worktree ($1)" test "$(git worktree list | wc -l)" = 1
}

# ---- project i: interleaved ----
pr i i-same
: >"$CTL/invocations.log"
expect_exit 0 "i: an unchanged pull request passes interleaved" -- "$AGENT" run --gate
has err 'interleaved A/B: 3 rounds of base' "the agent says it interleaves"
has err 'round 2/3: base' "progress names round and side"
check "base and head ran in ABBA order: B H H B B H" test "$(order)" = BHHBBH
no_base_left "after a pass"
verdict i "$PR_SHA"
expect_json "i: pass, comparison interleaved on 3 rounds against the fork point" \
  'j["state"] == "pass" and j["comparison"]["mode"] == "interleaved" and j["comparison"]["rounds"] == 3 and j["comparison"]["base"] == "'"$PR_BASE"'"'

pr i i-slow '{"alpha": 1.3}'
expect_exit 1 "i: a head 30 % slower in alpha fails" -- "$AGENT" run --gate
has out '^verdict: fail' "the verdict line says fail"
no_base_left "after a fail"
verdict i "$PR_SHA"
expect_json "i: alpha regressed by the paired method, the others not" \
  '[(r["benchmark"], r["class"], r["method"]) for r in j["results"] if r["class"] == "regressed"] == [("alpha", "regressed", "paired")]'
expect_json "i: alpha's change is about +30 %" \
  'abs([r for r in j["results"] if r["benchmark"] == "alpha"][0]["change"] - 0.30) < 0.02'

pr i i-machine
machine 1.15
expect_exit 0 "i: a machine 15 % slower for the whole job passes (base and head alike)" -- \
  "$AGENT" run --gate
verdict i "$PR_SHA"
expect_json "i: nothing regressed on the slow machine" \
  'j["state"] == "pass" and j["counts"]["regressed"] == 0'

# ---- project h: history ----
pr h h-machine
: >"$CTL/invocations.log"
expect_exit 1 "h: the slower machine fails a history comparison (nothing to cancel it)" -- \
  "$AGENT" run --gate
check "h: no base commit was measured" bash -c "! grep -q benchgate-base '$CTL/invocations.log'"
check "h: the agent did not interleave" bash -c "! grep -q 'interleaved A/B' '$TMP/err'"
machine 1.0
pr h h-same
expect_exit 0 "h: an unchanged pull request passes on history" -- "$AGENT" run --gate
verdict h "$PR_SHA"
expect_json "h: the verdict's comparison is history" \
  'j["comparison"]["mode"] == "history"'

# ---- project b: both ----
pr b b-same
expect_exit 0 "b: an unchanged pull request passes on both comparisons" -- "$AGENT" run --gate
verdict b "$PR_SHA"
expect_json "b: comparison both on 3 rounds" \
  'j["state"] == "pass" and j["comparison"]["mode"] == "both" and j["comparison"]["rounds"] == 3'
pr b b-slow '{"alpha": 1.3}'
expect_exit 1 "b: a head 30 % slower fails when both comparisons find it" -- "$AGENT" run --gate
verdict b "$PR_SHA"
expect_json "b: alpha regressed, the history's class shown too" \
  '[(r["class"], r.get("history_class")) for r in j["results"] if r["benchmark"] == "alpha"] == [("regressed", "regressed")]'

# ---- flags: --interleave=R, --dry-run, --output, --no-interleave ----
pr i i-flags '{"alpha": 1.3}'
: >"$CTL/invocations.log"
expect_exit 0 "--interleave=2 --dry-run --output writes the rounds" -- \
  "$AGENT" run --interleave=2 --dry-run --output "$TMP/ab.json"
has err 'dry run: 4 results of 2 suites \(2 rounds interleaved with the base\)' "the dry run says so"
check "2 rounds: B H H B" test "$(order)" = BHHB
"$PY" - "$TMP/ab.json" "$PR_BASE" <<'PY' && ok "the payload has base_sha, 2 rounds and the head pooled" || bad "the payload"
import json, sys
j = json.load(open(sys.argv[1]))
iv = j["interleaved"]
assert iv["base_sha"] == sys.argv[2] and len(iv["rounds"]) == 2, iv.keys()
assert all(len(r["base"]) == 4 and len(r["head"]) == 4 for r in iv["rounds"])
alpha = [r for r in j["results"] if r["benchmark"] == "alpha"][0]
assert len(alpha["samples"]) == 20, len(alpha["samples"])  # 2 rounds x 10 samples
assert j["baseline"]["sha"] == sys.argv[2] and j["started_at"] <= j["finished_at"]
PY
expect_exit 1 "compare --paired RUN.json fails the slower alpha" -- "$AGENT" compare --paired "$TMP/ab.json"
has out '^regressed +alpha +wall_time +\+30\.' "alpha regressed about +30 %"
has out 'paired' "the method is paired"
"$PY" - "$TMP/ab.json" "$TMP" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
for i, r in enumerate(j["interleaved"]["rounds"]):
    for side in ("base", "head"):
        json.dump({"schema": "benchgate.run/v1", "results": r[side]}, open("%s/%s%d.json" % (sys.argv[2], side, i), "w"))
PY
expect_exit 1 "compare --paired BASE1 HEAD1 BASE2 HEAD2 fails it too" -- \
  "$AGENT" compare --paired "$TMP/base0.json" "$TMP/head0.json" "$TMP/base1.json" "$TMP/head1.json"
expect_exit 0 "compare --paired with the sides swapped finds an improvement" -- \
  "$AGENT" compare --paired "$TMP/head0.json" "$TMP/base0.json" "$TMP/head1.json" "$TMP/base1.json"
has out '^improved +alpha' "alpha improved"
expect_exit 2 "compare --paired with an odd number of files is a usage error" -- \
  "$AGENT" compare --paired "$TMP/base0.json" "$TMP/head0.json" "$TMP/base1.json"
expect_exit 2 "compare --paired with one round is a usage error" -- \
  "$AGENT" compare --paired "$TMP/base0.json" "$TMP/head0.json"
expect_exit 2 "compare --paired on a run without rounds is an input error" -- \
  "$AGENT" compare --paired "$TMP/base0.json"
: >"$CTL/invocations.log"
expect_exit 0 "--no-interleave measures the commit alone" -- \
  "$AGENT" run --no-interleave --dry-run --output "$TMP/alone.json"
check "--no-interleave: no base invocation" test "$(order)" = H
check "--no-interleave: no interleaved part" "$PY" -c \
  "import json,sys; sys.exit('interleaved' in json.load(open('$TMP/alone.json')))"
expect_exit 2 "--interleave=1 is a usage error" -- "$AGENT" run --interleave=1 --dry-run
git checkout -q main
expect_exit 2 "--interleave on the default branch has no base commit: a usage error" -- \
  "$AGENT" run --interleave --dry-run
has err 'no base commit' "the agent says why"

# ---- the base's own benchgate.yml ----
# The base measures suite hot only; the head adds cold: the base's config decides its side.
git checkout -q main
git checkout -q -b cfg-base
sed -i '/name: cold/,$d' benchgate.yml
timed_commit "base without cold"
CFG_BASE=$(git rev-parse HEAD)
git checkout -q -b cfg-head
config i
timed_commit "head with cold"
: >"$CTL/invocations.log"
expect_exit 0 "a base with other suites: measured with its own benchgate.yml" -- \
  "$AGENT" run --interleave=2 --baseline-sha "$CFG_BASE" --dry-run --output "$TMP/cfg.json"
check "the base ran no cold suite" test "$(grep -c "^cold $TMPDIR/benchgate-base" "$CTL/invocations.log")" = 0
check "the head ran cold twice" test "$(grep -c "^cold $TMP/repo$" "$CTL/invocations.log")" = 2
check "the base's rounds hold its 2 results, the head's 4" "$PY" -c "
import json; j = json.load(open('$TMP/cfg.json'))
assert all(len(r['base']) == 2 and len(r['head']) == 4 for r in j['interleaved']['rounds'])"

# ---- a base without benchgate.yml: the commit alone, on the history ----
git checkout -q main
git checkout -q -b no-cfg-base
git rm -q benchgate.yml
timed_commit "base without benchgate.yml"
NO_CFG_BASE=$(git rev-parse HEAD)
git checkout -q -b no-cfg-head
config i
timed_commit "head adds benchgate.yml"
NO_CFG_SHA=$(git rev-parse HEAD)
expect_exit 0 "a base without benchgate.yml: the project's interleaving falls back to the commit alone" -- \
  "$AGENT" run --gate --baseline-sha "$NO_CFG_BASE"
has err 'measuring the commit alone' "the agent says why"
no_base_left "after the fallback"
verdict i "$NO_CFG_SHA"
expect_json "the verdict says it compared with the history" 'j["comparison"]["mode"] == "history"'
expect_exit 2 "with --interleave the same base is an error" -- \
  "$AGENT" run --interleave --baseline-sha "$NO_CFG_BASE" --dry-run
no_base_left "after the error"

# ---- SIGTERM during a round removes the base's worktree ----
touch "$CTL/sleep"
"$AGENT" run --interleave=2 --baseline-sha "$CFG_BASE" --dry-run >"$TMP/out" 2>"$TMP/err" &
RUN_PID=$!
PIDS+=("$RUN_PID")
await '/round 1\/2: base/p' "$TMP/err" >/dev/null || bad "the interleaved run did not start"
sleep 0.5
kill -TERM "$RUN_PID"
wait "$RUN_PID"
rc=$?
forget "$RUN_PID"
rm -f "$CTL/sleep"
check "a stopped interleaved run exits 2" test "$rc" = 2
has err 'stopped on request' "it says it was stopped"
no_base_left "after SIGTERM"

# ---- confirmations on the default branch, interleaved with the newest baseline commit ----
git checkout -q main
rm -f speed.json
config i
timed_commit "i: main, a slower machine"
machine 1.10
: >"$CTL/invocations.log"
expect_exit 0 "interleaved project: a machine 10 % slower through the confirmation passes" -- \
  "$AGENT" run --gate
has err 'interleaved with' "the confirmation was asked for interleaved"
has err 'interleaved A/B: 3 rounds of base' "the agent measured it as base and head in turn"
check "the confirmation ran the base in a worktree and the head here" \
  bash -c "grep -q 'benchgate-base' '$CTL/invocations.log' && grep -q ' $TMP/repo\$' '$CTL/invocations.log'"
verdict i "$(git rev-parse HEAD)"
expect_json "its verdict: pass, same, on the paired comparison" \
  'j["state"] == "pass" and j["confirmation"]["decision"] == "same" and all(r["method"] == "paired" for r in j["results"])'
no_base_left "after an interleaved confirmation"
config h
timed_commit "h: main, a slower machine"
expect_exit 1 "history project: the same slower machine fails, confirmed alone" -- \
  "$AGENT" run --gate
check "its confirmation measured the commit alone" bash -c "! grep -q 'interleaved A/B' '$TMP/err'"
machine 1.0
config i
printf '%s\n' '{"alpha": 1.3}' >speed.json
timed_commit "i: main, alpha 30 % slower"
expect_exit 1 "interleaved project: a real 30 % slowdown on main fails after its interleaved confirmation" -- \
  "$AGENT" run --gate
verdict i "$(git rev-parse HEAD)"
expect_json "alpha regressed on the pairs, decision different" \
  'j["confirmation"]["decision"] == "different" and [r["benchmark"] for r in j["results"] if r["class"] == "regressed"] == ["alpha"] and [r["method"] for r in j["results"] if r["benchmark"] == "alpha"] == ["paired"]'
rm -f speed.json
timed_commit "i: main, alpha back"

# ---- serve: a job of project i, interleaved ----
git checkout -q main
pr i served '{"alpha": 1.3}'
git checkout -q main
: >"$CTL/invocations.log"
LOOP_PROJECT=i
AGENT_TOKEN=$ADMIN
serve_agent a1 "$TMP/repo"
stop "$AGENT_PID"
sed -i 's/^testbed: ci-vm$/testbed: tb/' "$TMP/agent-a1.yml"
BENCHGATE_TOKEN=$ADMIN "$AGENT" serve --config "$TMP/agent-a1.yml" 2>"$TMP/agent-a1.log" &
AGENT_PID=$!
PIDS+=("$AGENT_PID")
await '/waiting for jobs/p' "$TMP/agent-a1.log" >/dev/null || bad "agent a1 did not start"
expect_exit 1 "serve: the job of a 30 % slower pull request fails interleaved" -- \
  "$AGENT" gate --server "$URL" --project i --commit "$PR_SHA" --enqueue --branch served \
  --base-sha "$PR_BASE" --testbed tb --wait 120
await '/job [0-9]*: done/p' "$TMP/agent-a1.log" >/dev/null || bad "the agent did not finish the job"
has -F agent-a1.log "interleaved A/B: 3 rounds of base" "the agent interleaved the job"
# The regression is confirmed by a second interleaved measurement of suite hot.
check "serve: the base ran in the job's work area, ABBA, and again for the confirmation" \
  test "$(sed -n 's/^hot //p' "$CTL/invocations.log" |
  sed "s|.*/jobs/[0-9]*\.base$|B|; s|.*/jobs/[0-9]*$|H|" | tr -d '\n')" = BHHBBHBHHBBH
verdict i "$PR_SHA"
expect_json "serve: alpha regressed, paired, comparison interleaved" \
  'j["comparison"]["mode"] == "interleaved" and [r["benchmark"] for r in j["results"] if r["class"] == "regressed" and r["method"] == "paired"] == ["alpha"]'
check "serve: the job's checkouts are gone" bash -c "! ls -d '$TMP/work-a1/jobs/'* 2>/dev/null"

finish
