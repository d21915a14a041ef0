#!/usr/bin/env bash
# test_github.sh: a push and a pull request on a real repository end in the right GitHub
# calls. The real benchgated with a webhook secret, a GitHub token and --github-api pointing
# at a fake GitHub on loopback that records every request (github_stub.py); a real git
# repository with a tiny C benchmark; a real `benchgate serve` agent. Signed webhook
# deliveries (push to main, pull_request opened and synchronize) become jobs, the agent runs
# them, and the server writes to GitHub from its outbox:
#   - the statuses of context benchgate/ci-vm of each commit: pending (queued, running), then
#     success for unchanged commits (the first saying it has no baseline), failure naming the
#     regression for a pull request doing 3x the work, error with the reason for a job that
#     fails three times; each description at most 140 bytes, with the dashboard's link;
#   - one pull-request comment with the report and a hidden marker, created once and edited in
#     place on the next push (never a second comment);
#   - with a GitHub App instead of a token: JWTs the fake verifies with the App's public key,
#     an installation token, and a check run per testbed created, then completed with the
#     report;
#   - nothing twice, and the token, the webhook secret and the App's key in no log line,
#     answer or database file.
#
# Needs BG_BUILD, cc, git, curl and python3. Prints "N passed, M failed" last.
set -u
. "$(dirname "$0")/lib.sh"
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF GITHUB_BASE_REF \
  GITHUB_STEP_SUMMARY

TOKEN="ghp_e2e$(date +%s%N)token"
HOOK_SECRET="hook-$(date +%s%N)"
export GITHUB_STUB_TOKEN=$TOKEN
LOG=$TMP/github.jsonl
start_stub "$BG_SOURCE/tests/integration/github_stub.py" "$LOG"
GH=$URL
DB=$TMP/gh.db
printf '%s\n' "$HOOK_SECRET" >"$TMP/hook.secret"
LISTEN=127.0.0.1:$(free_port) # the same address after the restart with the App
BENCHGATE_GITHUB_TOKEN=$TOKEN start_server "$DB" --github-api "$GH" \
  --webhook-secret-file "$TMP/hook.secret" --public-url http://bench.example.org --job-lease 5
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"widgets","github_repo":"acme/widgets","pr_comments":true}'
expect "project with a GitHub repository and comments" 201
AGENT_TOKEN=$(make_token "$DB" --project widgets --role agent --name bench)

# ---- the repository and the agent ----
REPO=$TMP/repo
git_repo "$REPO"
loop_project widgets
serve_agent bench-1 "$REPO"
sleep 0.3 # its first lease announced the testbed

