#!/usr/bin/env bash
# test_agent_cli.sh: the benchgate CLI end to end: `run --dry-run --output` in a temporary
# git repository, exit codes 0/1/2/3 (3 against a closed localhost port and a failing server,
# 1 with --gate against a stub server answering a failing verdict), and `parse`.
set -u
. "$(dirname "$0")/lib.sh"

# Runs that cannot be delivered are spooled here, after two quick tries.
export BENCHGATE_SPOOL="$TMP/spool" BENCHGATE_RETRY_ATTEMPTS=2 BENCHGATE_RETRY_BASE_MS=10
unset BENCHGATE_TOKEN GITHUB_HEAD_REF GITHUB_REF_NAME

git_repo "$TMP/repo"
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
expect_exit 0 "run --dry-run --output" -- "$AGENT" run --dry-run --output "$TMP/run.json"
python3 - "$TMP/run.json" "$HEAD_SHA" "$FORK_SHA" <<'PY' && ok "run.json content" || bad "run.json content"
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
grep -q "$(cat "$TMP/out")" "$TMP/run.json" && ok "prints the run id" || bad "prints the run id"

# Overrides: --commit, --branch, --baseline-sha, --testbed.
expect_exit 0 "run with overrides" -- "$AGENT" run --dry-run --output "$TMP/run2.json" \
  --commit "$FORK_SHA" --branch release-1 --baseline-sha "$FORK_SHA" --testbed other
python3 -c "
import json,sys; r=json.load(open('$TMP/run2.json'))
assert r['commit']['sha']=='$FORK_SHA' and r['commit']['branch']=='release-1'
assert r['baseline']['sha']=='$FORK_SHA' and r['testbed']['name']=='other'
" && ok "overrides land in the run" || bad "overrides land in the run"

# GitHub pull-request workflows: the PR number comes from GITHUB_REF.
expect_exit 0 "pull request from GITHUB_REF" -- env GITHUB_REF=refs/pull/42/merge "$AGENT" run \
  --dry-run --output "$TMP/pr.json"
python3 -c "
import json; assert json.load(open('$TMP/pr.json'))['pull_request']==42
" && ok "pull_request is 42" || bad "pull_request from GITHUB_REF"

# A format suite reporting a name an earlier suite already reported gets the suite prefix.
printf 'project: demo\ntestbed: t\nsuites:\n  - {name: first, format: native, command: cat results.json}\n  - {name: again, format: auto, command: cat results.json}\n' >"$TMP/dup.yml"
expect_exit 0 "duplicate harness names" -- "$AGENT" run --dry-run --config "$TMP/dup.yml" \
  --output "$TMP/dup.json"
python3 -c "
import json; r=json.load(open('$TMP/dup.json'))
names=[x['benchmark'] for x in r['results']]
assert names==['BM_Parse/4096','again/BM_Parse/4096'], names
assert any('renamed to again/BM_Parse/4096' in w for w in r['warnings']), r['warnings']
" && ok "second suite's duplicate renamed with a warning" || bad "duplicate renaming"

# 2: usage and input errors.
expect_exit 2 "unknown flag" -- "$AGENT" run --bogus
expect_exit 2 "unknown command" -- "$AGENT" frobnicate
printf 'project: demo\nsuites:\n  - name: a\n    command: true\n    repetitons: 3\n' >"$TMP/typo.yml"
expect_exit 2 "config with a typo" -- "$AGENT" run --dry-run --config "$TMP/typo.yml" --testbed t
has err "typo.yml:5: suites\[0\].repetitons: unknown key"
expect_exit 2 "missing config" -- "$AGENT" run --dry-run --config "$TMP/none.yml"
has err "none.yml: cannot read"
printf 'project: demo\ntestbed: t\nsuites:\n  - name: ok\n    command: "true"\n    repetitions: 2\n  - name: broken\n    command: echo something broke >&2; exit 4\n' >"$TMP/fail.yml"
rm -f "$TMP/fail.json"
expect_exit 2 "failing benchmark command" -- "$AGENT" run --dry-run --config "$TMP/fail.yml" \
  --output "$TMP/fail.json"
has err "suite broken: warm-up run 1: exited with status 4"
has err "something broke"
[ ! -e "$TMP/fail.json" ] && ok "no output for a failed run" || bad "output written for a failed run"
expect_exit 2 "upload without a token" -- "$AGENT" run --server http://127.0.0.1:9
has err "no API token"
expect_exit 2 "--gate with --dry-run" -- "$AGENT" run --gate --dry-run

