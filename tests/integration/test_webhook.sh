#!/usr/bin/env bash
# test_webhook.sh: POST /api/v1/github/webhook over real HTTP, with deliveries signed the way
# GitHub signs them (HMAC-SHA256 of the raw body, computed here with Python's hmac): a good,
# a wrong and a missing signature (401, nothing stored); a redelivery of one X-GitHub-Delivery
# does nothing twice (200); ping; a push to the default branch enqueues one job per testbed,
# a push to another branch, a deleted branch and an unknown repository are accepted and
# ignored; pull_request opened enqueues with pull_request and base_branch, synchronize
# supersedes the older queued job, edited only with changes.base, closed cancels the pull
# request's queued jobs but not a leased one; a fork's pull request runs on pull/N/head; bad
# deliveries answer 400 naming the header or member; over 25 MB is 413 (other routes keep
# --max-body); without a secret 503; the enqueue API's base_branch; and the secret appears in
# no answer, log line or database row.
#
# Needs BG_BUILD, curl and python3. Prints "N passed, M failed" last; exits non-zero on any
# failure.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

SECRET='It5-a s3cret "with" spaces & symbols'
json=(-H 'Content-Type: application/json')
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
printf '%s\n' "$SECRET" >"$TMP/secret"
start_server "$DB" --webhook-secret-file "$TMP/secret" --max-body 100000
create_project "$ADMIN" '{"slug":"widget","github_repo":"Acme/Widget","default_branch":"trunk"}'
expect "project created" 201
AGENT=$(make_token "$DB" --project widget --role agent --name bench-01)
ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")

A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
C=cccccccccccccccccccccccccccccccccccccccc
D=dddddddddddddddddddddddddddddddddddddddd
E=eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee
Z=0000000000000000000000000000000000000000

# Testbeds exist once a run named them.
for tb in tb1 tb2; do
  req POST /api/v1/projects/widget/runs "${ag[@]}" -d "{\"schema\":\"benchgate.run/v1\",
    \"run_id\":\"00000000-0000-4000-8000-00000000000${tb#tb}\",
    \"commit\":{\"sha\":\"$A\",\"branch\":\"trunk\"},\"testbed\":{\"name\":\"$tb\"},
    \"results\":[{\"benchmark\":\"a\",\"measure\":\"wall_time\",\"samples\":[1,2,3]}]}"
  expect "a run on $tb" 201
done

# sign FILE [SECRET]: the X-Hub-Signature-256 value of FILE's bytes.
sign() {
  "$PY" -c 'import hmac, hashlib, sys
print("sha256=" + hmac.new(sys.argv[2].encode(), open(sys.argv[1], "rb").read(), hashlib.sha256).hexdigest())' "$1" "${2:-$SECRET}"
}

# wreq ARGS...: req, keeping every answer in $TMP/answers.
wreq() {
  req "$@"
  printf '%s\n' "$BODY" >>"$TMP/answers"
}

# hook EVENT DELIVERY BODY [CURL-ARGS...]: POSTs BODY (text) signed with $SECRET.
N=0
hook() {
  local event=$1 delivery=$2
  N=$((N + 1))
  printf '%s' "$3" >"$TMP/body.$N"
  shift 3
  wreq POST /api/v1/github/webhook "${json[@]}" -H "X-GitHub-Event: $event" \
    -H "X-GitHub-Delivery: $delivery" -H "X-Hub-Signature-256: $(sign "$TMP/body.$N")" \
    --data-binary "@$TMP/body.$N" "$@"
}

repo='"repository":{"full_name":"acme/widget","default_branch":"trunk"}'
# push REF AFTER [DELETED]: a push payload.
push() { echo "{\"ref\":\"$1\",\"before\":\"$Z\",\"after\":\"$2\",\"deleted\":${3:-false},$repo,\"commits\":[]}"; }
# pull ACTION NUMBER HEAD [EXTRA]: a pull_request payload from a branch of the repository.
pull() {
  echo "{\"action\":\"$1\",\"number\":$2,${4:+$4,}\"pull_request\":{\"number\":$2,\"state\":\"open\",
    \"head\":{\"ref\":\"feature-$2\",\"sha\":\"$3\",\"repo\":{\"full_name\":\"Acme/Widget\"}},
    \"base\":{\"ref\":\"trunk\",\"sha\":\"$A\",\"repo\":{\"full_name\":\"Acme/Widget\"}}},$repo}"
}
jobs() { req GET "/api/v1/projects/widget/jobs${1:+?$1}"; }
deliveries() { sqlite3 "$DB" 'SELECT count(*) FROM webhook_deliveries' 2>/dev/null || "$PY" -c \
  'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0])' "$DB"; }

