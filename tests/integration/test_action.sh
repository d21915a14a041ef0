#!/usr/bin/env bash
# test_action.sh: the GitHub Action (ci/action.yml) and the example workflows (ci/examples).
# Statically: every file is YAML; the action is a composite whose run steps name their shell,
# whose scripts hold no `${{ }}` (event text reaches them only through env), and which uses
# only inputs it declares; every example (and the README's workflow) uses the action with
# inputs it declares, the fork-safe one uses no secret and never enqueues, and the
# self-hosted one never runs a fork's code.
# Then the action RUNS, here, the way a runner runs it: a small runner (below, in Python)
# builds the `github` context from the environment GitHub sets (GITHUB_EVENT_NAME,
# GITHUB_EVENT_PATH, GITHUB_SHA, GITHUB_REF, ...), evaluates each step's `if:` and `${{ }}`
# expressions, skips `uses:` steps, and executes the run steps with GitHub's bash flags and
# GITHUB_OUTPUT / GITHUB_PATH / GITHUB_STEP_SUMMARY files, against a real benchgated with a
# real `benchgate serve` agent measuring a tiny C program. benchgate is on PATH, so the build
# step is skipped (building takes a minute; `install: build` is what CI exercises). Cases:
# pushes to main (enqueue and wait: no baseline, then pass), a pull request doing 3x the work
# from a shallow clone (the action fetches the base, the fork point is found: exit 1, the
# summary written), a fork's pull request (no token: waits for the job the webhook enqueued;
# with a token: still never enqueues), bad inputs (exit 2 naming the input), and mode run on
# a "self-hosted" checkout (`benchgate run --gate`: pass, then a regression).
#
# Needs BG_BUILD, python3 with yaml, cc, git and curl. Prints "N passed, M failed" last.
set -u
. "$(dirname "$0")/lib.sh"
unset BENCHGATE_TOKEN BENCHGATE_SERVER GITHUB_HEAD_REF GITHUB_REF_NAME GITHUB_REF \
  GITHUB_BASE_REF GITHUB_STEP_SUMMARY GITHUB_EVENT_PATH GITHUB_EVENT_NAME GITHUB_SHA
export BENCHGATE_RETRY_BASE_MS=200 BENCHGATE_RETRY_CAP_MS=1000 BENCHGATE_RETRY_ATTEMPTS=30
ACTION=$BG_SOURCE/ci/action.yml
EXAMPLES=$BG_SOURCE/ci/examples

if ! "$PY" -c 'import yaml' 2>/dev/null; then
  bad "python3 has no yaml module (Debian: python3-yaml, in scripts/deps.sh)"
  finish
fi

# ---- static checks ----
cat >"$TMP/lint.py" <<'PY'
import glob, os, re, sys, yaml

failures = []
def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)

action_path, examples = sys.argv[1], sys.argv[2]
action = yaml.safe_load(open(action_path))
inputs = action.get("inputs", {})
runs = action.get("runs", {})
steps = runs.get("steps", [])
check(runs.get("using") == "composite", "action: runs.using is composite")
check(all(("shell" in s) == ("run" in s) for s in steps), "action: every run step has a shell, no other step has one")
check(all(("run" in s) != ("uses" in s) for s in steps), "action: every step either runs or uses")
check(not any("${{" in s.get("run", "") for s in steps), "action: no ${{ }} inside a run script")
text = open(action_path).read()
used = set(re.findall(r"inputs\.([A-Za-z0-9_-]+)", text))
check(used and used <= set(inputs), "action: every input used is declared (%s)" % sorted(used - set(inputs)))
check(set(inputs) <= used, "action: every declared input is used (%s)" % sorted(set(inputs) - used))
check(all(inputs[k].get("required") for k in ("server", "project")), "action: server and project are required")
ids = [s["id"] for s in steps if "id" in s]
refs = set(re.findall(r"steps\.([A-Za-z0-9_-]+)\.outputs", text))
check(refs <= set(ids), "action: every step referred to has that id (%s)" % sorted(refs - set(ids)))
check(not re.search(r"--token[= ]", text), "action: no token on a command line")

