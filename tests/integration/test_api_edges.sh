#!/usr/bin/env bash
# test_api_edges.sh: the real benchgated over real HTTP: authentication, limits, validation,
# idempotent uploads, the read endpoints, static files, --private, backup and SIGTERM.
#
# Needs BG_BUILD (the build directory; binaries in $BG_BUILD/bin) and curl. Starts servers on
# 127.0.0.1 port 0 with a temporary database and stops them on exit. Prints "N passed,
# M failed" last and exits non-zero on any failure.
set -uo pipefail

. "$(dirname "$0")/lib.sh"

json=(-H 'Content-Type: application/json')

# run_json RUN_ID SHA [SAMPLES] [BENCHMARK]: a run payload.
run_json() {
  local id=$1 sha=$2 samples=${3:-'[10.5, 11.0, 10.75]'} bench=${4:-'BM_Parse/4096'}
  cat <<EOF
{"schema":"benchgate.run/v1","run_id":"$id",
 "commit":{"sha":"$sha","branch":"main","message":"Speed up the tokenizer",
           "author":"A. Dev <a@example.org>","timestamp":"2026-11-20T12:00:00Z"},
 "testbed":{"name":"epyc-pinned","fingerprint":{"cpus":2}},
 "agent":{"name":"bench-01","version":"0.1.0"},
 "results":[{"benchmark":"$bench","measure":"wall_time","samples":$samples},
            {"benchmark":"fib 20","measure":"wall_time","unit":"ns","direction":"lower",
             "summary":{"n":100,"mean":19532.0,"stddev":5391.0}}]}
EOF
}

SHA1=1111111111111111111111111111111111111111
SHA2=2222222222222222222222222222222222222222
RUN1=0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11
RUN2=0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b12

DB="$TMP/bg.db"
mkdir -p "$TMP/web/js" "$TMP/outside"
echo '<!doctype html><title>benchgate</title>' >"$TMP/web/index.html"
echo 'export const x = 1;' >"$TMP/web/js/app.js"
echo 'secret' >"$TMP/outside/secret.txt"
ln -s ../outside/secret.txt "$TMP/web/leak.txt"

# ---- tokens with the real command line ----
ADMIN=$(make_token "$DB" --role admin --name root)
[[ $ADMIN =~ ^bgt_[A-Za-z0-9_-]{43}$ ]] && ok "token create prints one token" ||
  bad "token create printed '$ADMIN'"
make_token "$DB" --role wizard >/dev/null 2>&1
[[ $? == 2 ]] && ok "token create with a bad role exits 2" || bad "bad role exit status"
"$SERVER" --threads zero >/dev/null 2>&1
[[ $? == 2 ]] && ok "bad flag exits 2" || bad "bad flag exit status"

start_server "$DB" --web "$TMP/web" --threads 2 --max-body 65536
auth_admin=(-H "Authorization: Bearer $ADMIN")

req GET /healthz
expect "healthz answers ok" 200 '"status":"ok"'

req POST /api/v1/projects "${json[@]}" -d '{"slug":"demo","github_repo":"acme/demo"}'
expect "create project without a token is 401" 401 '"code":"unauthorized"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" \
  -d '{"slug":"demo","github_repo":"acme/demo"}'
expect "admin creates a project" 201 '"slug":"demo"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"demo"}'
expect "duplicate project is 409" 409 '"code":"conflict"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"Bad Slug"}'
expect "bad project slug is 400 naming slug" 400 '"field":"slug"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"w","gate_window":1}'
expect "a gate window below 2 is 400 naming it" 400 '"field":"gate_window"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"w","alpha":"0.1"}'
expect "a non-numeric alpha is 400 naming it" 400 '"field":"alpha"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" \
  -d '{"slug":"other","alpha":0.01,"gate_window":50}'
expect "admin creates a second project with its own gate settings" 201 \
  '"alpha":0.01,"gate_window":50,"noise_window":100,"pr_comments":false'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"w","pr_comments":"yes"}'
expect "pr_comments that is no boolean is 400 naming it" 400 '"field":"pr_comments"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" \
  -d '{"slug":"talks","github_repo":"acme/talks","pr_comments":true}'