# ---- signatures ----
printf '%s' "$(push refs/heads/trunk "$B")" >"$TMP/push"
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-nosig' \
  --data-binary "@$TMP/push"
expect "no signature: 401 naming the header" 401 '"field":"X-Hub-Signature-256"'
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-badsig' \
  -H "X-Hub-Signature-256: $(sign "$TMP/push" 'not the secret')" --data-binary "@$TMP/push"
expect "a signature under another secret: 401" 401 '"code":"bad_signature"'
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-badsig2' \
  -H "X-Hub-Signature-256: $(sign "$TMP/push")" --data-binary "$(push refs/heads/trunk "$C")"
expect "a signature of another body: 401" 401 '"code":"bad_signature"'
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: push' -H 'X-GitHub-Delivery: d-badsig3' \
  -H "X-Hub-Signature-256: sha1=$(sign "$TMP/push" | cut -d= -f2)" --data-binary "@$TMP/push"
expect "a signature without sha256=: 401" 401 '"code":"bad_signature"'
check "refused deliveries store nothing" test "$(deliveries)" = 0
jobs
expect_json "and enqueue nothing" "j['jobs'] == []"

# ---- ping, push ----
hook ping d-ping '{"zen":"Keep it logically awesome.","hook_id":1,'"$repo"'}'
expect "ping: 202" 202 '"outcome":"ping"'
hook push d-push-1 "$(push refs/heads/trunk "$B")"
expect "a push to the default branch: 202" 202 '2 jobs enqueued'
jobs
expect_json "one job per testbed, on trunk, no base, no pull request" \
  "sorted(x['testbed'] for x in j['jobs']) == ['tb1','tb2'] and all(x['sha'] == '$B' and x['branch'] == 'trunk' and x['base_sha'] is None and x['base_branch'] is None and x['pull_request'] is None and x['state'] == 'queued' for x in j['jobs'])"
hook push d-push-1 "$(push refs/heads/trunk "$B")"
expect "the same delivery again: 200" 200 'redelivery'
hook push d-push-1 "$(push refs/heads/trunk "$C")"
expect "the same delivery id with another body: 200, nothing done" 200 'redelivery'
jobs
expect_json "a redelivery enqueues nothing twice" "len(j['jobs']) == 2"
hook push d-push-2 "$(push refs/heads/feature "$C")"
expect "a push to another branch: 202" 202 '0 jobs enqueued'
hook push d-push-3 "$(push refs/heads/trunk "$Z" true)"
expect "a deleted branch: 202, ignored" 202 'ignored: the branch was deleted'
hook push d-push-4 "$(push refs/tags/v1 "$C")"
expect "a tag: 202, ignored" 202 'ignored'
hook push d-push-5 "{\"ref\":\"refs/heads/trunk\",\"after\":\"$C\",\"repository\":{\"full_name\":\"someone/else\"}}"
expect "an unknown repository: 202, ignored" 202 'ignored: no project has the repository someone/else'
jobs
expect_json "none of those enqueued anything" "len(j['jobs']) == 2"
has server.err 'webhook delivery d-push-5 \(push\): ignored: no project' "the ignored delivery is logged"

# ---- pull requests ----
hook pull_request d-pr-1 "$(pull opened 7 "$C")"
expect "pull_request opened: 202" 202 '2 jobs enqueued'
jobs "sha=$C"
expect_json "jobs with the pull request, its head branch and base_branch, no base_sha" \
  "len(j['jobs']) == 2 and all(x['pull_request'] == 7 and x['branch'] == 'feature-7' and x['base_branch'] == 'trunk' and x['base_sha'] is None for x in j['jobs'])"