files = sorted(glob.glob(os.path.join(examples, "*.yml")))
check(len(files) >= 3, "examples: at least three workflows (%d)" % len(files))
for f in files:
    name = os.path.basename(f)
    wf = yaml.safe_load(open(f))
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads a bare `on` as true
    check(bool(on) and bool(wf.get("jobs")), name + ": has on: and jobs:")
    uses = [s for j in wf["jobs"].values() for s in j.get("steps", [])
            if re.search(r"(^|/)ci(@|$)", s.get("uses", ""))]
    check(len(uses) >= 1, name + ": uses the action")
    for s in uses:
        w = s.get("with", {})
        check(set(w) <= set(inputs), name + ": inputs exist (%s)" % sorted(set(w) - set(inputs)))
        check("server" in w and "project" in w, name + ": passes server and project")
        check(not any("${{" in str(v) and "secrets." in str(v) and k != "token" for k, v in w.items()),
              name + ": secrets go only into the token input")
    wtext = open(f).read()
    check("pull_request_target" not in wtext, name + ": no pull_request_target (it hands secrets to forks' code)")
    if "fork" in name:
        check(all(s.get("with", {}).get("enqueue") in ("false", False) for s in uses),
              name + ": the fork-safe workflow never enqueues")
        check("secrets." not in wtext, name + ": the fork-safe workflow uses no secret")
    if "self-hosted" in name:
        for j in wf["jobs"].values():
            check("head.repo.full_name == github.repository" in str(j.get("if", "")),
                  name + ": a fork's code never runs on the bench machine")
readme = open(sys.argv[3]).read()
section = readme[readme.index("## Gate pull requests on GitHub"):]
section = section[:section.index("\n## ", 3)]
blocks = [yaml.safe_load(re.sub(r"(?m)^   ", "", b)) for b in re.findall(r"```yaml\n(.*?)```", section, re.S)]
withs = [s.get("with", {}) for b in blocks for j in b.get("jobs", {}).values() for s in j.get("steps", [])
         if "ci@" in s.get("uses", "")]
check(len(withs) == 1 and set(withs[0]) <= set(inputs),
      "README: the workflow of \"Gate pull requests on GitHub\" uses the action with its inputs")
sys.exit(1 if failures else 0)
PY
"$PY" "$TMP/lint.py" "$ACTION" "$EXAMPLES" "$BG_SOURCE/README.md" >"$TMP/lint.out" 2>&1
lint_rc=$?
while read -r line; do
  case $line in "ok   "*) ok "${line#ok   }" ;; "FAIL "*) bad "${line#FAIL }" ;; *) echo "$line" ;; esac
done <"$TMP/lint.out"
[ "$lint_rc" -eq 0 ] || [ "$failed" -gt 0 ] || bad "lint.py failed: $(tail -3 "$TMP/lint.out")"

# ---- a local runner of composite actions ----
cat >"$TMP/runner.py" <<'PY'
# runner.py ACTION INPUTS-JSON: runs a composite action's steps as GitHub's runner does, for
# the subset of expressions an action uses: context paths, 'strings', true/false/null,
# numbers, == != ! && || ( ), success() and always(). Exits with the failing step's code.
import json, os, re, subprocess, sys, tempfile, yaml

TOKEN = re.compile(r"\s*(?:('(?:[^']|'')*')|(\d+(?:\.\d+)?)|(\|\||&&|==|!=|!|\(|\))|"
                   r"([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z_*][A-Za-z0-9_-]*)*))")

def tokens(expr):
    pos, out = 0, []
    while pos < len(expr.rstrip()):
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise SystemExit("runner: cannot parse expression %r at %d" % (expr, pos))
        out.append(m.groups())
        pos = m.end()
    return out

def number(v):
    if v is None: return 0
    if isinstance(v, bool): return int(v)
    if isinstance(v, (int, float)): return v
    try: return float(v) if v.strip() else 0
    except ValueError: return float("nan")

def equal(a, b):
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    return number(a) == number(b)

def truthy(v):
    return not (v is None or v is False or v == "" or (not isinstance(v, str) and v == 0))

