#!/usr/bin/env bash
# test_outbox.sh: the outbox's sender against a fake GitHub (github_stub.py), with the real
# benchgated (--github-api pointing at the stub, the token from BENCHGATE_GITHUB_TOKEN or
# --github-token-file). Rows are added through the real bg_outbox_add by the test helper
# tests/helpers/outbox_add (built as $BG_BUILD/tests/outbox_add), from another process while
# the server runs, as a state change would add them.
#
# Covers: statuses delivered in order and a superseded state never sent; 503s then a 403
# secondary rate limit with Retry-After, after which everything is delivered once, in order;
# X-RateLimit-Remaining 0 holding requests until the reset; rows left undelivered by a SIGKILL
# delivered after the restart, and a status GitHub took just before a SIGKILL not sent again; a comment created once, then edited in place, and found by its
# marker when the id table is empty (across pages of comments) and made anew when deleted on
# GitHub, and written anew when the marked comment is someone else's; a check run created then
# PATCHed; a 422 failing its row, listed by GET /api/v1/outbox; rows waiting without
# credentials and delivered once the server has them; SIGTERM sending the rows due before
# exiting and abandoning a hung request after its grace; the token in no log line, answer or
# database file.
set -u
source "$(dirname "$0")/lib.sh"

ADD="$BG_BUILD/tests/outbox_add"
SECRET="ghp_stub$(date +%s%N)secret"
export GITHUB_STUB_TOKEN=$SECRET
LOG=$TMP/github.jsonl
DB=$TMP/outbox.db
printf '%s\n' "$SECRET" >"$TMP/token"

start_stub "$BG_SOURCE/tests/integration/github_stub.py" "$LOG" --page-size 2
GH=$URL
ADMIN=$(make_token "$DB" --role admin)
READ=$(make_token "$DB" --role read)

# serve [ARGS...]: (re)starts benchgated on $DB against the stub, with the token in the
# environment unless TOKEN_ENV says otherwise. The last server's "listening" line goes first,
# so that the new server's address is the one read.
serve() {
  rm -f "$TMP/server.out"
  BENCHGATE_GITHUB_TOKEN=${TOKEN_ENV-$SECRET} start_server "$DB" --github-api "$GH" "$@"
}
serve
create_project "$ADMIN" '{"slug":"demo","github_repo":"octo/repo"}'
expect "project created" 201

sha() { printf '%040x' "$1"; }
# add KIND SHA-NUMBER CONTEXT PR BODY [...]: rows of project demo in octo/repo, one transaction.
add() {
  local args=()
  while [ $# -ge 5 ]; do
    args+=("$1" octo/repo "$(sha "$2")" "$3" "$4" "$5")
    shift 5
  done
  "$ADD" "$DB" demo "${args[@]}" || bad "outbox_add ${args[*]:0:3}"
}
status_body() { printf '{"state":"%s","context":"benchgate/%s","description":"d"}' "$1" "$2"; }
# stub PATH JSON: a control request to the stub.
stub() { curl -s -X POST "$GH$1" -H 'Content-Type: application/json' -d "$2" >/dev/null; }
# logq EXPR: a Python expression over the stub's requests (r: list of dicts, sha(n) the sha
# of number n, st(n): the 2xx status POSTs of sha n), printed.
logq() {
  "$PY" - "$LOG" "$1" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sha = lambda n: "%040x" % n
st = lambda n: [x for x in r if x["path"].endswith("/statuses/" + sha(n)) and x["status"] < 300]
print(eval(sys.argv[2]))
EOF
}
# wait_log NAME EXPR [SECONDS]: passes once logq EXPR prints True (default within 20 s).
wait_log() {
  local end=$((SECONDS + ${3:-20}))
  while [ $SECONDS -le $end ]; do
    [ "$(logq "$2")" = True ] && { ok "$1"; return 0; }
    sleep 0.1
  done
  bad "$1: $2 -> $(logq "$2")"
  return 1
}
# check_log NAME EXPR: passes when logq EXPR prints True now.
check_log() {
  local v
  v=$(logq "$2")
  if [ "$v" = True ]; then ok "$1"; else bad "$1: $2 -> $v"; fi
}
answers() { printf '%s\n' "$BODY" >>"$TMP/answers"; }

# ---- statuses in order, a superseded state never sent ----
add status 1 benchgate/tb1 0 "$(status_body pending tb1)" \
  status 1 benchgate/tb1 0 "$(status_body success tb1)" \
  status 2 benchgate/tb1 0 "$(status_body pending tb1)" \
  status 3 benchgate/tb1 0 "$(status_body pending tb1)"
wait_log "three statuses delivered" 'len(st(1)) + len(st(2)) + len(st(3)) == 3'
check_log "in the order they were added" \
  '[x["path"][-40:] for x in r if "/statuses/" in x["path"]] == [sha(1), sha(2), sha(3)]'
check_log "only the newest state of a context went out" \
  '[x["body"]["state"] for x in st(1)] == ["success"]'
add status 2 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "a later state of a key follows its earlier one" \
  '[x["body"]["state"] for x in st(2)] == ["pending", "success"]'
check_log "every request carried the token" 'all(x["authorized"] for x in r)'
check_log "statuses go to POST /repos/octo/repo/statuses/SHA" \
  'all(x["method"] == "POST" and x["path"].startswith("/repos/octo/repo/statuses/") for x in r)'

# ---- an outage: 503s, then a secondary rate limit with Retry-After ----
stub /_stub/rules '{"count":3,"status":503,"body":{"message":"Service Unavailable"}}'
stub /_stub/rules '{"count":1,"status":403,"headers":{"Retry-After":"2"},
  "body":{"message":"You have exceeded a secondary rate limit."}}'