expect "a project with pull-request comments" 201 '"pr_comments":true'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" \
  -d '{"slug":"w","gate_window":50,"noise_window":40}'
expect "a noise window shorter than the gate window is 400 naming it" 400 \
  '"message":"must be at least gate_window \(50\)","field":"noise_window"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"w","noise_window":1001}'
expect "a noise window above 1000 is 400 naming it" 400 '"field":"noise_window"'
req POST /api/v1/projects "${json[@]}" "${auth_admin[@]}" -d '{"slug":"w2","noise_window":200}'
expect "a longer noise window is kept" 201 '"gate_window":30,"noise_window":200'
req GET /api/v1/projects
expect "projects list is public" 200 '"slug":"demo".*"slug":"other"'

AGENT_TOKEN=$(make_token "$DB" --project demo --role agent --name bench-01)
READER=$(make_token "$DB" --project demo --role read)
OTHER=$(make_token "$DB" --project other --role agent)
REVOKED=$(make_token "$DB" --project demo --role agent)
make_token "$DB" --project nope --role agent >/dev/null 2>&1
[[ $? != 0 ]] && ok "token for an unknown project is refused" || bad "token for unknown project"
REVOKED_ID=$("$SERVER" token list --db "$DB" | awk -F'\t' 'NR > 1 {id = $1} END {print id}')
"$SERVER" token revoke --db "$DB" "$REVOKED_ID" && ok "token revoke" || bad "token revoke"
if "$SERVER" token list --db "$DB" | grep -q -e "$AGENT_TOKEN" -e "$ADMIN"; then
  bad "token list shows secrets"
else
  ok "token list shows no secrets"
fi

auth_agent=(-H "Authorization: Bearer $AGENT_TOKEN")
run_json $RUN1 $SHA1 >"$TMP/run1.json"

# ---- authentication and roles ----
req POST /api/v1/projects/demo/runs "${json[@]}" --data-binary @"$TMP/run1.json"
expect "upload without a token is 401" 401
req POST /api/v1/projects/demo/runs "${json[@]}" -H "Authorization: Bearer bgt_wrong" \
  --data-binary @"$TMP/run1.json"
expect "upload with a wrong token is 401" 401
req POST /api/v1/projects/demo/runs "${json[@]}" -H "Authorization: Bearer $REVOKED" \
  --data-binary @"$TMP/run1.json"
expect "upload with a revoked token is 401" 401
req POST /api/v1/projects/demo/runs "${json[@]}" -H "Authorization: Bearer $READER" \
  --data-binary @"$TMP/run1.json"
expect "upload with a read token is 403" 403 '"code":"forbidden"'
req POST /api/v1/projects/demo/runs "${json[@]}" -H "Authorization: Bearer $OTHER" \
  --data-binary @"$TMP/run1.json"
expect "upload with another project's token is 403" 403 'another project'
req POST /api/v1/projects "${json[@]}" "${auth_agent[@]}" -d '{"slug":"x"}'
expect "agent cannot create projects" 403

# Authentication comes before the project is looked up: a stranger cannot tell from the
# answer whether a project exists, and a project's token cannot either for other projects.
req POST /api/v1/projects/nope/runs "${json[@]}" --data-binary @"$TMP/run1.json"
expect "upload to an unknown project without a token is 401" 401 '"code":"unauthorized"'
req POST /api/v1/projects/nope/runs "${json[@]}" -H "Authorization: Bearer bgt_wrong" \
  --data-binary @"$TMP/run1.json"
expect "upload to an unknown project with a wrong token is 401" 401 '"code":"unauthorized"'
req POST /api/v1/projects/nope/runs "${json[@]}" -H "Authorization: Bearer $REVOKED" \
  --data-binary @"$TMP/run1.json"
expect "upload to an unknown project with a revoked token is 401" 401
req POST /api/v1/projects/nope/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/run1.json"
expect "upload to an unknown project with another project's token is 403 as for a known one" \
  403 'another project'
req POST /api/v1/projects/nope/alerts/1/ack "${json[@]}" -d '{"note":"x"}'
expect "ack in an unknown project without a token is 401" 401 '"code":"unauthorized"'
req POST /api/v1/projects/nope/alerts/1/ack "${json[@]}" -H "Authorization: Bearer $READER" \
  -d '{"note":"x"}'
