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

export GIT_AUTHOR_NAME="A. Dev" GIT_AUTHOR_EMAIL=a@example.org
export GIT_COMMITTER_NAME="A. Dev" GIT_COMMITTER_EMAIL=a@example.org
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=1
export BENCHGATE_SPOOL="$TMP/spool" BENCHGATE_RETRY_ATTEMPTS=2 BENCHGATE_RETRY_BASE_MS=10
unset BENCHGATE_TOKEN GITHUB_REF GITHUB_HEAD_REF

db=$TMP/bench.db
start_server "$db"
admin=$("$SERVER" token create --db "$db" --role admin --name it-admin 2>/dev/null)
for slug in demo other; do
  req POST /api/v1/projects -H "Authorization: Bearer $admin" -H 'Content-Type: application/json' \
    -d "{\"slug\":\"$slug\",\"default_branch\":\"main\"}"
  check "project $slug created (201)" test "$STATUS" = 201
done
agent=$("$SERVER" token create --db "$db" --project demo --role agent 2>/dev/null)
reader=$("$SERVER" token create --db "$db" --project demo --role read 2>/dev/null)
stranger=$("$SERVER" token create --db "$db" --project other --role agent 2>/dev/null)
revoked=$("$SERVER" token create --db "$db" --project demo --role agent 2>/dev/null)
"$SERVER" token list --db "$db" >"$TMP/tokens" 2>&1
revoked_id=$(awk 'END { print $1 }' "$TMP/tokens")
check "token $revoked_id revoked" "$SERVER" token revoke --db "$db" "$revoked_id"
unknown="bgt_$(printf 'x%.0s' $(seq 43))"

# The endpoint: GET /api/v1/projects/{p}/access.
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $agent"
check "access: agent token of the project is 200" test "$STATUS" = 200
expect_json "access: agent may upload" \
  "j == {'project': 'demo', 'role': 'agent', 'server_wide': False, 'upload': True}"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $reader"
expect_json "access: read token may not upload" "j['role'] == 'read' and j['upload'] is False"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $admin"
expect_json "access: server-wide admin may upload" "j['server_wide'] is True and j['upload'] is True"
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $stranger"
check "access: another project's token is 403" test "$STATUS" = 403
req GET /api/v1/projects/nosuch/access -H "Authorization: Bearer $admin"
check "access: unknown project is 404" test "$STATUS" = 404
expect_json "access: 404 names the project" "j['error']['code'] == 'project_not_found'"
req GET /api/v1/projects/nosuch/access -H "Authorization: Bearer $unknown"
check "access: unknown token is 401 even for an unknown project" test "$STATUS" = 401
req GET /api/v1/projects/demo/access
check "access: no token is 401 (reads are public, this is about the token)" test "$STATUS" = 401
req GET /api/v1/projects/demo/access -H "Authorization: Bearer $revoked"
check "access: revoked token is 401" test "$STATUS" = 401
req POST /api/v1/projects/demo/access -H "Authorization: Bearer $agent"
check "access: POST is 405" test "$STATUS" = 405

# A repository whose build and suite leave marker files.
repo=$TMP/repo
mkdir -p "$repo" && cd "$repo" || exit 1
git init -q -b main
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
  BENCHGATE_TOKEN=$token "$AGENT" run "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" = "$want" ]; then ok "$name: exit $got"; else
    bad "$name: exit $got, wanted $want"
    sed 's/^/    /' "$TMP/err" | tail -n 8
  fi
}
# nothing_ran NAME: neither the build nor the suite ran.
nothing_ran() {
  if [ ! -e "$TMP/built" ] && [ ! -e "$TMP/ran" ]; then ok "$1: nothing ran"; else
    bad "$1: the build or the suite ran"; fi
}
err_has() { # err_has NAME TEXT
  if grep -qF -- "$2" "$TMP/err"; then ok "$1"; else
    bad "$1: stderr lacks '$2'"
    sed 's/^/    /' "$TMP/err" | tail -n 8
  fi
}

run_agent 2 "unknown token" "$unknown" --server "$URL"
nothing_ran "unknown token"
err_has "unknown token: says token rejected (401)" "token rejected (401)"
err_has "unknown token: says nothing was run" "nothing was run"

run_agent 2 "revoked token" "$revoked" --server "$URL"
nothing_ran "revoked token"
err_has "revoked token: says token rejected (401)" "token rejected (401)"

run_agent 2 "read token" "$reader" --server "$URL"
nothing_ran "read token"
err_has "read token: names the role" "it has the read role"

run_agent 2 "token of another project" "$stranger" --server "$URL"
nothing_ran "token of another project"
err_has "token of another project: says so" "token rejected (403) for project 'demo'"

run_agent 2 "unknown project" "$admin" --server "$URL" --config nosuch.yml
nothing_ran "unknown project"
err_has "unknown project: names it" "no project 'nosuch' on $URL"

# The happy path: the preflight passes and the run is uploaded.
run_agent 0 "agent token" "$agent" --server "$URL"
check "agent token: the suite ran" test -e "$TMP/ran"
req GET "/api/v1/projects/demo/commits?branch=main"
expect_json "agent token: the run is stored" "len(j['commits']) == 1"

# --no-preflight: the suites run, and the refused token is found at the upload.
run_agent 2 "--no-preflight with an unknown token" "$unknown" --server "$URL" --no-preflight
check "--no-preflight: the suite ran" test -e "$TMP/ran"
err_has "--no-preflight: the upload is refused with 401" "upload: server answered 401"

# An unreachable server: a warning, the suites run, the run is spooled (exit 3).
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
run_agent 3 "unreachable server" "$agent" --server "http://127.0.0.1:$CLOSED"
check "unreachable server: the suite ran" test -e "$TMP/ran"
err_has "unreachable server: warns before running" "running the suites anyway"
err_has "unreachable server: the run is spooled" "spooled to $TMP/spool/"

# A dry run asks nothing (no server given at all).
run_agent 0 "dry run" "" --dry-run
check "dry run: the suite ran" test -e "$TMP/ran"

finish