n0=$(logq 'len(r)')
add status 11 benchgate/tb1 0 "$(status_body success tb1)" \
  status 12 benchgate/tb1 0 "$(status_body success tb1)" \
  status 13 benchgate/tb2 0 "$(status_body failure tb2)" \
  status 14 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "after 503s and a secondary rate limit, all four delivered" \
  'all(len(st(n)) >= 1 for n in (11, 12, 13, 14))' 40
check_log "the outage answered 503 three times, then 403" \
  "[x['status'] for x in r[$n0:$n0 + 4]] == [503, 503, 503, 403]"
check_log "each delivered once" 'all(len(st(n)) == 1 for n in (11, 12, 13, 14))'
check_log "in the order they were added" \
  '[x["path"][-40:] for x in r if x["status"] == 201][-4:] == [sha(n) for n in (11, 12, 13, 14)]'
check_log "nothing was sent for 2 s after the secondary rate limit" \
  "r[$n0 + 4]['t'] - r[$n0 + 3]['t'] >= 1.9"
has server.err 'rate limited; sending resumes at 20[0-9-]+T' "the rate limit is logged with when it ends"
has server.err 'attempt 1: HTTP 503: Service Unavailable; next attempt at' "a retry is logged"
has server.err 'delivered after 5 attempts' "the delivery after failures is logged"

# ---- X-RateLimit-Remaining 0 holds every request until X-RateLimit-Reset ----
stub /_stub/rules '{"count":1,"headers":{"X-RateLimit-Remaining":"0","X-RateLimit-Reset":"+2"}}'
add status 21 benchgate/tb1 0 "$(status_body success tb1)" \
  status 22 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "both delivered after the rate limit's reset" 'len(st(21)) == 1 and len(st(22)) == 1'
check_log "the second waited for the reset" 'st(22)[0]["t"] - st(21)[0]["t"] > 1.0'

# ---- /metrics: the rate limit GitHub's last answer gave ----
reset=$(($(date +%s) + 3600))
stub /_stub/rules '{"count":1,"headers":{"X-RateLimit-Remaining":"4321","X-RateLimit-Reset":"+3600"}}'
add status 25 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "a status delivered with X-RateLimit-Remaining 4321" 'len(st(25)) == 1'
curl -s "$URL/metrics" >"$TMP/m1.prom"
CHECK="$BG_SOURCE/tests/integration/prom_check.py"
expect_exit 0 "/metrics parses with the rate limit gauges" -- "$PY" "$CHECK" "$TMP/m1.prom"
has -F m1.prom '# TYPE benchgate_github_rate_limit_remaining gauge' "/metrics has the remaining gauge"
check "benchgate_github_rate_limit_remaining is 4321" \
  test "$("$PY" "$CHECK" "$TMP/m1.prom" benchgate_github_rate_limit_remaining)" = 4321