expect "ack in an unknown project with another project's token is 403" 403 'another project'
req POST /api/v1/projects/demo/alerts/1/ack "${json[@]}" "${auth_agent[@]}" -d '{"note":"x"}'
expect "ack with an agent token is 403 before the alert is looked up" 403 'admin role'
req GET /api/v1/projects/nope/commits -H "Authorization: Bearer bgt_wrong"
expect "a public read with a wrong token is 401 even for an unknown project" 401

# ---- limits and validation ----
head -c 70000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/big.json"
expect "oversized body is 413" 413 '"code":"too_large"'
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" \
  -H 'Transfer-Encoding: chunked' --data-binary @"$TMP/big.json"
expect "oversized chunked body is 413" 413
req POST /api/v1/projects/demo/runs -H 'Content-Type: text/plain' "${auth_agent[@]}" \
  --data-binary @"$TMP/run1.json"
expect "text/plain is 415" 415 '"code":"unsupported_media_type"'
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" -d '{"schema": '
expect "malformed JSON is 400" 400 '"code":"malformed_json"'
run_json $RUN2 $SHA2 '[1.0, 1e999]' >"$TMP/inf.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/inf.json"
expect "1e999 sample is 400 naming the field" 400 '"field":"results\[0\]\.samples\[1\]"'
run_json $RUN2 $SHA2 '[1.0, NaN]' >"$TMP/nan.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/nan.json"
expect "NaN sample is 400 naming the field" 400 '"field":"results\[0\]\.samples\[1\]"'
run_json $RUN2 $SHA2 '[1.0]' 'bad\u0001name' >"$TMP/ctl.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/ctl.json"
expect "benchmark name with a control character is 400" 400 '"field":"results\[0\]\.benchmark"'
run_json not-a-uuid $SHA2 >"$TMP/badid.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/badid.json"
expect "bad run_id is 400 naming run_id" 400 '"field":"run_id"'
req POST /api/v1/projects/nope/runs "${json[@]}" "${auth_admin[@]}" --data-binary @"$TMP/run1.json"
expect "unknown project is 404 for a server-wide token" 404 '"code":"project_not_found"'
req GET /api/v1/projects/demo/runs
expect "GET on the upload path is 405" 405 '"code":"method_not_allowed"'
allow=$(curl -s -o /dev/null -D - -X DELETE "$URL/api/v1/projects" | tr -d '\r' |
  awk -F': ' 'tolower($1) == "allow" {print $2}')
[[ $allow == "GET, HEAD, POST" ]] && ok "405 carries Allow" || bad "Allow header was '$allow'"
req GET /api/v1/nothing
expect "unknown API path is 404 JSON" 404 '"error":\{"code":"not_found"'

# ---- upload, replay, conflict ----
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/run1.json"
expect "upload is 201 with a verdict" 201 "\"run_id\":\"$RUN1\",\"verdict\":\\{\"state\":\"no_baseline\""
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/run1.json"
expect "replay is 200 with the stored answer" 200 "\"run_id\":\"$RUN1\",\"verdict\":\\{\"state\":\"no_baseline\""
run_json $RUN1 $SHA1 '[10.5, 11.0, 99.0]' >"$TMP/run1b.json"
req POST /api/v1/projects/demo/runs "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/run1b.json"
expect "conflicting replay is 409" 409 '"field":"run_id"'
run_json $RUN2 $SHA2 '[12.5, 13.0, 12.75]' 'BM_Parse/4096' |
  sed 's/2026-11-20T12:00:00Z/2026-11-21T12:00:00Z/' >"$TMP/run2.json"
req POST /api/v1/projects/demo/runs "${json[@]}" -H "Authorization: Bearer $ADMIN" \
  --data-binary @"$TMP/run2.json"
expect "server-wide admin token uploads too" 201

SHA3=3333333333333333333333333333333333333333
RUN3=0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b13
run_json $RUN3 $SHA3 | sed 's/"cpus":2/"cpus":4/' >"$TMP/run3.json"
loc=$(curl -s -o /dev/null -D - "${json[@]}" "${auth_agent[@]}" --data-binary @"$TMP/run3.json" \
  "$URL/api/v1/projects/demo/runs" | tr -d '\r' | awk -F': ' 'tolower($1) == "location" {print $2}')
