#!/usr/bin/env bash
# test_end_to_end.sh: the walking skeleton for real. A real benchgated on a temporary
# database, a project and tokens made with the real CLI, the real agent measuring a real C
# program in a real git repository of three commits, and the history, one commit, the series
# and the benchmarks read back through the REST API.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

db=$TMP/bench.db
start_server "$db"
admin=$(make_token "$db" --role admin --name it-admin)
create_project "$admin" '{"slug":"e2e","default_branch":"main"}'
expect "project created (201)" 201
agent=$(make_token "$db" --project e2e --role agent --name it-agent)
check "agent token printed once" test -n "$agent"

repo=$TMP/repo
mkdir -p "$repo"
cp "$BG_SOURCE/examples/wordcount/wordcount.c" "$repo/"
cat >"$repo/benchgate.yml" <<'YML'
project: e2e
testbed: it-box
build: cc -O2 -o wordcount wordcount.c
suites:
  - name: count
    command: ./wordcount 100000
    repetitions: 5
    warmup: 1
YML
git -C "$repo" init -q -b main
git -C "$repo" config user.name "IT Dev"
git -C "$repo" config user.email "it@example.org"
shas=()
for i in 1 2 3; do
  sed -i "s/^\/\* wordcount:.*/\/* wordcount: version $i./" "$repo/wordcount.c"
  git -C "$repo" add -A
  GIT_AUTHOR_DATE="2026-11-2${i}T10:00:00Z" GIT_COMMITTER_DATE="2026-11-2${i}T10:00:00Z" \
    git -C "$repo" commit -q -m "Commit number $i"
  shas+=("$(git -C "$repo" rev-parse HEAD)")
  out=$(cd "$repo" && BENCHGATE_TOKEN=$agent CI=1 "$AGENT" run --server "$URL" 2>"$TMP/agent$i.err")
  code=$?
  check "agent run $i exits 0" test "$code" = 0
  [ "$code" = 0 ] || cat "$TMP/agent$i.err"
  run_ids+=("$(printf '%s' "$out" | grep -oE '[0-9a-f]{8}-[0-9a-f-]{27}' | head -1)")
done

req GET "/api/v1/projects/e2e/commits?branch=main"
expect "history answers 200" 200
expect_json "history lists three commits" "len(j['commits']) == 3"
expect_json "history is newest first" \
  "[c['sha'] for c in j['commits']] == ['${shas[2]}', '${shas[1]}', '${shas[0]}']"
expect_json "history carries messages and run counts" \
  "j['commits'][2]['message'].startswith('Commit number 1') and all(c['runs'] == 1 for c in j['commits'])"

req GET "/api/v1/projects/e2e/commits?branch=main&limit=2"
expect_json "a page of two has a cursor" "len(j['commits']) == 2 and j['next'] == '${shas[1]}'"
req GET "/api/v1/projects/e2e/commits?branch=main&limit=2&before=${shas[1]}"
expect_json "the next page holds the oldest commit" "[c['sha'] for c in j['commits']] == ['${shas[0]}']"

req GET "/api/v1/projects/e2e/commits/${shas[1]}"
expect "one commit answers 200" 200
expect_json "the commit names its author and its run" \
  "j['commit']['author'] == 'IT Dev <it@example.org>' and len(j['runs']) == 1"

req GET "/api/v1/projects/e2e/runs/${run_ids[0]}"
expect "the run answers 200" 200
expect_json "the run holds wall, CPU and RSS with one sample per repetition" \
  "sorted(r['measure'] for r in j['results']) == ['cpu_time', 'max_rss', 'wall_time'] and all(len(r['samples']) == 5 for r in j['results'])"
expect_json "the run's samples are real timings" \
  "all(s > 1e5 for r in j['results'] if r['measure'] == 'wall_time' for s in r['samples'])"
expect_json "the run carries the testbed fingerprint" \
  "j['testbed']['name'] == 'it-box' and j['testbed']['fingerprint']['cpus'] >= 1"

req GET "/api/v1/projects/e2e/benchmarks?testbed=it-box"
expect "benchmarks answer 200" 200
expect_json "benchmarks list the suite's three measures, latest from the newest commit" \
  "sorted(b['measure'] for b in j['benchmarks']) == ['cpu_time', 'max_rss', 'wall_time'] and all(b['latest']['sha'] == '${shas[2]}' for b in j['benchmarks'])"

req GET "/api/v1/projects/e2e/series?benchmark=count&measure=wall_time&testbed=it-box&branch=main"
expect "series answers 200" 200
expect_json "the series has one point per commit, oldest first, with n and an interval" \
  "[p['sha'] for p in j['points']] == ['${shas[0]}', '${shas[1]}', '${shas[2]}'] and all(p['n'] == 5 and p['lower'] <= p['mean'] <= p['upper'] for p in j['points'])"

req GET "/api/v1/projects/e2e/series?benchmark=nope&measure=wall_time&testbed=it-box"
expect "an unknown benchmark is a 404" 404
expect_json "the 404 names the benchmark parameter" "j['error']['field'] == 'benchmark'"

# The same run uploaded again is a replay, not a second run.
(cd "$repo" && BENCHGATE_TOKEN=$agent CI=1 "$AGENT" run --server "$URL" --dry-run \
  --output "$TMP/run.json" >/dev/null 2>&1)
req POST /api/v1/projects/e2e/runs -H "Authorization: Bearer $agent" \
  -H 'Content-Type: application/json' --data-binary "@$TMP/run.json"
expect "a fresh run of the same commit is stored (201)" 201
req POST /api/v1/projects/e2e/runs -H "Authorization: Bearer $agent" \
  -H 'Content-Type: application/json' --data-binary "@$TMP/run.json"
expect "uploading it again is an idempotent replay (200)" 200
req GET "/api/v1/projects/e2e/commits/${shas[2]}"
expect_json "the commit now has exactly two runs" "len(j['runs']) == 2"

finish