got=$(sed -n 's/^benchgate_github_rate_limit_reset_timestamp_seconds \([0-9]*\)$/\1/p' "$TMP/m1.prom")
check "benchgate_github_rate_limit_reset_timestamp_seconds is the reset ($got, want ~$reset)" \
  test "${got%.*}" -ge $((reset - 5)) -a "${got%.*}" -le $((reset + 5))

# ---- SIGKILL with rows undelivered: delivered after the restart ----
stub /_stub/rules '{"count":100000,"status":502}'
add status 31 benchgate/tb1 0 "$(status_body success tb1)" \
  status 32 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "GitHub fails the first row" \
  'any(x["path"].endswith(sha(31)) and x["status"] == 502 for x in r)'
stop_server KILL
stub /_stub/clear '{}'
TOKEN_ENV="" serve --github-token-file "$TMP/token"
wait_log "after a SIGKILL and a restart, both delivered" \
  'len(st(31)) == 1 and len(st(32)) == 1' 30
check_log "in order, once each" \
  '[x["path"][-40:] for x in r if x["status"] == 201][-2:] == [sha(31), sha(32)]'

# ---- SIGKILL after GitHub took a status, before its answer was recorded: not sent twice ----
stub /_stub/rules '{"count":1,"match":"/statuses/","delay":30}'
add status 33 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "GitHub has the status; its answer is slow" 'len(st(33)) == 1'
stop_server KILL
serve
wait_log "after the restart the sender looks at the commit's statuses" \
  'any(x["method"] == "GET" and x["path"].endswith(sha(33) + "/statuses") for x in r)'
req GET /api/v1/outbox -H "Authorization: Bearer $ADMIN"
for _ in $(seq 1 50); do
  [ "$(json 'j["pending"]')" = 0 ] && break
  sleep 0.1
  req GET /api/v1/outbox -H "Authorization: Bearer $ADMIN"
done
expect_json "and records the row delivered" 'j["pending"] == 0'
check_log "without sending it a second time" \
  'len([x for x in r if x["method"] == "POST" and x["path"].endswith(sha(33))]) == 1'
# The same, when the status never reached GitHub (the stub logged the POST but failed it).
stub /_stub/rules '{"count":1,"match":"/statuses/","status":502,"delay":30}'
add status 34 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "a status POST is in flight" 'any(x["path"].endswith(sha(34)) for x in r)'
stop_server KILL
serve
wait_log "after the restart a status GitHub lacks is sent" 'len(st(34)) == 1'

# ---- one comment per pull request and context, edited in place ----
c1=$'{"body":"report v1\\n<!-- benchgate:benchgate/tb1 -->"}'
c2=$'{"body":"report v2\\n<!-- benchgate:benchgate/tb1 -->"}'
c3=$'{"body":"report v3\\n<!-- benchgate:benchgate/tb1 -->"}'
add comment 40 benchgate/tb1 7 "$c1"
wait_log "a first comment is created" \
  'any(x["method"] == "POST" and x["path"] == "/repos/octo/repo/issues/7/comments" for x in r)'
check_log "after looking for its marker" \
  '[x["method"] for x in r if x["path"].startswith("/repos/octo/repo/issues/7/")] == ["GET", "POST"]'
add comment 41 benchgate/tb1 7 "$c2"
wait_log "the next report edits it" \
  'any(x["method"] == "PATCH" and "/issues/comments/" in x["path"] for x in r)'
sqlite3 "$DB" "DELETE FROM github_objects WHERE kind = 'comment'"
add comment 42 benchgate/tb1 7 "$c3"
wait_log "with the id table empty, the comment is found by its marker and edited" \
  'len([x for x in r if x["method"] == "PATCH" and "/issues/comments/" in x["path"]]) == 2'
BODY=$(curl -s "$GH/_stub/state")
expect_json "pull request 7 has one comment, the newest report" \
  'len(j["comments"]["octo/repo#7"]) == 1 and "report v3" in j["comments"]["octo/repo#7"][0]["body"]'
check_log "never a second POST" \
  'len([x for x in r if x["method"] == "POST" and "/issues/7/comments" in x["path"]]) == 1'
