#!/usr/bin/env bash
# test_preflight.sh: `benchgate run` asks the real benchgated, before the build and the first
# suite, whether the project exists and the token may upload to it. A refused token (401),
# a token of another project or of the read role (403 / upload false) and an unknown project
# end the run with exit 2 before anything ran: the build and the suite write marker files,
# which must not exist afterwards. An unreachable server is only a warning: the suites run
# and the run is spooled (exit 3). --no-preflight skips the question, so a refused token is
# found only at the upload, after the suites ran. The access endpoint itself is checked with
# curl: 401 before the project is looked up, then 404, 403 and the role.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

export BENCHGATE_SPOOL="$TMP/spool" BENCHGATE_RETRY_ATTEMPTS=2 BENCHGATE_RETRY_BASE_MS=10
unset BENCHGATE_TOKEN GITHUB_REF GITHUB_HEAD_REF

db=$TMP/bench.db
start_server "$db"
admin=$(make_token "$db" --role admin --name it-admin)
for slug in demo other; do
  create_project "$admin" "{\"slug\":\"$slug\",\"default_branch\":\"main\"}"
  expect "project $slug created (201)" 201
done
agent=$(make_token "$db" --project demo --role agent)
reader=$(make_token "$db" --project demo --role read)
stranger=$(make_token "$db" --project other --role agent)
revoked=$(make_token "$db" --project demo --role agent)
"$SERVER" token list --db "$db" >"$TMP/tokens" 2>&1
revoked_id=$(awk 'END { print $1 }' "$TMP/tokens")
check "token $revoked_id revoked" "$SERVER" token revoke --db "$db" "$revoked_id"
unknown="bgt_$(printf 'x%.0s' $(seq 43))"

# The endpoint: GET /api/v1/projects/{p}/access.
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $agent"
expect "access: agent token of the project is 200" 200
expect_json "access: agent may upload" \
  "j == {'project': 'demo', 'role': 'agent', 'server_wide': False, 'upload': True, 'comparison': {'mode': 'history', 'rounds': 3}}"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $reader"
expect_json "access: read token may not upload" "j['role'] == 'read' and j['upload'] is False"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $admin"
expect_json "access: server-wide admin may upload" "j['server_wide'] is True and j['upload'] is True"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $stranger"
expect "access: another project's token is 403" 403
req GET /api/v1/projects/nosuch/access -H "Authorization: Bearer $admin"
expect "access: unknown project is 404" 404
expect_json "access: 404 names the project" "j['error']['code'] == 'project_not_found'"
req GET /api/v1/projects/nosuch/access -H "Authorization: Bearer $unknown"
expect "access: unknown token is 401 even for an unknown project" 401
req GET /api/v1/projects/demo/access
expect "access: no token is 401 (reads are public, this is about the token)" 401
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $revoked"
expect "access: revoked token is 401" 401
req POST /api/v1/projects/demo/access -H "Authorization: Bearer $agent"
expect "access: POST is 405" 405

# A repository whose build and suite leave marker files.
git_repo "$TMP/repo"
cat >benchgate.yml <<YML
project: demo
testbed: it-box
build: touch "$TMP/built"
suites:
  - name: marker
    command: touch "$TMP/ran"
    repetitions: 2
    warmup: 0
YML
sed 's/^project: demo/project: nosuch/' benchgate.yml >nosuch.yml
git add . && git commit -q -m "Benchmarks"

# run_agent WANT NAME TOKEN [args]: `benchgate run` with BENCHGATE_TOKEN=TOKEN; markers
# cleared first; stderr in $TMP/err.
run_agent() {
  local want=$1 name=$2 token=$3
  shift 3
  rm -f "$TMP/built" "$TMP/ran"
  expect_exit "$want" "$name: exit $want" -- env BENCHGATE_TOKEN="$token" "$AGENT" run "$@"
}
# nothing_ran NAME: neither the build nor the suite ran.
nothing_ran() {
  if [ ! -e "$TMP/built" ] && [ ! -e "$TMP/ran" ]; then ok "$1: nothing ran"; else
    bad "$1: the build or the suite ran"; fi
}

run_agent 2 "unknown token" "$unknown" --server "$URL"
nothing_ran "unknown token"
has -F err "token rejected (401)" "unknown token: says token rejected (401)"
has -F err "nothing was run" "unknown token: says nothing was run"

run_agent 2 "revoked token" "$revoked" --server "$URL"
nothing_ran "revoked token"
has -F err "token rejected (401)" "revoked token: says token rejected (401)"

run_agent 2 "read token" "$reader" --server "$URL"
nothing_ran "read token"
has -F err "it has the read role" "read token: names the role"

run_agent 2 "token of another project" "$stranger" --server "$URL"
nothing_ran "token of another project"
has -F err "token rejected (403) for project 'demo'" "token of another project: says so"

run_agent 2 "unknown project" "$admin" --server "$URL" --config nosuch.yml
nothing_ran "unknown project"
has -F err "no project 'nosuch' on $URL" "unknown project: names it"

# The happy path: the preflight passes and the run is uploaded.
run_agent 0 "agent token" "$agent" --server "$URL"
check "agent token: the suite ran" test -e "$TMP/ran"
req GET "/api/v1/projects/demo/commits?branch=main"
expect_json "agent token: the run is stored" "len(j['commits']) == 1"

# --no-preflight: the suites run, and the refused token is found at the upload.
run_agent 2 "--no-preflight with an unknown token" "$unknown" --server "$URL" --no-preflight
check "--no-preflight: the suite ran" test -e "$TMP/ran"
has -F err "upload: server answered 401" "--no-preflight: the upload is refused with 401"

# An unreachable server: a warning, the suites run, the run is spooled (exit 3).
CLOSED=$(free_port)
run_agent 3 "unreachable server" "$agent" --server "http://127.0.0.1:$CLOSED"
check "unreachable server: the suite ran" test -e "$TMP/ran"
has -F err "running the suites anyway" "unreachable server: warns before running"
has -F err "spooled to $TMP/spool/" "unreachable server: the run is spooled"

# A dry run asks nothing (no server given at all).
run_agent 0 "dry run" "" --dry-run
check "dry run: the suite ran" test -e "$TMP/ran"

finish