class Parser:
    def __init__(self, expr, ctx):
        self.t, self.i, self.ctx = tokens(expr), 0, ctx
    def peek(self):
        return self.t[self.i][2] if self.i < len(self.t) else None
    def take(self):
        self.i += 1
        return self.t[self.i - 1]
    def parse(self):
        v = self.orr()
        if self.i != len(self.t):
            raise SystemExit("runner: trailing tokens in expression")
        return v
    def orr(self):
        v = self.andd()
        while self.peek() == "||":
            self.take(); w = self.andd(); v = v if truthy(v) else w
        return v
    def andd(self):
        v = self.cmp()
        while self.peek() == "&&":
            self.take(); w = self.cmp(); v = w if truthy(v) else v
        return v
    def cmp(self):
        v = self.unary()
        while self.peek() in ("==", "!="):
            op = self.take()[2]; w = self.unary()
            v = equal(v, w) if op == "==" else not equal(v, w)
        return v
    def unary(self):
        if self.peek() == "!":
            self.take(); return not truthy(self.unary())
        if self.peek() == "(":
            self.take(); v = self.orr(); self.take(); return v
        s, n, _, path = self.take()
        if s is not None: return s[1:-1].replace("''", "'")
        if n is not None: return float(n) if "." in n else int(n)
        if path in ("true", "false"): return path == "true"
        if path == "null": return None
        if path in ("success", "always") and self.peek() == "(":
            self.take(); self.take(); return True
        v = self.ctx
        for part in path.split("."):
            v = v.get(part) if isinstance(v, dict) else None
        return v

def evaluate(expr, ctx):
    return Parser(expr, ctx).parse()

def text(v):
    if v is None: return ""
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, float) and v.is_integer(): return str(int(v))
    return str(v)

def interpolate(s, ctx):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: text(evaluate(m.group(1), ctx)), str(s))

def condition(s, ctx):
    s = str(s).strip()
    m = re.fullmatch(r"\$\{\{(.*)\}\}", s)
    return truthy(evaluate(m.group(1) if m else s, ctx))

def read_outputs(path):
    out, lines = {}, open(path).read().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.fullmatch(r"([^=<]+)<<(.+)", line)
        if m:
            j = lines.index(m.group(2), i + 1)
            out[m.group(1)] = "\n".join(lines[i + 1:j]); i = j + 1; continue
        if "=" in line:
            k, v = line.split("=", 1); out[k] = v
        i += 1
    return out

def main():
    action = yaml.safe_load(open(sys.argv[1]))
    given = json.loads(sys.argv[2])
    inputs = {k: str(given.get(k, d.get("default", ""))) for k, d in action["inputs"].items()}
    unknown = set(given) - set(inputs)
    if unknown:
        raise SystemExit("runner: unexpected inputs %s" % sorted(unknown))
    env = dict(os.environ)
    event = json.load(open(env["GITHUB_EVENT_PATH"])) if env.get("GITHUB_EVENT_PATH") else {}
    github = {"event_name": env.get("GITHUB_EVENT_NAME"), "event": event,
              "sha": env.get("GITHUB_SHA"), "ref": env.get("GITHUB_REF"),
              "ref_name": env.get("GITHUB_REF_NAME"), "head_ref": env.get("GITHUB_HEAD_REF", ""),
              "base_ref": env.get("GITHUB_BASE_REF", ""), "repository": env.get("GITHUB_REPOSITORY"),
              "workspace": env["GITHUB_WORKSPACE"],
              "action_path": os.path.dirname(os.path.abspath(sys.argv[1]))}
    ctx = {"github": github, "inputs": inputs, "steps": {},
           "runner": {"temp": env["RUNNER_TEMP"], "os": "Linux"}, "env": env}
    scratch = tempfile.mkdtemp(dir=env["RUNNER_TEMP"])
    rc = 0
    for n, step in enumerate(action["runs"]["steps"]):
        name = step.get("name", step.get("id", str(n)))
        if "if" in step and not condition(step["if"], ctx):
            print("runner: skip %s" % name, file=sys.stderr); continue
        if "uses" in step:
            print("runner: skip %s (uses %s)" % (name, step["uses"]), file=sys.stderr); continue
        files = {k: os.path.join(scratch, "%s.%d" % (k, n)) for k in ("GITHUB_OUTPUT", "GITHUB_PATH", "GITHUB_ENV")}
        for f in files.values(): open(f, "w").close()
        senv = dict(env, **files)
        senv.update({k: interpolate(v, ctx) for k, v in step.get("env", {}).items()})
        script = os.path.join(scratch, "step.%d.sh" % n)
        open(script, "w").write(step["run"])
        cwd = os.path.join(github["workspace"], interpolate(step.get("working-directory", "."), ctx))
        print("runner: run %s" % name, file=sys.stderr)
        rc = subprocess.call(["bash", "--noprofile", "--norc", "-eo", "pipefail", script], env=senv, cwd=cwd)
        if "id" in step:
            ctx["steps"][step["id"]] = {"outputs": read_outputs(files["GITHUB_OUTPUT"])}
        for p in open(files["GITHUB_PATH"]).read().splitlines():
            env["PATH"] = p + os.pathsep + env["PATH"]
        env.update(read_outputs(files["GITHUB_ENV"]))
        if rc:
            print("runner: %s failed: exit %d" % (name, rc), file=sys.stderr)
            break
    outputs = {k: interpolate(d["value"], ctx) for k, d in action.get("outputs", {}).items()}
    print("outputs: " + json.dumps(outputs))
    sys.exit(rc)