# Someone deleted the comment on GitHub: the next report makes a new one.
stub /_stub/uncomment '{"repo":"octo/repo","pr":7}'
n0=$(logq 'len(r)')
add comment 44 benchgate/tb1 7 "$c1"
wait_log "a comment deleted on GitHub is made anew" \
  "[(x['method'], x['status']) for x in r[$n0:]] == [('PATCH', 404), ('GET', 200), ('POST', 201)]"
BODY=$(curl -s "$GH/_stub/state")
expect_json "once" 'len(j["comments"]["octo/repo#7"]) == 1'
# A comment of an earlier server (no id kept) on the second page of a pull request's comments.
for b in first second third; do stub /_stub/comment "{\"repo\":\"octo/repo\",\"pr\":8,\"body\":\"$b\"}"; done
stub /_stub/comment '{"repo":"octo/repo","pr":8,"body":"old\n<!-- benchgate:benchgate/tb1 -->"}'
stub /_stub/comment '{"repo":"octo/repo","pr":8,"body":"fifth"}'
n0=$(logq 'len(r)')
add comment 43 benchgate/tb1 8 "$c1"
wait_log "an existing marked comment on page 2 is edited" \
  "[(x['method'], x['status']) for x in r[$n0:]] == [('GET', 200), ('GET', 200), ('PATCH', 200)]"
check_log "reading the pages by their Link" \
  '[x["query"] for x in r if x["path"] == "/repos/octo/repo/issues/8/comments"] == ["per_page=100", "per_page=2&page=2"]'
BODY=$(curl -s "$GH/_stub/state")
expect_json "pull request 8 still has five comments, the marked one edited" \
  'len(j["comments"]["octo/repo#8"]) == 5 and "report v1" in j["comments"]["octo/repo#8"][3]["body"]'

# Someone else's comment carries the marker: benchgate may not edit it and writes its own.
stub /_stub/comment '{"repo":"octo/repo","pr":9,"body":"<!-- benchgate:benchgate/tb1 -->","foreign":true}'
n0=$(logq 'len(r)')
add comment 45 benchgate/tb1 9 "$c1"
wait_log "a marked comment benchgate may not edit gets a comment of benchgate's own" \
  "[(x['method'], x['status']) for x in r[$n0:]] == [('GET', 200), ('PATCH', 403), ('POST', 201)]"
add comment 46 benchgate/tb1 9 "$c2"
wait_log "which the next report edits" \
  "[(x['method'], x['status']) for x in r[$n0:]][3:] == [('PATCH', 200)]"
BODY=$(curl -s "$GH/_stub/state")
expect_json "the other comment is untouched" \
  'len(j["comments"]["octo/repo#9"]) == 2 and j["comments"]["octo/repo#9"][0]["body"] == "<!-- benchgate:benchgate/tb1 -->"'

# ---- a check run: created, then updated ----
cr() { printf '{"name":"benchgate/tb1","head_sha":"%s","status":"%s","output":{"title":"t","summary":"s"}}' "$(sha 50)" "$1"; }
add check_run 50 benchgate/tb1 0 "$(cr in_progress)"
wait_log "a check run is created" \
  'any(x["method"] == "POST" and x["path"] == "/repos/octo/repo/check-runs" for x in r)'
add check_run 50 benchgate/tb1 0 "$(cr completed)"
wait_log "then PATCHed" \
  'any(x["method"] == "PATCH" and x["path"].startswith("/repos/octo/repo/check-runs/") for x in r)'
BODY=$(curl -s "$GH/_stub/state")
expect_json "one check run, completed" \
  'len(j["check_runs"]["octo/repo"]) == 1 and list(j["check_runs"]["octo/repo"].values())[0]["status"] == "completed"'

# ---- a 422 fails its row for good; GET /api/v1/outbox lists it ----
stub /_stub/rules '{"count":1,"match":"/statuses/","status":422,"body":{"message":"Validation Failed"}}'
add status 60 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "GitHub refuses the status" 'any(x["status"] == 422 for x in r)'
sleep 0.3
req GET /api/v1/outbox -H "Authorization: Bearer $ADMIN"
answers
expect "GET /api/v1/outbox" 200
expect_json "lists the failed row with its error" \
  'any(x["state"] == "failed" and x["sha"] == "%040x" % 60 and x["last_error"] == "HTTP 422: Validation Failed" and x["attempts"] == 1 and x["kind"] == "status" and x["repo"] == "octo/repo" and x["context"] == "benchgate/tb1" for x in j["rows"])'