# hook EVENT FILE: delivers FILE's JSON as a signed webhook; STATUS is the answer's.
N=0
hook() {
  N=$((N + 1))
  local sig
  sig=$("$PY" -c 'import hmac, hashlib, sys
print("sha256=" + hmac.new(sys.argv[2].encode(), open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest())' "$2" "$HOOK_SECRET")
  req POST /api/v1/github/webhook -H 'Content-Type: application/json' \
    -H "X-GitHub-Event: $1" -H "X-GitHub-Delivery: e2e-$N" -H "X-Hub-Signature-256: $sig" \
    --data-binary @"$2"
}
# push SHA: a push of SHA to main.
push() {
  printf '{"ref":"refs/heads/main","before":"%040d","after":"%s","deleted":false,
    "repository":{"full_name":"acme/widgets"},"head_commit":{"id":"%s"}}' 0 "$1" "$1" \
    >"$TMP/push.json"
  hook push "$TMP/push.json"
}
# pull ACTION NUMBER SHA BRANCH: a pull_request event into main.
pull() {
  printf '{"action":"%s","number":%s,"repository":{"full_name":"acme/widgets"},
    "pull_request":{"number":%s,"head":{"sha":"%s","ref":"%s",
    "repo":{"full_name":"acme/widgets"}},"base":{"ref":"main","sha":"%s",
    "repo":{"full_name":"acme/widgets"}}}}' "$1" "$2" "$2" "$3" "$4" "$MAIN" >"$TMP/pull.json"
  hook pull_request "$TMP/pull.json"
}
# statuses SHA: the states and descriptions GitHub got for the commit, in order, one a line.
statuses() {
  "$PY" - "$LOG" "$1" <<'EOF'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["method"] == "POST" and r["path"] == "/repos/acme/widgets/statuses/" + sys.argv[2]:
        b = r["body"]
        print("%s %s | %s | %s" % (b["state"], b["context"], b["description"], b.get("target_url", "")))
EOF
}
# await_final SHA: waits until GitHub has a final status (not pending) of the commit.
await_final() {
  local i
  for i in $(seq 1 600); do
    statuses "$1" | grep -qv '^pending' && return 0
    sleep 0.1
  done
  return 1
}
# sequence_ok SHA FINAL: the statuses are pending ones (queued, then running) and then FINAL,
# once, last; every description at most 140 bytes; every link the commit's dashboard page.
sequence_ok() {
  statuses "$1" | "$PY" -c '
import sys
lines = [l.rstrip("\n") for l in sys.stdin]
states = [l.split(" ", 1)[0] for l in lines]
descs = [l.split(" | ")[1] for l in lines]
final = sys.argv[1]
ok = states and states[-1] == final and states.count(final) == 1
ok = ok and all(s == "pending" for s in states[:-1])
order = [0 if d.startswith("queued") else 1 for d in descs[:-1]]
ok = ok and order == sorted(order)
ok = ok and all(len(d.encode()) <= 140 for d in descs)
ok = ok and all(l.endswith("http://bench.example.org/#/p/widgets/c/" + sys.argv[2]) for l in lines)
sys.exit(0 if ok else 1)' "$2" "$1" || {
    statuses "$1" | sed 's/^/    /'
    return 1
  }
}

# ---- pushes to main: unchanged commits pass ----
loop_config 2
for i in 1 2 3 4; do
  timed_commit "main $i"
  MAIN=$(git rev-parse HEAD)
  push "$MAIN"
  [ "$STATUS" = 202 ] || bad "push $i: webhook answered $STATUS: $BODY"
  await_final "$MAIN" || bad "push $i: no final status"
  [ "$i" = 1 ] && FIRST=$MAIN
done
check "the first push: pending, then success" sequence_ok "$FIRST" success
check "it says there is no baseline yet" grep -q 'success benchgate/ci-vm | no baseline yet' \
  <(statuses "$FIRST")
check "a later unchanged push: pending, then success (pass)" sequence_ok "$MAIN" success
check "its description says pass" grep -q '^success benchgate/ci-vm | pass: ' <(statuses "$MAIN")
check "a running status names the agent" grep -q '^pending benchgate/ci-vm | running on bench-1' \
  <(statuses "$MAIN")

# ---- a pull request doing 3x the work fails; its comment is created once, then edited ----
git checkout -q -b slow
loop_config 6
timed_commit "3x the work"
SLOW=$(git rev-parse HEAD)
pull opened 7 "$SLOW" slow
[ "$STATUS" = 202 ] || bad "pull_request opened: $STATUS $BODY"
await_final "$SLOW" || bad "the pull request got no final status"
check "the slow pull request: pending, then failure" sequence_ok "$SLOW" failure
check "the failure names the regression" grep -q '^failure benchgate/ci-vm | .*loop cpu_time' \
  <(statuses "$SLOW")