[[ $loc == "/api/v1/projects/demo/runs/$RUN3" ]] && ok "201 carries Location" ||
  bad "Location header was '$loc'"
req GET "/api/v1/projects/demo/runs/$RUN3"
expect "a changed testbed fingerprint is a stored warning" 200 'fingerprint changed'

# ---- reads ----
req GET "/api/v1/projects/demo/runs/$RUN1"
expect "run reads back with samples" 200 '"samples":\[10.5,11,10.75\]'
req GET "/api/v1/projects/demo/runs/0f9c4f0e-8d7a-4a53-9f76-000000000000"
expect "unknown run is 404" 404
req GET "/api/v1/projects/demo/commits?branch=main&testbed=epyc-pinned&limit=1"
expect "history newest first, paginated" 200 "\"sha\":\"$SHA2\".*\"next\":\"$SHA2\""
req GET "/api/v1/projects/demo/commits?limit=2&before=$SHA2"
expect "history second page: same time, later arrival first" 200 \
  "\"sha\":\"$SHA3\".*\"sha\":\"$SHA1\".*\"runs\":1"
req GET "/api/v1/projects/demo/commits?limit=0"
expect "limit 0 is 400 naming limit" 400 '"field":"limit"'
req GET "/api/v1/projects/demo/commits?before=xyz"
expect "bad cursor is 400 naming before" 400 '"field":"before"'
req GET "/api/v1/projects/demo/commits/$SHA1"
expect "commit with its runs" 200 "\"run_id\":\"$RUN1\""
req GET "/api/v1/projects/demo/benchmarks?testbed=epyc-pinned"
expect "benchmarks with latest values" 200 '"benchmark":"BM_Parse/4096".*"mean":12.75'
series="/api/v1/projects/demo/series?benchmark=BM_Parse%2F4096&measure=wall_time"
req GET "$series&testbed=epyc-pinned"
expect "series oldest first" 200 "\"sha\":\"$SHA1\".*\"sha\":\"$SHA2\".*\"change_points\":\[\]"
req GET "/api/v1/projects/demo/series?benchmark=fib%2020&measure=wall_time&branch=main"
expect "series with a URL-decoded name" 200 '"benchmark":"fib 20"'
req GET "/api/v1/projects/demo/series?benchmark=a%01b&measure=wall_time"
expect "series rejects a control character in benchmark" 400 '"field":"benchmark"'
req GET "/api/v1/projects/demo/series?measure=wall_time"
expect "series without benchmark is 400" 400 '"field":"benchmark"'
req GET "/api/v1/projects/demo/series?benchmark=x&measure=wall_time&limit=20000"
expect "series limit over 10000 is 400" 400 '"field":"limit"'

# ---- static files ----
req GET /
expect "index.html at /" 200 'benchgate'
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$URL/js/app.js")
[[ $ctype == text/javascript* ]] && ok "JavaScript content type" || bad "content type '$ctype'"
csp=$(curl -s -o /dev/null -D - "$URL/" | tr -d '\r' | grep -i '^content-security-policy:')
[[ $csp == *"default-src 'self'"* ]] && ok "strict CSP header" || bad "CSP header '$csp'"
req GET /../outside/secret.txt --path-as-is
expect "traversal with .. is blocked" 404
req GET /%2e%2e/outside/secret.txt --path-as-is
expect "traversal with %2e%2e is blocked" 404
req GET /leak.txt
expect "symlink out of the web root is blocked" 404

