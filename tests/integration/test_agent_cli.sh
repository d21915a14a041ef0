#!/usr/bin/env bash
# test_agent_cli.sh: the benchgate CLI end to end: `run --dry-run --output` in a temporary
# git repository, exit codes 0/1/2/3 (3 against a closed localhost port and a failing server,
# 1 with --gate against a stub server answering a failing verdict), and `parse`.
set -u
BG_BUILD=${BG_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
BENCHGATE="$BG_BUILD/bin/benchgate"
TMP=$(mktemp -d /tmp/bg_cli_XXXXXX)
STUB_PID=
cleanup() {
  [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null
  rm -rf "$TMP"
}
trap cleanup EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
passes=0
pass() { echo "ok: $*"; passes=$((passes + 1)); }

# expect CODE DESCRIPTION -- COMMAND...: runs COMMAND, stdout to $TMP/out, stderr to $TMP/err.
expect() {
  local want=$1 what=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    fail "$what: exit $got, wanted $want"
    sed 's/^/    /' "$TMP/err" | tail -n 15
  else
    pass "$what"
  fi
}
grep_err() {
  if grep -q -- "$1" "$TMP/err"; then pass "stderr mentions '$1'"; else
    fail "stderr lacks '$1'"; sed 's/^/    /' "$TMP/err" | tail -n 15; fi
}

export GIT_AUTHOR_NAME="A. Dev" GIT_AUTHOR_EMAIL=a@example.org
export GIT_COMMITTER_NAME="A. Dev" GIT_COMMITTER_EMAIL=a@example.org
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=1
# Runs that cannot be delivered are spooled here, after two quick tries.
export BENCHGATE_SPOOL="$TMP/spool" BENCHGATE_RETRY_ATTEMPTS=2 BENCHGATE_RETRY_BASE_MS=10
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME

REPO="$TMP/repo"
mkdir -p "$REPO" && cd "$REPO" || exit 1
git init -q -b main
cat >benchgate.yml <<'YML'
project: demo
testbed: ci-vm
cpus: [0]
build: echo built > built.txt
suites:
  - name: sleepy
    command: test -f built.txt && sleep 0.01
    repetitions: 4
    warmup: 1
  - name: harness
    format: native
    command: cat results.json
    repetitions: 2
thresholds:
  default: {min_effect: 0.03}
YML
cat >results.json <<'JSON'
{"results": [{"benchmark": "BM_Parse/4096", "measure": "wall_time", "unit": "ns",
              "direction": "lower", "samples": [1832.1, 1829.4]}]}
JSON
git add . && git commit -q -m "Add benchmarks" && git checkout -q -b feature
git commit -q --allow-empty -m "Feature work"
HEAD_SHA=$(git rev-parse HEAD)
FORK_SHA=$(git rev-parse main)

# 0: a dry run writes a valid run payload.
expect 0 "run --dry-run --output" -- "$BENCHGATE" run --dry-run --output "$TMP/run.json"
python3 - "$TMP/run.json" "$HEAD_SHA" "$FORK_SHA" <<'PY' && pass "run.json content" || fail "run.json content"
import json, sys
run = json.load(open(sys.argv[1]))
assert run["schema"] == "benchgate.run/v1"
assert run["commit"]["sha"] == sys.argv[2] and run["commit"]["branch"] == "feature"
assert run["commit"]["message"] == "Feature work"
assert run["baseline"] == {"branch": "main", "sha": sys.argv[3]}, run.get("baseline")
assert run["testbed"]["name"] == "ci-vm"
assert run["testbed"]["fingerprint"]["pinned_cpus"] == [0]
assert run["thresholds"] == {"default": {"min_effect": 0.03}}
res = {(r["benchmark"], r["measure"]): r for r in run["results"]}
assert set(res) == {("sleepy", "wall_time"), ("sleepy", "cpu_time"), ("sleepy", "max_rss"),
                    ("BM_Parse/4096", "wall_time")}, set(res)
assert len(res["sleepy", "wall_time"]["samples"]) == 4
assert all(s >= 10e6 for s in res["sleepy", "wall_time"]["samples"])
assert res["sleepy", "max_rss"]["unit"] == "bytes"
# max_rss is the command's own, as GNU time reads it (ASLR off, as the agent runs it), not
# the agent's: the agent is several times larger than sh and sleep.
import subprocess, tempfile
with tempfile.NamedTemporaryFile() as t:
    subprocess.run(["setarch", "-R", "/usr/bin/time", "-f", "%M", "-o", t.name, "/bin/sh", "-c",
                    "test -f built.txt && sleep 0.01"], check=True)
    ref = int(open(t.name).read().split()[-1]) * 1024
rss = res["sleepy", "max_rss"]["samples"]
assert all(abs(x - ref) <= 0.05 * ref for x in rss), (rss, ref)
# two harness invocations pool their samples
assert res["BM_Parse/4096", "wall_time"]["samples"] == [1832.1, 1829.4, 1832.1, 1829.4]
PY
grep -q "$(cat "$TMP/out")" "$TMP/run.json" && pass "prints the run id" || fail "prints the run id"

# Overrides: --commit, --branch, --baseline-sha, --testbed.
expect 0 "run with overrides" -- "$BENCHGATE" run --dry-run --output "$TMP/run2.json" \
  --commit "$FORK_SHA" --branch release-1 --baseline-sha "$FORK_SHA" --testbed other
python3 -c "
import json,sys; r=json.load(open('$TMP/run2.json'))
assert r['commit']['sha']=='$FORK_SHA' and r['commit']['branch']=='release-1'
assert r['baseline']['sha']=='$FORK_SHA' and r['testbed']['name']=='other'
" && pass "overrides land in the run" || fail "overrides land in the run"

# GitHub pull-request workflows: the PR number comes from GITHUB_REF.
expect 0 "pull request from GITHUB_REF" -- env GITHUB_REF=refs/pull/42/merge "$BENCHGATE" run \
  --dry-run --output "$TMP/pr.json"
python3 -c "
import json; assert json.load(open('$TMP/pr.json'))['pull_request']==42
" && pass "pull_request is 42" || fail "pull_request from GITHUB_REF"

# A format suite reporting a name an earlier suite already reported gets the suite prefix.
printf 'project: demo\ntestbed: t\nsuites:\n  - {name: first, format: native, command: cat results.json}\n  - {name: again, format: auto, command: cat results.json}\n' >"$TMP/dup.yml"
expect 0 "duplicate harness names" -- "$BENCHGATE" run --dry-run --config "$TMP/dup.yml" \
  --output "$TMP/dup.json"
python3 -c "
import json; r=json.load(open('$TMP/dup.json'))
names=[x['benchmark'] for x in r['results']]
assert names==['BM_Parse/4096','again/BM_Parse/4096'], names
assert any('renamed to again/BM_Parse/4096' in w for w in r['warnings']), r['warnings']
" && pass "second suite's duplicate renamed with a warning" || fail "duplicate renaming"

# 2: usage and input errors.
expect 2 "unknown flag" -- "$BENCHGATE" run --bogus
expect 2 "unknown command" -- "$BENCHGATE" frobnicate
printf 'project: demo\nsuites:\n  - name: a\n    command: true\n    repetitons: 3\n' >"$TMP/typo.yml"
expect 2 "config with a typo" -- "$BENCHGATE" run --dry-run --config "$TMP/typo.yml" --testbed t
grep_err "typo.yml:5: suites\[0\].repetitons: unknown key"
expect 2 "missing config" -- "$BENCHGATE" run --dry-run --config "$TMP/none.yml"
grep_err "none.yml: cannot read"
printf 'project: demo\ntestbed: t\nsuites:\n  - name: ok\n    command: "true"\n    repetitions: 2\n  - name: broken\n    command: echo something broke >&2; exit 4\n' >"$TMP/fail.yml"
rm -f "$TMP/fail.json"
expect 2 "failing benchmark command" -- "$BENCHGATE" run --dry-run --config "$TMP/fail.yml" \
  --output "$TMP/fail.json"
grep_err "suite broken: warm-up run 1: exited with status 4"
grep_err "something broke"
[ ! -e "$TMP/fail.json" ] && pass "no output for a failed run" || fail "output written for a failed run"
expect 2 "upload without a token" -- "$BENCHGATE" run --server http://127.0.0.1:9
grep_err "no API token"
expect 2 "--gate with --dry-run" -- "$BENCHGATE" run --gate --dry-run

# 3: server unreachable (a port nobody listens on).
CLOSED=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
echo "secret-token" >"$TMP/token" && chmod 600 "$TMP/token"
expect 3 "server unreachable" -- "$BENCHGATE" run --server "http://127.0.0.1:$CLOSED" \
  --token-file "$TMP/token" --output "$TMP/spooled.json"
grep_err "unreachable"
[ -s "$TMP/spooled.json" ] && pass "run kept in --output" || fail "run not kept in --output"

# A stub server: answers per path; records the Authorization header and the body.
cat >"$TMP/stub.py" <<'PY'
import http.server, json, sys
mode = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        open(sys.argv[2], "w").write(json.dumps({"auth": self.headers.get("Authorization"),
                                                 "path": self.path, "body": json.loads(body)}))
        if mode == "500":
            self.send_response(500); self.end_headers(); self.wfile.write(b'{"error":{"code":"internal","message":"boom"}}'); return
        if mode == "400":
            self.send_response(400); self.end_headers(); self.wfile.write(b'{"error":{"code":"invalid_field","field":"results[0].samples[0]","message":"not a finite number"}}'); return
        run = json.loads(body)
        self.send_response(201); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(json.dumps({"run_id": run["run_id"], "verdict": {"state": mode, "summary": "1 regression"}}).encode())
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()
PY
start_stub() {
  [ -n "$STUB_PID" ] && kill "$STUB_PID" 2>/dev/null && wait "$STUB_PID" 2>/dev/null
  STUBS=$((${STUBS:-0} + 1))
  local portfile="$TMP/port.$STUBS"
  python3 "$TMP/stub.py" "$1" "$TMP/seen.json" >"$portfile" &
  STUB_PID=$!
  PORT=
  for _ in $(seq 100); do
    PORT=$(cat "$portfile" 2>/dev/null)
    case "$PORT" in *[0-9]) break ;; esac
    sleep 0.1
  done
  [ -n "$PORT" ] || { echo "stub server did not start"; exit 1; }
}

start_stub pass
export BENCHGATE_TOKEN=env-token
expect 0 "upload accepted" -- "$BENCHGATE" run --server "http://127.0.0.1:$PORT"
python3 -c "
import json; s=json.load(open('$TMP/seen.json'))
assert s['auth']=='Bearer env-token', s['auth']
assert s['path']=='/api/v1/projects/demo/runs', s['path']
assert s['body']['schema']=='benchgate.run/v1'
" && pass "upload carries token, path and run" || fail "upload carries token, path and run"
grep_err "verdict: pass"

start_stub fail
expect 0 "failing verdict without --gate" -- "$BENCHGATE" run --server "http://127.0.0.1:$PORT"
expect 1 "failing verdict with --gate" -- "$BENCHGATE" run --gate --server "http://127.0.0.1:$PORT"
grep -q "verdict: fail" "$TMP/out" && pass "prints the verdict" || fail "prints the verdict"
expect 0 "token file wins over the environment" -- "$BENCHGATE" run \
  --server "http://127.0.0.1:$PORT" --token-file "$TMP/token"
python3 -c "
import json; assert json.load(open('$TMP/seen.json'))['auth']=='Bearer secret-token'
" && pass "token from --token-file" || fail "token from --token-file"
expect 0 "--token works with a warning" -- "$BENCHGATE" run --server "http://127.0.0.1:$PORT" \
  --token flag-token
grep_err "prefer BENCHGATE_TOKEN"

start_stub 500
expect 3 "server error 500" -- "$BENCHGATE" run --server "http://127.0.0.1:$PORT"
grep_err "boom"
start_stub 400
expect 2 "server rejects the run" -- "$BENCHGATE" run --server "http://127.0.0.1:$PORT"
grep_err "results\[0\].samples\[0\]: not a finite number"
unset BENCHGATE_TOKEN

# parse
expect 0 "parse a native file" -- "$BENCHGATE" parse results.json
python3 -c "
import json; r=json.load(open('$TMP/out'))
assert list(r)==['results'] and r['results'][0]['benchmark']=='BM_Parse/4096'
" && pass "parse prints results" || fail "parse prints results"
echo '{"results": [{"benchmark": "x", "measure": "wall_time", "samples": "no"}]}' >"$TMP/bad.json"
expect 2 "parse a malformed file" -- "$BENCHGATE" parse --format native "$TMP/bad.json"
grep_err "bad.json: results\[0\]"
expect 2 "parse with an unknown format" -- "$BENCHGATE" parse --format nosuch results.json
grep_err "unknown format 'nosuch'"
expect 2 "parse a missing file" -- "$BENCHGATE" parse "$TMP/nothing.json"
: >"$TMP/empty.txt"
expect 2 "parse an empty file" -- "$BENCHGATE" parse "$TMP/empty.txt"
grep_err "empty.txt: empty: no benchmark output in it"
expect 2 "compare an empty file" -- "$BENCHGATE" compare "$TMP/empty.txt" results.json
grep_err "empty.txt: empty: no benchmark output in it"
mkdir -p "$TMP/adir"
expect 2 "parse a directory" -- "$BENCHGATE" parse "$TMP/adir"
grep_err "adir: a directory, not a benchmark output file"
grep -q "adir: $TMP/adir" "$TMP/err" && fail "directory named twice" || pass "directory named once"
# A Go harness: names without the GOMAXPROCS suffix, the suffix in the run's fingerprint.
cp "$BG_SOURCE/tests/fixtures/go/procs2.txt" "$TMP/procs2.txt"
cat >"$TMP/go.yml" <<YML
project: demo
testbed: ci-vm
suites:
  - name: gobench
    format: go
    command: cat $TMP/procs2.txt
YML
expect 0 "run a go suite" -- "$BENCHGATE" run --dry-run --config "$TMP/go.yml" \
  --output "$TMP/go-run.json"
python3 - "$TMP/go-run.json" <<'PY' && pass "gomaxprocs in the fingerprint" || fail "gomaxprocs in the fingerprint"
import json, sys
run = json.load(open(sys.argv[1]))
assert run["testbed"]["fingerprint"]["gomaxprocs"] == 2, run["testbed"]["fingerprint"]
assert {r["benchmark"] for r in run["results"]} == {"BenchmarkSum1000", "BenchmarkCopy/size-1024"}
PY
expect 0 "parse a go file" -- "$BENCHGATE" parse "$TMP/procs2.txt"
python3 -c "
import json; r=json.load(open('$TMP/out'))
assert r['testbed'] == {'fingerprint': {'gomaxprocs': 2}}, r
" && pass "parse prints the fingerprint" || fail "parse prints the fingerprint"

expect 0 "version" -- "$BENCHGATE" version
grep -q "^benchgate [0-9]" "$TMP/out" && pass "version text" || fail "version text"
expect 0 "help" -- "$BENCHGATE" help
grep -q "run" "$TMP/out" && pass "help lists run" || fail "help lists run"

echo "$passes passed, $failures failed"
[ "$failures" -eq 0 ]
