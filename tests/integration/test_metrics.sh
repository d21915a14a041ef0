#!/usr/bin/env bash
# test_metrics.sh: /metrics, /readyz, X-Request-Id and the request log over real HTTP.
# /metrics parses as the Prometheus text format (prom_check.py: the grammar, HELP and TYPE,
# cumulative buckets with +Inf = _count; the checker is shown to reject broken text first);
# the counters move after an upload, a replay (which does not count as a run), a 404 and a
# lease; the gauges follow the database. /readyz is 200, then 503 with the reason when the
# schema version is behind and while another process holds the write lock, while /healthz
# stays 200. Every answer has X-Request-Id, the client's own when valid. The log lines parse
# as key=value and, with --log-format json, as JSON, and never hold a token. --private closes
# /metrics but not /readyz.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

CHECK="$BG_SOURCE/tests/integration/prom_check.py"
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
json=(-H 'Content-Type: application/json')
admin=(-H "Authorization: Bearer $ADMIN" "${json[@]}")
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201
AGENT=$(make_token "$DB" --project demo --role agent --name bench-01)
CI=$(make_token "$DB" --project demo --role ci --name ci)
ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")

# scrape NAME: GETs /metrics into $TMP/NAME.prom (headers in $TMP/NAME.hdr).
scrape() {
  curl -s -D "$TMP/$1.hdr" -o "$TMP/$1.prom" "$URL/metrics"
}
# value NAME METRIC [LABELS]: the sum of METRIC's samples (with LABELS) in $TMP/NAME.prom.
value() { "$PY" "$CHECK" "$TMP/$1.prom" "${@:2}"; }
# is WHAT GOT WANT
is() { check "$1 ($2, want $3)" test "$2" = "$3"; }

# ---- the checker rejects what is not the format ----
printf '# HELP benchgate_x_total x\n# TYPE benchgate_x_total counter\nbenchgate_x_total{a="1} 2\n' \
  >"$TMP/bad1.prom"
printf '# HELP benchgate_h h\n# TYPE benchgate_h histogram\nbenchgate_h_bucket{le="1"} 3\nbenchgate_h_bucket{le="+Inf"} 2\nbenchgate_h_sum 1\nbenchgate_h_count 2\n' \
  >"$TMP/bad2.prom"
printf 'benchgate_y 1\n' >"$TMP/bad3.prom"
for b in bad1 bad2 bad3; do
  expect_exit 1 "the checker rejects $b" -- "$PY" "$CHECK" "$TMP/$b.prom"
done

# ---- the format ----
scrape m0
has m0.hdr '^HTTP/1.1 200' "/metrics answers 200"
has m0.hdr '^Content-Type: text/plain; version=0.0.4' "/metrics is text/plain; version=0.0.4"
expect_exit 0 "the first scrape parses" -- "$PY" "$CHECK" "$TMP/m0.prom"
for name in benchgate_http_request_duration_seconds benchgate_runs_ingested_total \
  benchgate_verdicts benchgate_jobs benchgate_job_queue_wait_seconds benchgate_agents \
  benchgate_outbox_depth benchgate_outbox_delivery_failures_total \
  benchgate_database_size_bytes benchgate_database_wal_size_bytes; do
  has -F m0.prom "# TYPE $name " "/metrics has $name"
done
is "no run ingested yet" "$(value m0 benchgate_runs_ingested_total)" 0
check "the database's size is above 0" test "$(value m0 benchgate_database_size_bytes)" -gt 0

# ---- counters after an upload, a replay, a 404 and a lease ----
RUN='{"schema":"benchgate.run/v1","run_id":"00000000-0000-4000-8000-000000000001",
  "commit":{"sha":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","branch":"main"},
  "testbed":{"name":"tb1"},"results":[{"benchmark":"a","measure":"wall_time","samples":[1,2,3]}]}'
req POST /api/v1/projects/demo/runs "${ag[@]}" -d "$RUN"
expect "an upload" 201
req POST /api/v1/projects/demo/runs "${ag[@]}" -d "$RUN"
expect "its replay" 200
req GET /api/v1/nowhere
expect "an unknown endpoint" 404
req POST /api/v1/projects/demo/jobs -H "Authorization: Bearer $CI" "${json[@]}" \
  -d '{"sha":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb","branch":"main","testbeds":["tb1"]}'