OLD=$(json "[x['id'] for x in j['jobs'] if x['testbed'] == 'tb1'][0]")
hook pull_request d-pr-2 "$(pull synchronize 7 "$D")"
expect "synchronize: 202" 202 '2 jobs enqueued'
req GET "/api/v1/jobs/$OLD"
expect_json "the older queued job is superseded" "j['state'] == 'canceled' and j['reason'].startswith('superseded by job')"
hook pull_request d-pr-3 "$(pull edited 7 "$D" '"changes":{"title":{"from":"x"}}')"
expect "edited without changes.base: 202, ignored" 202 'ignored'
jobs "state=queued&sha=$D"
expect_json "still the two jobs of the head" "len(j['jobs']) == 2"
OLD=$(json "[x['id'] for x in j['jobs'] if x['testbed'] == 'tb1'][0]")
hook pull_request d-pr-4 "$(pull edited 7 "$D" '"changes":{"base":{"ref":{"from":"old"},"sha":{"from":"'$A'"}}}')"
expect "edited with changes.base: 202, enqueued again" 202 '2 jobs enqueued, 2 canceled'
req GET "/api/v1/jobs/$OLD"
expect_json "the job with the old base is canceled" "j['state'] == 'canceled' and j['reason'] == 'pull request base changed'"
jobs "state=queued&sha=$D"
expect_json "two new queued jobs of the head" "len(j['jobs']) == 2 and all(x['id'] > $OLD for x in j['jobs'])"
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-01","testbed":"tb1","wait":0}'
expect "an agent leases the oldest queued tb1 job, the push's" 200 "\"sha\":\"$B\""
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-02","testbed":"tb1","wait":0}'
expect "another leases the next, pull request 7's" 200 '"pull_request":7'
LEASED=$(json "j['id']")
hook pull_request d-pr-4b "$(pull opened 8 "$C")"
expect "another pull request" 202
hook pull_request d-pr-5 "$(pull closed 7 "$D")"
expect "closed: 202, its queued job canceled" 202 '0 jobs enqueued, 1 canceled'
jobs
expect_json "pull request 7: no queued job left, those canceled name the close" \
  "not any(x['pull_request'] == 7 and x['state'] == 'queued' for x in j['jobs']) and any(x['pull_request'] == 7 and x['reason'] == 'pull request closed' for x in j['jobs'])"
expect_json "its leased job goes on, pull request 8's jobs too" \
  "any(x['id'] == $LEASED and x['state'] == 'leased' for x in j['jobs']) and sum(x['pull_request'] == 8 and x['state'] == 'queued' for x in j['jobs']) == 2"
hook pull_request d-pr-6 "$(pull labeled 8 "$C")"
expect "another action: 202, ignored" 202 'ignored'
fork="{\"action\":\"opened\",\"number\":9,\"pull_request\":{\"head\":{\"ref\":\"trunk\",\"sha\":\"$E\",
  \"repo\":{\"full_name\":\"alice/widget\"}},\"base\":{\"ref\":\"trunk\",\"sha\":\"$A\"}},$repo}"
hook pull_request d-pr-fork "$fork"
expect "a pull request from a fork: 202" 202 '2 jobs enqueued'
jobs "sha=$E"
expect_json "it runs on pull/9/head, not the fork's branch name" \
  "len(j['jobs']) == 2 and all(x['pull_request'] == 9 and x['branch'] == 'pull/9/head' and x['base_branch'] == 'trunk' for x in j['jobs'])"

# ---- bad deliveries ----
hook push d-bad-1 'not json'
expect "a body that is not JSON: 400" 400 '"field":"body"'
hook push d-bad-2 "{\"ref\":\"refs/heads/trunk\",$repo}"
expect "a push without after: 400 naming it" 400 '"field":"after"'
hook push d-bad-3 "{\"ref\":\"refs/heads/trunk\",\"after\":\"xyz\",$repo}"
expect "a push with a bad sha: 400" 400 '"field":"after"'
hook push d-bad-4 "{\"ref\":\"refs/heads/trunk\",\"after\":\"$C\"}"
expect "no repository: 400" 400 '"field":"repository.full_name"'
hook pull_request d-bad-5 "{\"action\":\"opened\",\"number\":3,\"pull_request\":{\"head\":{\"ref\":\"x\"},\"base\":{\"ref\":\"trunk\"}},$repo}"
expect "a pull request without head.sha: 400" 400 '"field":"pull_request.head.sha"'
hook pull_request d-bad-6 "{\"action\":\"opened\",\"number\":\"3\",$repo}"
expect "a number that is a string: 400" 400 '"field":"number"'
hook pull_request d-bad-7 "{\"number\":3,$repo}"
expect "no action: 400" 400 '"field":"action"'
hook 'Push!' d-bad-8 "$(push refs/heads/trunk "$C")"
expect "a bad event name: 400" 400 '"field":"X-GitHub-Event"'
printf '%s' "$(push refs/heads/trunk "$C")" >"$TMP/p2"
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: push' \
  -H "X-Hub-Signature-256: $(sign "$TMP/p2")" --data-binary "@$TMP/p2"