main()
PY

# ---- the server, the project, the agent ----
DB=$TMP/action.db
start_server "$DB" --job-lease 5
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"loop"}'
expect "project created" 201
AGENT_TOKEN=$(make_token "$DB" --project loop --role agent --name bench)
CI_TOKEN=$(make_token "$DB" --project loop --role ci --name ci)
ci=(-H "Authorization: Bearer $CI_TOKEN" -H 'Content-Type: application/json')

UPSTREAM=$TMP/upstream.git # "GitHub": the repository the agent and the checkouts clone
REPO=$TMP/repo             # where the commits are made, pushed to UPSTREAM
git init -q --bare -b main "$UPSTREAM"
git_repo "$REPO"
git remote add origin "$UPSTREAM"
loop_project loop
serve_agent bench-1 "$UPSTREAM"

export PATH="$BG_BUILD/bin:$PATH" GITHUB_REPOSITORY=acme/loop RUNNER_TEMP=$TMP/runner
mkdir -p "$RUNNER_TEMP"

# checkout SHA [DEPTH]: a fresh clone of UPSTREAM at SHA, as actions/checkout makes it (depth
# 1 unless told), in $TMP/ws.N; GITHUB_WORKSPACE.
WS=0
checkout() {
  WS=$((WS + 1))
  GITHUB_WORKSPACE=$TMP/ws.$WS
  git init -q "$GITHUB_WORKSPACE"
  git -C "$GITHUB_WORKSPACE" remote add origin "file://$UPSTREAM"
  git -C "$GITHUB_WORKSPACE" fetch -q --no-tags --depth "${2:-1}" origin "$1"
  git -C "$GITHUB_WORKSPACE" checkout -q --detach "$1"
  export GITHUB_WORKSPACE
}
# push_event SHA: the environment of a push to main.
push_event() {
  export GITHUB_EVENT_NAME=push GITHUB_SHA=$1 GITHUB_REF=refs/heads/main GITHUB_REF_NAME=main \
    GITHUB_HEAD_REF='' GITHUB_BASE_REF='' GITHUB_EVENT_PATH=$TMP/event.json
  printf '{"ref": "refs/heads/main", "after": "%s"}\n' "$1" >"$GITHUB_EVENT_PATH"
}
# pr_event N HEAD-SHA BRANCH [HEAD-REPO]: a pull_request event; GITHUB_SHA is the merge
# commit GitHub would make (here any other sha: the action must use the head's).
pr_event() {
  export GITHUB_EVENT_NAME=pull_request GITHUB_SHA=0123456789abcdef0123456789abcdef01234567 \
    GITHUB_REF=refs/pull/$1/merge GITHUB_REF_NAME=$1/merge GITHUB_HEAD_REF=$3 \
    GITHUB_BASE_REF=main GITHUB_EVENT_PATH=$TMP/event.json
  printf '{"number": %s, "pull_request": {"number": %s, "head": {"sha": "%s", "ref": "%s",
  "repo": {"full_name": "%s"}}, "base": {"ref": "main"}}}\n' "$1" "$1" "$2" "$3" \
    "${4:-$GITHUB_REPOSITORY}" >"$GITHUB_EVENT_PATH"
}
# action WANT NAME INPUTS-JSON: runs the action in GITHUB_WORKSPACE with a fresh step
# summary ($TMP/summary.md); passes when it exits WANT. Its stdout ($TMP/out: workflow
# commands, reports, and last the action's outputs as "outputs: JSON") and stderr ($TMP/err).
action() {
  export GITHUB_STEP_SUMMARY=$TMP/summary.md
  : >"$GITHUB_STEP_SUMMARY"
  expect_exit "$1" "$2" -- "$PY" "$TMP/runner.py" "$ACTION" "$3"
}
inputs() { # TOKEN [EXTRA-JSON-MEMBERS]
  printf '{"server": "%s", "project": "loop", "token": "%s", "wait": "2m"%s}' "$URL" "$1" "${2:-}"
}

