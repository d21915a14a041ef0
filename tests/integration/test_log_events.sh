#!/usr/bin/env bash
# test_log_events.sh: benchgated's log, in both --log-format kv and json, is structured lines
# only, with one line per event besides requests, and never a token.
#
# For each format a server starts on a new database (migrations applied), a project is made,
# a job is enqueued, leased, failed by its agent and leased again, a run is uploaded (a
# verdict decided), and the server is stopped. Then every line of its stderr must parse (json:
# a JSON object; kv: ts=... event=... key=value pairs), the events server_start,
# migration_applied, job_leased, job_finished, verdict_decided, server_stopping and
# server_stop must be there, and no token's secret may appear anywhere in the log.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

json=(-H 'Content-Type: application/json')
for fmt in kv json; do
  DB="$TMP/$fmt.db"
  : >"$TMP/server.err"
  start_server "$DB" --log-format "$fmt" # a new database: the migrations are applied and logged
  ADMIN=$(make_token "$DB" --role admin --name root-admin)
  create_project "$ADMIN" '{"slug":"demo"}'
  expect "$fmt: project created" 201
  AGENT=$(make_token "$DB" --project demo --role agent --name bench-agent-01)
  CI=$(make_token "$DB" --project demo --role ci --name ci-runner)
  ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")
  req POST /api/v1/projects/demo/runs "${ag[@]}" -d \
    '{"schema":"benchgate.run/v1","run_id":"00000000-0000-4000-8000-000000000001",
    "commit":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","branch":"main"},
    "testbed":{"name":"tb1"},"results":[{"benchmark":"a","measure":"wall_time","samples":[1,2,3]}]}'
  expect "$fmt: a run uploaded (its verdict decided)" 201
  req POST /api/v1/projects/demo/jobs -H "Authorization: Bearer $CI" "${json[@]}" \
    -d '{"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","branch":"main","testbeds":["tb1"]}'
  expect "$fmt: a job enqueued" 201
  req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"a1","testbed":"tb1"}'
  expect "$fmt: the job leased" 200
  id=$(json "j.get('job', j)['id']")
  req POST "/api/v1/jobs/$id/fail" "${ag[@]}" -d '{"agent":"a1","reason":"disk on fire"}'
  expect "$fmt: the agent fails it" 200
  stop_server
  cp "$TMP/server.err" "$TMP/$fmt.log"
  expect_exit 0 "$fmt: every log line parses" -- "$PY" - "$fmt" "$TMP/$fmt.log" <<'PYEOF'
import json, re, sys
fmt, path = sys.argv[1], sys.argv[2]
kv = re.compile(r'^ts=\S+ event=[a-z_]+( [a-z_]+=("([^"\\]|\\.)*"|[^ "=]+))*$')
bad = 0
for n, line in enumerate(open(path), 1):
    line = line.rstrip("\n")
    if fmt == "json":
        try:
            ok = isinstance(json.loads(line), dict)
        except ValueError:
            ok = False
    else:
        ok = kv.match(line) is not None
    if not ok:
        bad += 1
        print("line %d does not parse: %s" % (n, line[:200]), file=sys.stderr)
sys.exit(1 if bad else 0)
PYEOF
  for ev in server_start migration_applied job_leased job_finished verdict_decided \
    server_stopping server_stop; do
    if [ "$fmt" = json ]; then
      has -F "$fmt.log" "\"event\":\"$ev\"" "$fmt: the log has $ev"
    else
      has "$fmt.log" "^ts=[^ ]+ event=$ev( |$)" "$fmt: the log has $ev"
    fi
  done
  has "$fmt.log" 'disk on fire' "$fmt: the failed job's reason is logged"
  has "$fmt.log" 'bench-agent-01' "$fmt: the token's name is logged"
  for secret in "$ADMIN" "$AGENT" "$CI"; do
    if grep -qF -- "$secret" "$TMP/$fmt.log" "$TMP/server.out"; then
      bad "$fmt: a token's secret is in the log"
    else
      ok "$fmt: the secret of ${secret:0:6}… is in no log line"
    fi
  done
done
finish
