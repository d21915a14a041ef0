#!/usr/bin/env bash
# test_spool.sh: no run is lost. `benchgate run` against a closed port spools the run and
# exits 3; `benchgate flush` delivers it to a server answering 201 and empties the spool; a
# 503 followed by 201 is retried within one run; 4xx answers move runs to rejected/, 5xx keep
# them, as does a 401; the next `benchgate run` flushes the spool first. The server is a python3
# http.server stub that stores each run_id once (201, then 200 for a replay) and logs every
# request, so the script can assert exactly one stored upload per run_id.
set -u
. "$(dirname "$0")/lib.sh"
# run_bg WANT DESCRIPTION ARGS...: `benchgate ARGS...`, exit code WANT.
run_bg() {
  local want=$1 what=$2
  shift 2
  expect_exit "$want" "$what" -- "$AGENT" "$@"
}
spooled() { find "$SPOOL" -maxdepth 1 -name '*.json' | wc -l; }

export BENCHGATE_TOKEN=test-token
SPOOL="$TMP/spool"
export BENCHGATE_SPOOL="$SPOOL"
# Fast retries: 3 tries, waits of at most 20 ms unless the server asks otherwise.
export BENCHGATE_RETRY_ATTEMPTS=3 BENCHGATE_RETRY_BASE_MS=10 BENCHGATE_RETRY_CAP_MS=20
unset GITHUB_REF GITHUB_HEAD_REF

cat >"$TMP/stub.py" <<'PY'
# A stand-in for benchgated's upload endpoint. argv: LOG PORT STATUS... (PORT 0: any); the
# i-th POST gets the i-th status (the last one repeats). A 201 stores the run; a replay of a stored run_id
# answers 200. Every request is logged as a JSON line.
import http.server, json, sys
log_path, port, plan = sys.argv[1], int(sys.argv[2]), [int(s) for s in sys.argv[3:]]
stored, count = set(), [0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = plan[min(count[0], len(plan) - 1)]
        count[0] += 1
        run_id = json.loads(body).get("run_id")
        if status == 201 and run_id in stored:
            status = 200
        rec = {"path": self.path, "run_id": run_id, "status": status,
               "auth": self.headers.get("Authorization"), "stored": status == 201}
        if status == 201:
            stored.add(run_id)
        with open(log_path, "a") as f:
            f.write(json.dumps(rec) + "\n")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if status == 503:
            self.send_header("Retry-After", "0")
        self.end_headers()
        if status >= 400:
            self.wfile.write(json.dumps({"error": {"code": "x", "field": "results",
                                                   "message": "stub says %d" % status}}).encode())
        else:
            self.wfile.write(json.dumps({"run_id": run_id, "verdict": {"state": "pass"}}).encode())
s = http.server.HTTPServer(("127.0.0.1", port), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
# stub STATUS...: (re)starts the stub (on $SAME_PORT when set); sets PORT and URL.
stub() { start_stub "$TMP/stub.py" "$TMP/log.jsonl" "${SAME_PORT:-0}" "$@"; }
# log_check PYTHON-EXPR-ON-records: asserts over the stub's log (list of dicts `recs`).
log_check() {
  "$PY" - "$TMP/log.jsonl" "$1" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])] if __import__("os").path.exists(sys.argv[1]) else []
ok = eval(sys.argv[2])
if not ok:
    print("    log:", *recs, sep="\n    ")
sys.exit(0 if ok else 1)
PY
}

git_repo "$TMP/repo"
cat >benchgate.yml <<'YML'
project: demo
testbed: ci-vm
suites:
  - name: quick
    command: "true"
    repetitions: 3
    warmup: 0
YML
git add . && git commit -q -m "Benchmarks"

CLOSED=$(free_port)

# 1. Server unreachable: the run is spooled, exit 3, and the message says where.
run_bg 3 "run against a closed port" run --server "http://127.0.0.1:$CLOSED"
has err "spooled to $SPOOL/.*\.json" "stderr names the spool file"
has err "try 3 of 3" "three tries before giving up"
check "one run in the spool" [ "$(spooled)" -eq 1 ]
FIRST=$(basename "$(find "$SPOOL" -maxdepth 1 -name '*.json')" .json)
check "spool file records server and project" "$PY" -c "
import json; e=json.load(open('$SPOOL/$FIRST.json'))
assert e['server']=='http://127.0.0.1:$CLOSED' and e['project']=='demo', e
assert e['run']['run_id']=='$FIRST' and 'test-token' not in json.dumps(e)"
sleep 0.02 # a later modification time for the second run
run_bg 3 "a second unreachable run" run --server "http://127.0.0.1:$CLOSED" --retries 1
check "two runs in the spool" [ "$(spooled)" -eq 2 ]
SECOND=$(find "$SPOOL" -maxdepth 1 -name '*.json' ! -name "$FIRST.json" -exec basename {} .json \;)

# 2. flush while the server is still down keeps both, exit 3.
run_bg 3 "flush with the server still down" flush --server "http://127.0.0.1:$CLOSED" --retries 1
check "both runs still spooled" [ "$(spooled)" -eq 2 ]

# 3. A server answering 201: flush delivers oldest first and empties the spool.
stub 201
run_bg 0 "flush to a server answering 201" flush --server "$URL"
check "spool is empty" [ "$(spooled)" -eq 0 ]
check "each spooled run stored exactly once, oldest first" log_check \
  "[r['run_id'] for r in recs]==['$FIRST','$SECOND'] and all(r['stored'] for r in recs)"