# 3: server unreachable (a port nobody listens on).
CLOSED=$(free_port)
echo "secret-token" >"$TMP/token" && chmod 600 "$TMP/token"
expect_exit 3 "server unreachable" -- "$AGENT" run --server "http://127.0.0.1:$CLOSED" \
  --token-file "$TMP/token" --output "$TMP/spooled.json"
has err "unreachable"
[ -s "$TMP/spooled.json" ] && ok "run kept in --output" || bad "run not kept in --output"

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
# stub MODE: (re)starts the stub answering MODE (pass, fail, 500 or 400).
stub() { start_stub "$TMP/stub.py" "$1" "$TMP/seen.json"; }

stub pass
export BENCHGATE_TOKEN=env-token
expect_exit 0 "upload accepted" -- "$AGENT" run --server "$URL"
python3 -c "
import json; s=json.load(open('$TMP/seen.json'))
assert s['auth']=='Bearer env-token', s['auth']
assert s['path']=='/api/v1/projects/demo/runs', s['path']
assert s['body']['schema']=='benchgate.run/v1'
" && ok "upload carries token, path and run" || bad "upload carries token, path and run"
has err "verdict: pass"

stub fail
expect_exit 0 "failing verdict without --gate" -- "$AGENT" run --server "$URL"
expect_exit 1 "failing verdict with --gate" -- "$AGENT" run --gate --server "$URL"
has out "verdict: fail" "prints the verdict"
expect_exit 0 "token file wins over the environment" -- "$AGENT" run \
  --server "$URL" --token-file "$TMP/token"
python3 -c "
import json; assert json.load(open('$TMP/seen.json'))['auth']=='Bearer secret-token'
" && ok "token from --token-file" || bad "token from --token-file"
expect_exit 0 "--token works with a warning" -- "$AGENT" run --server "$URL" \
  --token flag-token
has err "prefer BENCHGATE_TOKEN"

stub 500
expect_exit 3 "server error 500" -- "$AGENT" run --server "$URL"
has err "boom"
stub 400
expect_exit 2 "server rejects the run" -- "$AGENT" run --server "$URL"
has err "results\[0\].samples\[0\]: not a finite number"
unset BENCHGATE_TOKEN

# parse
expect_exit 0 "parse a native file" -- "$AGENT" parse results.json
python3 -c "
import json; r=json.load(open('$TMP/out'))
assert list(r)==['results'] and r['results'][0]['benchmark']=='BM_Parse/4096'
" && ok "parse prints results" || bad "parse prints results"
echo '{"results": [{"benchmark": "x", "measure": "wall_time", "samples": "no"}]}' >"$TMP/bad.json"
expect_exit 2 "parse a malformed file" -- "$AGENT" parse --format native "$TMP/bad.json"
has err "bad.json: results\[0\]"
expect_exit 2 "parse with an unknown format" -- "$AGENT" parse --format nosuch results.json
has err "unknown format 'nosuch'"
expect_exit 2 "parse a missing file" -- "$AGENT" parse "$TMP/nothing.json"
: >"$TMP/empty.txt"
expect_exit 2 "parse an empty file" -- "$AGENT" parse "$TMP/empty.txt"
has err "empty.txt: empty: no benchmark output in it"
expect_exit 2 "compare an empty file" -- "$AGENT" compare "$TMP/empty.txt" results.json
has err "empty.txt: empty: no benchmark output in it"
mkdir -p "$TMP/adir"
expect_exit 2 "parse a directory" -- "$AGENT" parse "$TMP/adir"
has err "adir: a directory, not a benchmark output file"
grep -q "adir: $TMP/adir" "$TMP/err" && bad "directory named twice" || ok "directory named once"
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
expect_exit 0 "run a go suite" -- "$AGENT" run --dry-run --config "$TMP/go.yml" \
  --output "$TMP/go-run.json"
python3 - "$TMP/go-run.json" <<'PY' && ok "gomaxprocs in the fingerprint" || bad "gomaxprocs in the fingerprint"
import json, sys
run = json.load(open(sys.argv[1]))
assert run["testbed"]["fingerprint"]["gomaxprocs"] == 2, run["testbed"]["fingerprint"]
assert {r["benchmark"] for r in run["results"]} == {"BenchmarkSum1000", "BenchmarkCopy/size-1024"}
PY
expect_exit 0 "parse a go file" -- "$AGENT" parse "$TMP/procs2.txt"
python3 -c "
import json; r=json.load(open('$TMP/out'))
assert r['testbed'] == {'fingerprint': {'gomaxprocs': 2}}, r
" && ok "parse prints the fingerprint" || bad "parse prints the fingerprint"

expect_exit 0 "version" -- "$AGENT" version
has out "^benchgate [0-9]" "version text"
expect_exit 0 "help" -- "$AGENT" help
has out "run" "help lists run"

finish