# ---- slow clients and big headers ----
port=${URL##*:}
for fd in 5 6 7 8 9; do
  # Half a request each, then silence: these must not hold the two worker threads.
  eval "exec $fd<>/dev/tcp/127.0.0.1/$port"
  printf 'POST /api/v1/projects/demo/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n' >&$fd
done
t0=$(date +%s%N)
req GET /healthz
t1=$(date +%s%N)
if [[ $STATUS == 200 && $(((t1 - t0) / 1000000)) -lt 2000 ]]; then
  ok "stalled clients do not block other requests"
else
  bad "healthz behind stalled clients: $STATUS after $(((t1 - t0) / 1000000)) ms"
fi
for fd in 5 6 7 8 9; do eval "exec $fd>&-"; done
big=$(head -c 100000 /dev/zero | tr '\0' 'a')
req GET /healthz -H "X-Big: $big"
[[ $STATUS == 431 || $STATUS == 413 ]] && ok "a 100 kB header is refused ($STATUS)" ||
  bad "100 kB header answered $STATUS"

# ---- backup while running ----
"$SERVER" backup --db "$DB" --out "$TMP/copy.db" && ok "online backup" || bad "online backup"
if command -v sqlite3 >/dev/null; then
  n=$(sqlite3 "$TMP/copy.db" 'SELECT count(*) FROM runs')
  [[ $n == 3 ]] && ok "backup holds the runs" || bad "backup holds $n runs"
fi

# ---- SIGTERM exits 0 ----
stop_server TERM
rc=$?
[[ $rc == 0 ]] && ok "SIGTERM exits 0" || bad "SIGTERM exit status $rc"

# ---- --private ----
start_server "$DB" --private
req GET /api/v1/projects/demo/commits
expect "--private: reads need a token" 401
req GET /api/v1/projects/demo/commits -H "Authorization: Bearer $READER"
expect "--private: a read token reads" 200 "\"sha\":\"$SHA2\""
req GET /api/v1/projects/other/commits -H "Authorization: Bearer $READER"
expect "--private: not another project's history" 403
req GET /api/v1/projects -H "Authorization: Bearer $READER"
expect "--private: a project token lists its project only" 200 \
  '^\{"projects":\[\{"slug":"demo"[^]]*\]\}$'
for path in /api/v1/projects/nope /api/v1/projects/nope/commits /api/v1/projects/nope/commits/$SHA1 \
  /api/v1/projects/nope/commits/$SHA1/verdict /api/v1/projects/nope/benchmarks \
  "/api/v1/projects/nope/series?benchmark=b&measure=wall_time" \
  "/api/v1/projects/nope/compare?base=$SHA1&head=$SHA2" /api/v1/projects/nope/alerts \
  /api/v1/projects/nope/runs/$RUN1; do
  req GET "$path"
  expect "--private: $path without a token is 401, not 404" 401 '"code":"unauthorized"'
done
req GET /api/v1/projects/nope/commits -H "Authorization: Bearer bgt_wrong"
expect "--private: an unknown project with a wrong token is 401" 401
req GET /api/v1/projects/nope/commits -H "Authorization: Bearer $READER"
expect "--private: an unknown project with another project's token is 403" 403 'another project'
req GET /api/v1/projects/nope/commits -H "Authorization: Bearer $ADMIN"
expect "--private: an unknown project with a server-wide token is 404" 404 project_not_found

# ---- SIGTERM lets an upload in flight finish ----
{
  printf '{"schema":"benchgate.run/v1","run_id":"0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b14",'
  printf '"commit":{"sha":"4444444444444444444444444444444444444444","branch":"main"},'
  printf '"testbed":{"name":"epyc-pinned"},"results":['
  awk 'BEGIN { for (i = 0; i < 3000; i++) {
    printf "%s{\"benchmark\":\"b%d\",\"measure\":\"wall_time\",\"samples\":[", (i ? "," : ""), i
    for (j = 0; j < 20; j++) printf "%s%d.25", (j ? "," : ""), 1000 + j
    printf "]}" } }'
  printf ']}'
} >"$TMP/slow.json"
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 400K "${json[@]}" \
  -H "Authorization: Bearer $AGENT_TOKEN" --data-binary @"$TMP/slow.json" \
  "$URL/api/v1/projects/demo/runs" >"$TMP/slow.status" &
curl_pid=$!
sleep 0.5
stop_server TERM
rc=$?
wait "$curl_pid"
[[ $(cat "$TMP/slow.status") == 201 && $rc == 0 ]] && ok "SIGTERM drains an upload in flight" ||
  bad "drain: upload answered $(cat "$TMP/slow.status"), server exit $rc"

finish