comments() { curl -s "$GH/_stub/state" | "$PY" -c 'import json,sys; c=json.load(sys.stdin)["comments"].get("acme/widgets#7", []); print(json.dumps(c))'; }
await_comment() { # TEXT: waits until the pull request's one comment holds TEXT
  for _ in $(seq 1 100); do
    comments | grep -q "$1" && return 0
    sleep 0.1
  done
  return 1
}
await_comment "$SLOW" || bad "no comment on the pull request"
one_comment() { # TEXT: the pull request has one comment, with the marker and TEXT
  test "$(comments | "$PY" -c 'import json, sys
c = json.load(sys.stdin)
print(len(c) == 1 and "<!-- benchgate:benchgate/ci-vm -->" in c[0]["body"] and sys.argv[1] in c[0]["body"])' "$1")" = True
}
check "one comment with the marker and the report of the slow commit" one_comment "$SLOW"
check "it names the regressed benchmark" grep -q 'loop' <(comments)
# the next push to the pull request: back to the old work
loop_config 2
timed_commit "undo the extra work"
FIXED=$(git rev-parse HEAD)
pull synchronize 7 "$FIXED" slow
await_final "$FIXED" || bad "the second push got no final status"
check "the fixed pull request: pending, then success" sequence_ok "$FIXED" success
await_comment "$FIXED" || bad "the comment was not edited"
check "still one comment, now the report of the new commit" one_comment "$FIXED"
n_post=$("$PY" -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)] if r["method"] == "POST" and r["path"].endswith("/issues/7/comments")))' "$LOG")
n_patch=$("$PY" -c 'import json,sys
print(sum(1 for l in open(sys.argv[1]) for r in [json.loads(l)] if r["method"] == "PATCH" and "/issues/comments/" in r["path"]))' "$LOG")
check "the comment was created once ($n_post) and edited ($n_patch)" test "$n_post" = 1 -a "$n_patch" -ge 1

# ---- a job that fails three times: error with the reason ----
git checkout -q main
git checkout -q -b broken
loop_config 2 ./no-such-benchmark
timed_commit "a suite that cannot run"
BROKEN=$(git rev-parse HEAD)
pull opened 8 "$BROKEN" broken
await_final "$BROKEN" || bad "the broken pull request got no final status"
check "the broken pull request: pending, then error" sequence_ok "$BROKEN" error
check "the error says why" grep -q '^error benchgate/ci-vm | the job failed after 3 attempts: .*no-such-benchmark' \
  <(statuses "$BROKEN")

# ---- a GitHub App: installation tokens, and check runs beside the statuses ----
openssl genrsa -out "$TMP/app.pem" 2048 2>/dev/null
openssl rsa -in "$TMP/app.pem" -pubout -out "$TMP/app.pub" 2>/dev/null
LOG2=$TMP/github-app.jsonl
start_stub "$BG_SOURCE/tests/integration/github_stub.py" "$LOG2" --app-id 31337 \
  --app-public-key "$TMP/app.pub"
GH2=$URL
stop_server
start_server "$DB" --github-api "$GH2" --github-app-id 31337 --github-app-key-file "$TMP/app.pem" \
  --webhook-secret-file "$TMP/hook.secret" --public-url http://bench.example.org --job-lease 5
git checkout -q main
timed_commit "main 5"
MAIN=$(git rev-parse HEAD)
push "$MAIN"
LOG_MAIN=$LOG
LOG=$LOG2
await_final "$MAIN" || bad "the App's push got no final status"
check "with the App: pending, then success" sequence_ok "$MAIN" success
check "the App's JWTs were valid and it got an installation token" test "$("$PY" -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
app = [x for x in r if "jwt" in x]
print(len(app) >= 2 and all(x["jwt"] for x in app) and
      any(x["path"].endswith("/access_tokens") for x in app))' "$LOG2")" = True
check "every API request carried the installation token" test "$("$PY" -c '
import json, sys
print(all(json.loads(l)["authorized"] for l in open(sys.argv[1])))' "$LOG2")" = True
for _ in $(seq 1 50); do
  grep -q '"PATCH", "path": "/repos/acme/widgets/check-runs' "$LOG2" &&
    curl -s "$GH2/_stub/state" | grep -q '"conclusion": "success"' && break
  sleep 0.1
done
check "one check run, created and then completed with the report" test "$(curl -s "$GH2/_stub/state" | "$PY" -c '
import json, sys
runs = json.load(sys.stdin)["check_runs"].get("acme/widgets", {})
ok = len(runs) == 1
for r in runs.values():
    ok = ok and r["name"] == "benchgate/ci-vm" and r["head_sha"] == sys.argv[1] \
        and r["status"] == "completed" and r["conclusion"] == "success" \
        and sys.argv[1] in r["output"]["summary"]
print(ok)' "$MAIN")" = True
LOG=$LOG_MAIN

# ---- nothing twice, and the token nowhere ----
dups=$("$PY" -c 'import json,sys,collections
c = collections.Counter(json.dumps([r["path"], r["body"]], sort_keys=True) for l in open(sys.argv[1]) for r in [json.loads(l)] if r["method"] == "POST" and "/statuses/" in r["path"])
print(sum(v - 1 for v in c.values()))' "$LOG")
check "no status was sent twice ($dups repeats)" test "$dups" = 0
check "every request carried the token" test "$("$PY" -c 'import json,sys
print(all(json.loads(l)["authorized"] for l in open(sys.argv[1])))' "$LOG")" = True
req GET /api/v1/outbox -H "Authorization: Bearer $ADMIN"
printf '%s' "$BODY" >"$TMP/outbox.json"
leaks=$(grep -rlF "$TOKEN" "$TMP"/*.log "$TMP"/server.* "$TMP"/outbox.json "$TMP"/gh.db* 2>/dev/null | wc -l)
check "no installation token (ghs_...) in a log, answer or database file" \
  test "$(grep -rlF ghs_ "$TMP"/*.log "$TMP"/server.* "$TMP"/outbox.json "$TMP"/gh.db* 2>/dev/null | wc -l)" = 0
check "the check run went queued, in_progress, completed" test "$("$PY" -c '
import json, sys
print([r["body"]["status"] for l in open(sys.argv[1]) for r in [json.loads(l)] if "/check-runs" in r["path"] and r["method"] != "GET"])' "$LOG2")" = "['queued', 'in_progress', 'completed']"
# A check run GitHub made while the server's record of it was lost (a crash in between) is
# adopted, not made twice.
timed_commit "main 6"
M6=$(git rev-parse HEAD)
curl -s -X POST "$GH2/_stub/check_run" -H 'Content-Type: application/json' \
  -d "{\"repo\":\"acme/widgets\",\"head_sha\":\"$M6\",\"name\":\"benchgate/ci-vm\"}" >/dev/null
LOG=$LOG2
push "$M6"
await_final "$M6" || bad "the last push got no final status"
LOG=$LOG_MAIN
for _ in $(seq 1 50); do
  [ "$(curl -s "$GH2/_stub/state" | "$PY" -c 'import json,sys
print(sum(1 for r in json.load(sys.stdin)["check_runs"]["acme/widgets"].values() if r.get("head_sha") == sys.argv[1] and r.get("status") == "completed"))' "$M6")" = 1 ] && break
  sleep 0.1
done
check "a check run that exists is adopted: one for the commit, completed, none POSTed" test "$(curl -s "$GH2/_stub/state" | "$PY" -c '
import json, sys
runs = [r for r in json.load(sys.stdin)["check_runs"]["acme/widgets"].values() if r.get("head_sha") == sys.argv[1]]
posts = [r for l in open(sys.argv[2]) for r in [json.loads(l)] if r["method"] == "POST" and r["path"].endswith("/check-runs") and (r["body"] or {}).get("head_sha") == sys.argv[1]]
print(len(runs) == 1 and runs[0]["status"] == "completed" and not posts)' "$M6" "$LOG2")" = True
key=$(sed -n 2p "$TMP/app.pem")
check "the App's key is in no log, answer or database file" test "$(grep -rlF "$key" "$TMP"/*.log "$TMP"/server.* "$TMP"/outbox.json "$TMP"/gh.db* 2>/dev/null | wc -l)" = 0
check "the token is in no log, answer or database file ($leaks)" test "$leaks" = 0
leaks=$(grep -rlF "$HOOK_SECRET" "$TMP"/*.log "$TMP"/server.* "$TMP"/outbox.json "$TMP"/gh.db* 2>/dev/null | wc -l)
check "the webhook secret neither ($leaks)" test "$leaks" = 0

finish