expect_json "and nothing pending" 'j["pending"] == 0 and j["failed"] == 1'
has server.err 'status octo/repo@0000000 benchgate/tb1 failed for good \(outbox row [0-9]+\): HTTP 422: Validation Failed' \
  "the failure is logged"
req GET /api/v1/outbox
answers
expect "the outbox needs a token" 401
req GET /api/v1/outbox -H "Authorization: Bearer $READ"
answers
expect "and the admin role" 403

# ---- no credentials: rows wait, and go out once the server has them ----
stop_server
TOKEN_ENV="" serve
add status 70 benchgate/tb1 0 "$(status_body success tb1)"
end=$((SECONDS + 10))
while [ $SECONDS -le $end ]; do
  req GET /api/v1/outbox -H "Authorization: Bearer $ADMIN"
  grep -q 'no GitHub credentials configured' <<<"$BODY" && break
  sleep 0.2
done
answers
expect_json "without credentials a row stays pending, saying why" \
  'any(x["state"] == "pending" and x["sha"] == "%040x" % 70 and x["last_error"] == "no GitHub credentials configured" for x in j["rows"])'
check_log "and nothing is sent" 'len([x for x in r if sha(70) in x["path"]]) == 0'
has server.err 'no credentials configured' "the server says it sends nothing"
many=()
for n in $(seq 100 219); do many+=(status "$n" benchgate/tb1 0 "$(status_body success tb1)"); done
add "${many[@]}"
end=$((SECONDS + 10))
until grep -q 'outbox rows wait to be sent' "$TMP/server.err" || [ $SECONDS -gt $end ]; do
  sleep 0.2
done
has server.err 'github: 121 outbox rows wait to be sent' "a queue past 100 is logged"
stop_server
serve
wait_log "with credentials the waiting rows go out" \
  'len(st(70)) == 1 and all(len(st(n)) == 1 for n in range(100, 220))'
check_log "in order" \
  '[x["path"][-40:] for x in r][-121:] == [sha(n) for n in [70] + list(range(100, 220))]'
stop_server

# ---- SIGTERM with rows due: they are sent before the server exits ----
serve
stub /_stub/rules '{"count":3,"match":"/statuses/","delay":0.3}'
add status 90 benchgate/tb1 0 "$(status_body success tb1)" \
  status 91 benchgate/tb1 0 "$(status_body success tb1)" \
  status 92 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "GitHub takes the first of three rows, slowly" 'any(sha(90) in x["path"] for x in r)'
stop_server
check_log "all three were delivered before the server exited" \
  'all(len(st(n)) == 1 for n in (90, 91, 92))'

# ---- SIGTERM while GitHub hangs: the server stops after its grace (2 s); after the restart
# the row, which GitHub took, is not sent again ----
serve
stub /_stub/rules '{"count":1,"match":"/statuses/","delay":25}'
add status 80 benchgate/tb1 0 "$(status_body success tb1)"
wait_log "GitHub takes the request and hangs" 'any(sha(80) in x["path"] for x in r)'
t0=$(date +%s%N)
stop_server
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
check "SIGTERM with a request in flight exits 0 (exit $rc)" test "$rc" -eq 0
check "within the 2 s grace and a second, not the request's 25 s (${ms} ms)" test "$ms" -lt 3500
serve
wait_log "after the restart the abandoned row is looked up on GitHub, which has it" \
  'any(x["method"] == "GET" and x["path"].endswith(sha(80) + "/statuses") for x in r)'
check_log "so it is not sent again" 'len(st(80)) == 1'
stop_server

# ---- the token is nowhere ----
check "the token is in no log line" bash -c "! grep -qF -- '$SECRET' '$TMP/server.err' '$TMP/server.out'"
check "nor in any answer" bash -c "! grep -qF -- '$SECRET' '$TMP/answers'"
check "nor in the database files" bash -c "! grep -qaF -- '$SECRET' '$DB'* '$LOG'"
finish
