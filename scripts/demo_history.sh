#!/usr/bin/env bash
# demo_history.sh BIN_DIR URL DB DIR: the demo's project history, shared by `make run`
# (scripts/demo.sh) and its test (tests/integration/test_demo.sh).
#
# On the benchgated at URL, whose database is DB, creates the project `demo` and its tokens,
# builds a throwaway git repository of examples/wordcount in DIR/repo with eight commits and
# measures each with the real agent (BIN_DIR/benchgate). Commit 1 has no baseline; 2 to 6
# keep the code's work (2 prints ten words instead of five, 3 to 6 add comments); 7 counts
# case-insensitively (some 13 % more instructions), which the gate fails; 8 reverts it.
# Commits 1 to 6 are measured as a self-hosted CI runner would, by `benchgate run --gate` in
# the checkout. For 7 and 8 the demo starts a bench agent, `benchgate serve` (its agent.yml
# in DIR/agent.yml, its work directory DIR/agent-work, its pid in DIR/agent.pid: the caller
# stops it), and enqueues each commit from the CI side with `benchgate gate --enqueue
# --wait`: queue, agent, verdict. Prints two lines per commit:
#   demo: commit N: SUBJECT -> VERDICT
#   demo:   times (not gated): count-2M wall_time +x %, cpu_time +y %
# The gate decides on callgrind's instruction counts, which are exact, so a loaded machine
# cannot change a verdict; times, which a loaded machine moves, are shown but ignored by the
# demo's thresholds (examples/wordcount/benchgate.yml).
# Each commit's output stays in DIR/agent-N.out (verdict and report) and DIR/agent-N.log
# (progress, errors); the serving agent's log is DIR/agent-serve.log. Exits 1 when a commit
# ended without a verdict.
set -euo pipefail

[ $# -eq 4 ] || {
  echo "usage: demo_history.sh BIN_DIR URL DB DIR" >&2
  exit 2
}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$1 url=$2 db=$3 dir=$4

say() { printf 'demo: %s\n' "$*"; }

# token ARGS...: a new token (benchgated's note that it is shown once goes to DIR/tokens.log).
token() {
  "$bin/benchgated" token create --db "$db" "$@" 2>>"$dir/tokens.log" || {
    cat "$dir/tokens.log" >&2
    exit 1
  }
}

admin=$(token --role admin --name demo-admin)
curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' \
  -d '{"slug":"demo","github_repo":"example/wordcount","default_branch":"main"}' >/dev/null
agent=$(token --project demo --role agent --name demo-agent)
ci=$(token --project demo --role ci --name demo-ci)
(umask 077 && printf '%s\n' "$ci" >"$dir/ci.token") # for enqueueing more by hand
say "project 'demo' created"

repo=$dir/repo
rm -rf "$repo"
mkdir -p "$repo"
cp "$root/examples/wordcount/wordcount.c" "$root/examples/wordcount/benchgate.yml" "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" config user.name "Demo Dev"
git -C "$repo" config user.email "dev@example.org"

# times SHA: the times of the commit's verdict (its ignored results) with their change against
# the baseline, e.g. "count-2M wall_time 48.3 ms +1.2 %, cpu_time 47.9 ms +0.9 %".
times() {
  curl -fsS "$url/api/v1/projects/demo/commits/$1/verdict?testbed=dev-vm" 2>/dev/null |
    python3 -c '
import json, sys
out, last = [], None
for r in json.load(sys.stdin).get("results", []):
    if r.get("class") != "ignored":
        continue
    c, x = r.get("change"), (r.get("candidate") or {}).get("center")
    s = ("%s " % r["benchmark"] if r["benchmark"] != last else "") + r["measure"]
    s += " %.1f ms" % (x / 1e6) if x is not None and r.get("unit") == "ns" else ""
    s += " %+.1f %%" % (100 * c) if c is not None else ""
    out.append(s)
    last = r["benchmark"]
print(", ".join(out))' 2>/dev/null || true
}

# serve: starts the bench agent in serve mode on this testbed, for the demo's repository.
serve() {
  cat >"$dir/agent.yml" <<YML
server: $url
testbed: dev-vm
name: demo-bench
workdir: $dir/agent-work
projects:
  demo: {repository: $repo}
YML
  BENCHGATE_TOKEN=$agent CI=1 "$bin/benchgate" serve --config "$dir/agent.yml" \
    2>>"$dir/agent-serve.log" &
  echo $! >"$dir/agent.pid"
  say "bench agent 'demo-bench' serving jobs (benchgate serve; log: $dir/agent-serve.log)"
}

step=0 failures=0
# commit SUBJECT [job]: commits, then measures it: with `benchgate run --gate` in the
# checkout, or with "job" as a job the serving agent runs, enqueued by `benchgate gate`.
commit() {
  step=$((step + 1))
  local when sha verdict rc=0
  when=$(date -u -d "2026-11-20T08:00:00Z + $step hour" +%Y-%m-%dT%H:%M:%SZ)
  git -C "$repo" add -A
  GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$repo" commit -q -m "$1"
  sha=$(git -C "$repo" rev-parse HEAD)
  # The gate exits 1 on a failing verdict, which is what the demo shows, not an error.
  if [ "${2:-}" = job ]; then
    (cd "$repo" && BENCHGATE_TOKEN=$ci CI=1 "$bin/benchgate" gate --server "$url" \
      --project demo --commit "$sha" --enqueue --branch main --testbed dev-vm --wait 15m \
      >"$dir/agent-$step.out" 2>"$dir/agent-$step.log") || rc=$?
    verdict=$(sed -n 's/^verdict on dev-vm: //p' "$dir/agent-$step.out")
  else
    (cd "$repo" && BENCHGATE_TOKEN=$agent CI=1 "$bin/benchgate" run --server "$url" \
      --testbed dev-vm --gate >"$dir/agent-$step.out" 2>"$dir/agent-$step.log") || rc=$?
    verdict=$(sed -n 's/^verdict: //p' "$dir/agent-$step.out")
  fi
  if [ -z "$verdict" ] || [ "$rc" -gt 1 ]; then
    failures=$((failures + 1))
    say "commit $step: $1 -> no verdict (exit $rc; see $dir/agent-$step.log)"
    return
  fi
  say "commit $step: $1 -> $verdict"
  say "  times (not gated): $(times "$sha")"
}

commit "Count word frequencies with an FNV hash table"
sed -i 's/i < 5 \&\& table/i < 10 \&\& table/' "$repo/wordcount.c"
commit "Print the ten most frequent words"
for what in "the hash table's size" "the probe sequence" "the vocabulary's skew" \
  "the output order"; do
  printf '/* Notes on %s. */\n' "$what" >>"$repo/wordcount.c"
  commit "Document $what"
done
cp "$repo/wordcount.c" "$dir/wordcount.fast.c"
sed -i 's/#include <string.h>/#include <string.h>\n#include <strings.h>\n#include <ctype.h>/;
        s/h = (h ^ (unsigned char)\*w)/h = (h ^ (unsigned char)tolower((unsigned char)*w))/;
        s/strcmp(table\[i\].word, w)/strcasecmp(table[i].word, w)/' "$repo/wordcount.c"
serve
commit "Count words case-insensitively" job
cp "$dir/wordcount.fast.c" "$repo/wordcount.c"
commit "Revert case-insensitive counting" job

[ "$failures" -eq 0 ]