expect "a job enqueued" 201
req POST /api/v1/agents/lease "${ag[@]}" -d '{"agent":"bench-01","testbed":"tb1"}'
expect "the job leased" 200
scrape m1
expect_exit 0 "the second scrape parses" -- "$PY" "$CHECK" "$TMP/m1.prom"
is "one run ingested (the replay is not)" "$(value m1 benchgate_runs_ingested_total)" 1
R='benchgate_http_request_duration_seconds_count'
is "the upload counted under its route and 201" \
  "$(value m1 $R 'handler=/api/v1/projects/{p}/runs,code=201')" 1
is "the replay counted under 200" "$(value m1 $R 'handler=/api/v1/projects/{p}/runs,code=200')" 1
is "the 404 counted as not_found" "$(value m1 $R handler=not_found,code=404)" 1
is "the first scrape counted" "$(value m1 $R handler=/metrics,code=200)" 1
is "one stored verdict" "$(value m1 benchgate_verdicts)" 1
is "one job leased" "$(value m1 benchgate_jobs state=leased)" 1
is "no job queued" "$(value m1 benchgate_jobs state=queued)" 0
is "one queue wait observed" "$(value m1 benchgate_job_queue_wait_seconds_count)" 1
is "one busy agent" "$(value m1 benchgate_agents state=busy)" 1
is "an empty outbox" "$(value m1 benchgate_outbox_depth)" 0
check "no label holds the sha" bash -c "! grep -q aaaaaaa '$TMP/m1.prom'"

# ---- /readyz and /healthz ----
req GET /readyz
expect "/readyz when ready" 200 '"status":"ready"'
V=$(sqlite3 "$DB" 'PRAGMA user_version')
sqlite3 "$DB" "PRAGMA user_version = $((V - 1))"
req GET /readyz
expect "/readyz with the schema behind" 503 "\"code\":\"not_ready\".*schema version is $((V - 1))"
has server.err '^ts=[^ ]+ event=not_ready level=warn message=".*schema version is' \
  "the 503 is logged as a not_ready event with its reason"
req GET /healthz
expect "/healthz stays alive" 200
sqlite3 "$DB" "PRAGMA user_version = $V"
req GET /readyz
expect "/readyz once the schema is current again" 200
# Another process holds the write lock past the busy timeout (10 s): not ready.
"$PY" - "$DB" "$TMP/locked" <<'PY' &
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
with open(sys.argv[2], "w") as f:
    f.write("locked\n")
time.sleep(15)
c.execute("ROLLBACK")
PY
LOCKER=$!
PIDS+=("$LOCKER")
await '/locked/p' "$TMP/locked" >/dev/null
check "the lock is held" grep -q locked "$TMP/locked"
req GET /readyz
expect "/readyz while another process holds the write lock" 503 '"code":"not_ready".*does not take writes'
stop "$LOCKER"

# ---- X-Request-Id ----
curl -s -D "$TMP/h1" -o /dev/null "$URL/healthz"
has h1 '^X-Request-Id: [0-9a-f]{16}' "a generated X-Request-Id"
curl -s -D "$TMP/h2" -o /dev/null -H 'X-Request-Id: ci-42.a:b_c' "$URL/healthz"
has h2 '^X-Request-Id: ci-42.a:b_c' "a valid X-Request-Id echoed"
curl -s -D "$TMP/h3" -o /dev/null -H "X-Request-Id: $(printf 'x%.0s' $(seq 65))" "$URL/healthz"
has h3 '^X-Request-Id: [0-9a-f]{16}' "a 65-character X-Request-Id replaced"
curl -s -D "$TMP/h4" -o /dev/null -H 'X-Request-Id: a"b' "$URL/healthz"
has h4 '^X-Request-Id: [0-9a-f]{16}' "an X-Request-Id with a quote replaced"
curl -s -D "$TMP/h5" -o /dev/null -H 'X-Request-Id: echo-404' "$URL/api/v1/nowhere"
has h5 '^X-Request-Id: echo-404' "a 404 carries it too"