expect "no delivery id: 400" 400 '"field":"X-GitHub-Delivery"'
hook issues d-other '{"action":"opened","issue":{}}'
expect "another event: 202, ignored" 202 'ignored'

# ---- body limits ----
"$PY" -c 'import json; print(json.dumps({"zen": "x" * (1 << 20), "hook_id": 1}))' >"$TMP/big"
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: ping' -H 'X-GitHub-Delivery: d-big' \
  -H "X-Hub-Signature-256: $(sign "$TMP/big")" --data-binary "@$TMP/big"
expect "a 1 MB delivery over --max-body 100000 is taken (25 MB limit)" 202
req POST /api/v1/projects/widget/runs "${ag[@]}" --data-binary "@$TMP/big"
expect "other routes keep --max-body" 413
head -c $((25 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/huge"
wreq POST /api/v1/github/webhook "${json[@]}" -H 'X-GitHub-Event: ping' -H 'X-GitHub-Delivery: d-huge' \
  -H "X-Hub-Signature-256: sha256=00" --data-binary "@$TMP/huge"
expect "over 25 MB: 413" 413 '"code":"too_large"'
# A Content-Length over the limit is refused from the headers alone: the answer comes while
# not one byte of the body has been sent.
"$PY" - "${URL#http://}" >"$TMP/early" 2>&1 <<'PYEOF'
import socket, sys
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)), timeout=5)
s.sendall(b"POST /api/v1/github/webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"X-GitHub-Event: ping\r\nX-GitHub-Delivery: d-early\r\n"
          b"Content-Length: %d\r\n\r\n" % (25 * 1024 * 1024 + 1))
answer = b""
while b"\r\n\r\n" not in answer:
    chunk = s.recv(4096)
    if not chunk:
        break
    answer += chunk
print(answer.split(b"\r\n", 1)[0].decode())
PYEOF
has early '^HTTP/1.1 413' "a Content-Length over 25 MB is answered 413 before any of the body is sent"

# ---- the enqueue API's base_branch ----
CI=$(make_token "$DB" --project widget --role ci --name ci)
ci=(-H "Authorization: Bearer $CI" "${json[@]}")
req POST /api/v1/projects/widget/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"f\",\"base_branch\":\"trunk\",\"testbeds\":[\"tb1\"]}"
expect "enqueue with base_branch" 201 '"base_branch":"trunk"'
req POST /api/v1/projects/widget/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"f\",\"base_branch\":\"a..b\"}"
expect "a bad base_branch: 400" 400 '"field":"base_branch"'
req POST /api/v1/projects/widget/jobs "${ci[@]}" -d "{\"sha\":\"$A\",\"branch\":\"f\",\"base_branch\":\"trunk\",\"base_sha\":\"$B\"}"
expect "base_branch with base_sha: 400" 400 '"field":"base_branch"'

# ---- the secret stays secret ----
stop_server
check "the secret is in no log line" bash -c '! grep -qF -- "$1" "$2" "$3"' _ "$SECRET" "$TMP/server.err" "$TMP/server.out"
check "nor in the database" bash -c '! grep -qaF -- "$1" "$2"*' _ "$SECRET" "$DB"
check "nor in any answer ($(wc -l <"$TMP/answers") of them)" \
  bash -c 'test -s "$2" && ! grep -qF -- "$1" "$2"' _ "$SECRET" "$TMP/answers"

# ---- without a secret ----
start_server "$DB"
hook ping d-nosecret '{"zen":"z"}'
expect "no secret: 503 saying how to set one" 503 'webhook-secret-file'
stop_server
BENCHGATE_WEBHOOK_SECRET=$SECRET start_server "$DB"
hook ping d-env '{"zen":"z"}'
expect "the secret from BENCHGATE_WEBHOOK_SECRET" 202
stop_server
: >"$TMP/empty"
expect_exit 2 "an empty secret file exits 2" -- "$SERVER" --db "$DB" --listen 127.0.0.1:0 --webhook-secret-file "$TMP/empty"
has err 'is empty'
expect_exit 2 "a missing secret file exits 2" -- "$SERVER" --db "$DB" --listen 127.0.0.1:0 --webhook-secret-file "$TMP/nope"
has err 'nope'
expect_exit 0 "--help" -- "$SERVER" --help
has -F out '--webhook-secret-file FILE' "--help explains --webhook-secret-file"
has -F out 'BENCHGATE_WEBHOOK_SECRET' "--help names BENCHGATE_WEBHOOK_SECRET"
finish
