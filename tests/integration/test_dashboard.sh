#!/usr/bin/env bash
# test_dashboard.sh: the dashboard in a real browser. Starts benchgated with --web on the
# repository's web/ and seeds through the real API:
# - project `web` (default branch main): main commits 1..20 on testbed tb1, one hour apart,
#   with `parse` wall_time (noisy), `render` instructions (5 000 000, then 5 500 000 from
#   commit 10: a regression at 10 that stays, a change point there), a benchmark named
#   `<img src=x onerror=alert(1)>` (constant) and `io` cpu_time (noisy); commits 1..6 of
#   `parse` on tb2; a pull-request run (branch `feature`, PR 7) with `render` at 6 000 000;
# - project `other` with one run (its latest verdict: no baseline);
# - project `wide`: two commits of 250 results, ten of them regressed at the second.
# The change-point detector (minimum segment 3) finds the shift at 10 only with more than
# three points after it, hence main goes on past commit 12. It checks the verdicts and alerts
# the seed must give, then runs the playwright-core tests of tests/browser/*.test.mjs in
# Debian's Chromium against that server. Screenshots go to $BG_BUILD/screenshots/. Skipped
# (exit 77) only without chromium or node; scripts/deps.sh installs both and the npm packages.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

CHROMIUM=${BG_CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "skipped: no $CHROMIUM (scripts/deps.sh installs chromium)"; exit 77; }
command -v node >/dev/null || { echo "skipped: no node (scripts/deps.sh installs nodejs)"; exit 77; }
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "FAIL node $(node --version) is too old: playwright-core 1.64.1 needs Node >= 20"
  exit 1
fi
for dir in tests/browser web; do
  [ -d "$BG_SOURCE/$dir/node_modules" ] ||
    { echo "FAIL no $dir/node_modules: run scripts/deps.sh"; exit 1; }
done

DB="$TMP/bg.db"
start_server "$DB" --web "$BG_SOURCE/web"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"web","default_branch":"main"}'
expect "project web created" 201
create_project "$ADMIN" '{"slug":"other","default_branch":"main"}'
expect "project other created" 201
create_project "$ADMIN" '{"slug":"wide","default_branch":"main"}'
expect "project wide created" 201

# upload PROJECT N TESTBED BENCHMARKS [BRANCH PR]: a run of commit N (sha %040x of N, one hour
# after commit N-1, subject "commit N") with the named results (parse, render, xss, io;
# `render6` is render at 6 000 000); sets STATUS and BODY.
upload() {
  "$PY" - "$@" >"$TMP/run.json" <<'PY'
import json, random, sys, uuid
project, n, testbed, names = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4].split(",")
branch = sys.argv[5] if len(sys.argv) > 5 else "main"
pr = int(sys.argv[6]) if len(sys.argv) > 6 else None
rnd = random.Random(n * 1000 + len(testbed))  # the same noise on every run of the test
def noisy(center, cv):
    return [round(center * (1 + rnd.gauss(0, cv)), 1) for _ in range(10)]
def result(name):
    if name == "parse":
        return ("parse", "wall_time", "ns", noisy(1000, 0.01))
    if name == "render":
        return ("render", "instructions", "count", [5000000 if n < 10 else 5500000] * 10)
    if name == "render6":
        return ("render", "instructions", "count", [6000000] * 10)
    if name == "xss":
        return ("<img src=x onerror=alert(1)>", "instructions", "count", [100] * 10)
    if name == "io":
        return ("io", "cpu_time", "ns", noisy(2000, 0.01))
    if name == "solo":
        return ("solo", "instructions", "count", [42] * 10)
    raise SystemExit("unknown result " + name)