# ---- pushes to main: enqueue and wait ----
loop_config 2
timed_commit "first"
git push -q origin main
FIRST=$(git rev-parse HEAD)
checkout "$FIRST"
push_event "$FIRST"
action 0 "a push, first commit: enqueued and waited for, no baseline: exit 0" "$(inputs "$CI_TOKEN")"
has err 'runner: skip Build the benchgate CLI' "the build step is skipped with benchgate on PATH"
has err "enqueued ${FIRST:0:12} \(branch main\)" "the action enqueued the pushed commit on main"
has -F out '"enqueued": "true"' "the output enqueued is true"
for i in 2 3 4; do # a history of main to compare with
  timed_commit "unchanged $i"
  git push -q origin main
  MAIN=$(git rev-parse HEAD)
  checkout "$MAIN"
  push_event "$MAIN"
  action 0 "a push, unchanged commit $i: exit 0" "$(inputs "$CI_TOKEN")"
done
has -F out '"exit-code": "0"' "the output exit-code is 0"
check "the step summary holds the report" grep -q '^|' "$TMP/summary.md"
req GET "/api/v1/projects/loop/commits/$MAIN/verdict?testbed=ci-vm"
expect_json "the server's verdict of the pushed commit is pass" "j['state'] == 'pass'"
action 0 "input testbeds names the testbed: exit 0" "$(inputs "$CI_TOKEN" ', "testbeds": " ci-vm,"')"
has err 'on ci-vm: queued' "the job is on the testbed named"
action 2 "input testbeds names an unknown testbed: exit 2" \
  "$(inputs "$CI_TOKEN" ', "testbeds": "ci-vm, nope"')"
has err 'nope' "the error names the testbed"

# ---- a pull request doing 3x the work, from a shallow clone ----
git checkout -q -b slow
loop_config 6
timed_commit "3x the work"
git push -q origin slow
SLOW=$(git rev-parse HEAD)
checkout "$SLOW"
check "the checkout is shallow, as actions/checkout makes it" \
  test "$(git -C "$GITHUB_WORKSPACE" rev-parse --is-shallow-repository)" = true
pr_event 7 "$SLOW" slow
action 1 "the slow pull request fails the step: exit 1" "$(inputs "$CI_TOKEN")"
has -F out '"exit-code": "1"' "the output exit-code is 1"
has err "pull request 7\) on 1 testbed, compared with the fork point ${MAIN:0:7} of main" \
  "the base was fetched and the fork point found (the head's sha, not the merge commit's)"
has out '::error title=benchgate::a benchmark of loop regressed' "an error annotation names the regression"
check "the step summary holds the failing report" grep -q '^|' "$TMP/summary.md"
checkout "$SLOW"
# (the verdict then depends on the history before the commit: only the warning is checked)
"$PY" "$TMP/runner.py" "$ACTION" "$(inputs "$CI_TOKEN" ', "fetch-base": "false"')" \
  >"$TMP/out" 2>"$TMP/err"
has err 'no fork point of' "fetch-base: false on a shallow clone: gate finds no fork point"
req GET "/api/v1/projects/loop/jobs?sha=$SLOW"
expect_json "the pull request's head has its jobs, the first with its number and fork point" \
  "sorted((x['pull_request'], x['base_sha'] or '', x['branch']) for x in j['jobs']) == \
   [(7, '', 'slow'), (7, '$MAIN', 'slow')]"