# A client that leaves in the middle of its body gets a line of its own.
"$PY" - "${URL#http://}" "$AGENT" <<'PY'
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((host, int(port)))
s.sendall(b"POST /api/v1/projects/demo/runs HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-1\r\n"
          b"Authorization: Bearer " + sys.argv[2].encode() + b"\r\n"
          b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"schema\":")
time.sleep(0.3)
s.close()
PY
await '/request_id=gone-1/p' "$TMP/server.err" >/dev/null
has server.err 'event=request_unanswered method=POST route=/api/v1/projects/\{p\}/runs reason=[a-z_]+ bytes_read=10 .*request_id=gone-1' \
  "a client gone mid-body is logged as unanswered"

# ---- the request log, key=value ----
stop_server
"$PY" - "$TMP/server.err" "$ADMIN" "$AGENT" "$CI" >"$TMP/kv.out" <<'PY'
import re, sys
pair = re.compile(r'([a-z_]+)=("(?:[^"\\]|\\.)*"|[^ "]+)(?: |$)')
logged = [l for l in open(sys.argv[1]).read().splitlines() if l.startswith("ts=")]
lines = [l for l in logged if " event=request " in l]
for l in logged:
    fields = dict(pair.findall(l))
    if "".join("%s=%s " % kv for kv in pair.findall(l)).strip() != l:
        print("not kv: %r" % l)
    for k in ("ts", "method", "route", "status", "duration_ms", "bytes", "client", "request_id"):
        if " event=request " in l and k not in fields:
            print("lacks %s: %r" % (k, l))
text = open(sys.argv[1]).read()
for secret in sys.argv[2:]:
    if secret in text:
        print("a token is in the log")
up = [l for l in lines if "route=/api/v1/projects/{p}/runs" in l and "status=201" in l]
print("upload lines %d" % len(up))
print("token_id %s" % ("yes" if up and "token_id=" in up[0] else "no"))
print("echoed %d" % sum("request_id=echo-404" in l and "route=not_found" in l for l in lines))
print("lines %d" % len(lines))
PY
has -F kv.out "upload lines 1" "one kv line for the upload, with its route pattern"
has -F kv.out "token_id yes" "the upload's line names its token by id"
has -F kv.out "echoed 1" "the 404's line has the client's request id"
check "every kv line parses, has its fields, and no token is logged" \
  bash -c "! grep -Eq '^(not kv|lacks|a token)' '$TMP/kv.out'"
check "kv lines were logged" bash -c "grep -Eq '^lines ([2-9]|[1-9][0-9]+)$' '$TMP/kv.out'"

# ---- the request log, JSON; --private ----
: >"$TMP/server.err"
expect_exit 2 "--log-format other is refused" -- "$SERVER" --db "$DB" --log-format xml
has err "log-format" "the refusal names --log-format"
start_server "$DB" --log-format json --private
req GET /metrics
expect "--private: /metrics needs a token" 401
req GET /metrics -H "Authorization: Bearer $CI"
expect "--private: /metrics with a token" 200 'benchgate_runs_ingested_total 0'
req GET /readyz
expect "--private: /readyz stays open" 200
req POST /api/v1/projects/demo/runs "${ag[@]}" -d "$RUN"
expect "a replay under --private" 200
stop_server
"$PY" - "$TMP/server.err" "$ADMIN" "$AGENT" "$CI" >"$TMP/json.out" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
n = 0
for l in text.splitlines():
    if not l.startswith("{"):
        continue
    o = json.loads(l)
    if o.get("event") == "request":
        n += 1
        for k in ("ts", "method", "route", "status", "duration_ms", "bytes", "client", "request_id"):
            if k not in o:
                print("lacks %s: %r" % (k, l))
        if not isinstance(o["status"], int):
            print("status not a number")
for secret in sys.argv[2:]:
    if secret in text:
        print("a token is in the log")
print("json lines %d" % n)
PY
has -F json.out "json lines 4" "four JSON request lines"
check "every JSON line has its fields and no token is logged" \
  bash -c "! grep -Eq '^(lacks|status|a token)' '$TMP/json.out'"

expect_exit 0 "benchgated --help" -- "$SERVER" --help
has -F out "--log-format kv|json" "--help lists --log-format"
finish