check "uploads go to the recorded project with the token" log_check \
  "all(r['path']=='/api/v1/projects/demo/runs' and r['auth']=='Bearer test-token' for r in recs)"
run_bg 0 "flush of an empty spool" flush --server "$URL"

# 4. 503 then 201: retried within one run, stored once, nothing spooled.
rm -f "$TMP/log.jsonl"
stub 503 201
run_bg 0 "run retried after a 503" run --server "$URL"
RID=$(cat "$TMP/out")
check "503 then 201 for the same run_id, stored once" log_check \
  "[(r['run_id'],r['status']) for r in recs]==[('$RID',503),('$RID',201)] and sum(r['stored'] for r in recs)==1"
has err "server answered 503; try 2 of 3" "stderr shows the retry"
check "nothing spooled" [ "$(spooled)" -eq 0 ]

# 5. A server that keeps failing: the run is spooled after the tries (exit 3); the next
#    `benchgate run`, with the server back, delivers the spooled run before its own.
rm -f "$TMP/log.jsonl"
stub 500
run_bg 3 "run against a server answering 500" run --server "$URL"
check "the failing server's run is spooled" [ "$(spooled)" -eq 1 ]
SPOOLED=$(basename "$(find "$SPOOL" -maxdepth 1 -name '*.json')" .json)
SAME_PORT=$PORT stub 201 # the server is back at the same address
run_bg 0 "next run flushes the spool first" run --server "$URL"
RID=$(cat "$TMP/out")
check "spooled run delivered, then the new one, each stored once" log_check \
  "[(r['run_id'],r['status']) for r in recs][-2:]==[('$SPOOLED',201),('$RID',201)]"
check "spool empty after the next run" [ "$(spooled)" -eq 0 ]
check "stored exactly once per run_id over the whole log" log_check \
  "all(sum(1 for r in recs if r['run_id']==i and r['stored'])==1 for i in {r['run_id'] for r in recs})"

# 6. A replay the server already stored (200) counts as delivered.
rm -f "$TMP/log.jsonl"
stub 201
"$AGENT" run --dry-run --output "$TMP/run.json" >/dev/null 2>&1
"$PY" - "$TMP/run.json" "$SPOOL" <<'PY'
import json, os, sys
run = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2], exist_ok=True)
env = {"spool": "benchgate.spool/v1", "server": "x", "project": "demo", "run": run}
for name in (run["run_id"] + ".json",):
    json.dump(env, open(os.path.join(sys.argv[2], name), "w"))
PY
run_bg 0 "flush stores a run" flush --server "$URL"
"$PY" - "$TMP/run.json" "$SPOOL" <<'PY'
import json, os, sys
run = json.load(open(sys.argv[1]))
env = {"spool": "benchgate.spool/v1", "server": "x", "project": "demo", "run": run}
json.dump(env, open(os.path.join(sys.argv[2], run["run_id"] + ".json"), "w"))
PY
run_bg 0 "flush of a replay answered 200" flush --server "$URL"
check "replay answered 200, stored once, spool empty" log_check \
  "[r['status'] for r in recs]==[201,200] and sum(r['stored'] for r in recs)==1"
check "spool empty after the replay" [ "$(spooled)" -eq 0 ]

# 7. A 4xx moves the run aside with the server's message; the queue goes on.
rm -f "$TMP/log.jsonl"
stub 400 201
"$PY" - "$SPOOL" <<'PY'
import json, os, sys, uuid
for i in range(2):
    rid = str(uuid.uuid4())
    env = {"spool": "benchgate.spool/v1", "server": "x", "project": "demo",
           "run": {"schema": "benchgate.run/v1", "run_id": rid}}
    p = os.path.join(sys.argv[1], rid + ".json")
    json.dump(env, open(p, "w"))
    os.utime(p, (1000 + i, 1000 + i))
PY
printf 'not json' >"$SPOOL/3f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b13.json"
touch -d @3000 "$SPOOL/3f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b13.json"
run_bg 2 "flush with a rejected run" flush --server "$URL"
check "queue went on past the rejected run" log_check "[r['status'] for r in recs]==[400,201]"
check "rejected run and the unreadable file moved aside" \
  [ "$(find "$SPOOL/rejected" -name '*.json' | wc -l)" -eq 2 ]
check "the server's reason is kept" grep -rq "answered 400: results: stub says 400" "$SPOOL/rejected"
check "spool empty after rejection" [ "$(spooled)" -eq 0 ]

# 8. A refused token (401) is no reason to set runs aside: they stay, exit 3.
stub 401
"$PY" - "$SPOOL" <<'PY'
import json, os, sys, uuid
rid = str(uuid.uuid4())
env = {"spool": "benchgate.spool/v1", "server": "x", "project": "demo",
       "run": {"schema": "benchgate.run/v1", "run_id": rid}}
json.dump(env, open(os.path.join(sys.argv[1], rid + ".json"), "w"))
PY
run_bg 3 "flush with a refused token" flush --server "$URL"
check "run kept after a 401" [ "$(spooled)" -eq 1 ]
has err "refused the token" "stderr says the token was refused"
stub 201
run_bg 0 "flush once the token is accepted" flush --server "$URL"
check "spool empty at the end" [ "$(spooled)" -eq 0 ]

# 9. Usage.
run_bg 2 "flush with an unknown flag" flush --bogus
run_bg 0 "flush --help" flush --help
check "help lists flush" sh -c "'$AGENT' help | grep -q flush"

finish