t = 1795190400 + n * 3600
run = {"schema": "benchgate.run/v1", "run_id": str(uuid.uuid4()),
       "commit": {"sha": "%040x" % n, "branch": branch, "message": "commit %d" % n,
                  "author": "Dev <dev@example.org>",
                  "timestamp": __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ",
                                                          __import__("time").gmtime(t))},
       "testbed": {"name": testbed},
       "results": [dict(zip(("benchmark", "measure", "unit", "samples"), result(x)),
                        direction="lower") for x in names if x != "wide"]}
if names == ["wide"]:  # 250 results; at commit 2 the first ten cost 10 % more
    run["results"] = [{"benchmark": "w%03d" % i, "measure": "instructions", "unit": "count",
                       "direction": "lower",
                       "samples": [1000 * (1.1 if n == 2 and i < 10 else 1)] * 10}
                      for i in range(250)]
if n > 1 and branch == "main":
    run["commit"]["parents"] = ["%040x" % (n - 1)]
if pr is not None:
    run["pull_request"] = pr
    run["baseline"] = {"branch": "main", "sha": "%040x" % int(__import__("os").environ["MAIN_LAST"])}
    run["commit"]["parents"] = [run["baseline"]["sha"]]
print(json.dumps(run))
PY
  req POST "/api/v1/projects/$1/runs" -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $ADMIN" --data-binary @"$TMP/run.json"
}
sha() { printf '%040x' "$1"; }

export MAIN_LAST=20
for n in $(seq 1 "$MAIN_LAST"); do
  upload web "$n" tb1 parse,render,xss,io
  [ "$STATUS" = 201 ] || bad "main commit $n on tb1: status $STATUS: ${BODY:0:300}"
  echo "commit $n tb1: $(json 'j["verdict"]["state"]') $(json 'j["verdict"].get("counts")')"
  if [ "$n" = 10 ]; then
    expect_json "commit 10 on tb1 fails" 'j["verdict"]["state"] == "fail"'
    expect_json "commit 10: render regressed" \
      '[r["class"] for r in j["verdict"]["results"] if r["benchmark"] == "render"] == ["regressed"]'
  fi
  if [ "$n" -le 6 ]; then
    upload web "$n" tb2 parse
    [ "$STATUS" = 201 ] || bad "main commit $n on tb2: status $STATUS: ${BODY:0:300}"
  fi
done
upload web 255 tb1 parse,render6,xss,io feature 7
expect "the pull-request run of branch feature" 201
upload other 1 tb1 solo
expect_json "project other: no baseline" 'j["verdict"]["state"] == "no_baseline"'
upload wide 1 tb1 wide
expect "project wide: commit 1 of 250 results" 201
upload wide 2 tb1 wide
expect_json "project wide: commit 2 fails on ten regressions" \
  'j["verdict"]["state"] == "fail" and j["verdict"]["counts"]["regressed"] == 10'

req GET "/api/v1/projects/web/alerts?state=open"
expect_json "an open regression alert of render at commit 10" "any(a.get('commit', a.get('sha')) == '$(sha 10)' and a['benchmark'] == 'render' and a['state'] == 'open' for a in j['alerts'])"
echo "open alerts: $(json '[(a["id"], a.get("kind"), a["benchmark"], (a.get("commit") or a.get("sha"))[-2:]) for a in j["alerts"]]')"
req GET "/api/v1/projects/web/series?benchmark=render&measure=instructions&testbed=tb1"
expect_json "a change point of render at commit 10" \
  "[c['sha'] for c in j['change_points']] == ['$(sha 10)']"

export BG_URL=$URL BG_ADMIN_TOKEN=$ADMIN BG_CHROMIUM=$CHROMIUM
export BG_SCREENSHOTS="$BG_BUILD/screenshots"
mkdir -p "$BG_SCREENSHOTS"
cd "$BG_SOURCE" || exit 1
node --test --test-concurrency=1 --test-reporter=spec tests/browser/*.test.mjs >"$TMP/browser.out" 2>&1
rc=$?
sed 's/^/    /' "$TMP/browser.out"
check "the browser tests pass (node --test tests/browser/*.test.mjs)" test "$rc" -eq 0
finish