# ---- a fork's pull request: no secrets; the webhook enqueues, the action waits ----
git checkout -q main
git checkout -q -b fork-change
timed_commit "a fork's unchanged commit"
git push -q origin fork-change
FORK=$(git rev-parse HEAD)
checkout "$FORK"
pr_event 8 "$FORK" patch-1 someone/loop
req POST /api/v1/projects/loop/jobs "${ci[@]}" \
  -d "{\"sha\":\"$FORK\",\"branch\":\"patch-1\",\"pull_request\":8,\"base_sha\":\"$MAIN\"}"
expect "the webhook's stand-in enqueues the fork's commit" 201
action 0 "a fork's pull request without a token waits for the webhook's job: exit 0" "$(inputs "")"
has -F out '"enqueued": "false"' "the action did not enqueue"
check "the step summary holds the report" grep -q '^|' "$TMP/summary.md"
timed_commit "a fork's second commit"
git push -q origin fork-change
FORK2=$(git rev-parse HEAD)
checkout "$FORK2"
pr_event 8 "$FORK2" patch-1 someone/loop
action 3 "a fork's pull request with a token still never enqueues: no job, exit 3" \
  "$(inputs "$CI_TOKEN" ', "wait": "3s"')"
has out 'enqueue false \(fork pull request: true\)' "the plan says why"
req GET "/api/v1/projects/loop/jobs?sha=$FORK2"
expect_json "no job was enqueued for it" "j['jobs'] == []"
action 2 "enqueue: true on a fork's pull request: exit 2" "$(inputs "" ', "enqueue": "true"')"
has out 'input enqueue: a pull request from a fork' "the error names the input"

# ---- bad inputs ----
action 2 "mode: bench: exit 2" "$(inputs "$CI_TOKEN" ', "mode": "bench"')"
has out "input mode: 'bench' is not gate or run" "the error names the input and the value"
PATH=${PATH#"$BG_BUILD/bin:"} action 2 "install: path, no benchgate on PATH: exit 2" \
  "$(inputs "$CI_TOKEN" ', "install": "path"')"
has out 'input install: path, but there is no benchgate on PATH' "the error says so"

# ---- mode run: a self-hosted runner on the bench machine ----
git checkout -q main
run_inputs() { inputs "$AGENT_TOKEN" ', "mode": "run", "testbeds": "runner-vm"'; }
for i in 1 2 3; do # measured by the self-hosted runner, a history for testbed runner-vm
  timed_commit "measured by the self-hosted runner $i"
  git push -q origin main
  RUN1=$(git rev-parse HEAD)
  checkout "$RUN1"
  push_event "$RUN1"
  action 0 "mode run on a push ($i): measured here: exit 0" "$(run_inputs)"
  if [ "$i" = 1 ]; then
    has out '^verdict: no_baseline' "benchgate run printed the verdict, no baseline on this testbed"
    check "the step summary holds the report" test -s "$TMP/summary.md"
    req GET "/api/v1/projects/loop/commits/$RUN1/verdict?testbed=runner-vm"
    expect_json "the run is on the server under testbed runner-vm" "j['state'] == 'no_baseline'"
  fi
done
git checkout -q -b slow-run
loop_config 6
timed_commit "3x the work, measured by the self-hosted runner"
git push -q origin slow-run
RUN2=$(git rev-parse HEAD)
checkout "$RUN2"
pr_event 9 "$RUN2" slow-run
action 1 "mode run on a slow pull request: exit 1" "$(run_inputs)"
has out '^verdict: fail' "benchgate run printed the failing verdict"
has -F out '"exit-code": "1"' "the output exit-code is 1"
req GET "/api/v1/projects/loop/commits/$RUN2/verdict?testbed=runner-vm"
expect_json "compared with the fork point on the pull request's base" \
  "j['state'] == 'fail' and j['baseline']['last'] == '$RUN1'"
action 2 "mode run with another project than benchgate.yml's: exit 2" \
  "$(inputs "$AGENT_TOKEN" ', "mode": "run", "project": "other"')"
has out "input project 'other' is not the project of benchgate.yml" "the error names both"
pr_event 10 "$RUN2" patch-2 someone/loop
action 2 "mode run refuses a fork's pull request: exit 2" "$(run_inputs)"

finish
