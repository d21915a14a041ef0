#!/usr/bin/env bash
# serve_overhead.sh: the agent's own time around a job in `benchgate serve` (the performance
# requirement: lease, checkout of a cached repository and upload <= 1 s beyond the build and
# the suites). A benchmark, not a test: it prints numbers and fails only when it cannot run.
#
# A real benchgated on a fresh database, a real git repository whose benchgate.yml has no
# build and one suite of one run of `true` (so the measurement itself is a millisecond), and a
# real agent in serve mode, already waiting for a job. Each job: a new commit, enqueued with
# curl; the clock runs from the enqueue request's start until the job reads done (polled every
# 5 ms), so it holds the wake-up of the waiting lease, the fetch of the new commit into the
# cache clone and its worktree, reading benchgate.yml, the fingerprint, the suite, the
# upload with the decision, and the cleanup. The agent's own log line of each job splits it:
#   checkout        fetch + worktree add (+ submodules: none here)
#   build+suites    benchgate.yml, the run's identity and fingerprint, the suite (`true`)
#   upload          the upload, the server's decision included
#   enqueue->done   the whole, as a CI step sees it; the suite's own run of `true` is about a
#                   millisecond of it, so this is the agent's and the server's time per job
# The first job of a round clones the repository and is reported apart ("first job").
# Everything is measured ROUNDS times with JOBS jobs each; the table gives the median of the
# per-round medians and the range [min-max] of the per-round medians.
#
# usage: tests/perf/serve_overhead.sh [--rounds K] [--jobs N] [--markdown FILE]
#   BG_BUILD: build directory (default ./build)
set -euo pipefail
ROUNDS=3
JOBS=20
MD=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --jobs) JOBS=$2; shift 2 ;;
    --markdown) MD=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds K] [--jobs N] [--markdown FILE]" >&2; exit 2 ;;
  esac
done
BG_BUILD=${BG_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
BENCHGATE="$BG_BUILD/bin/benchgate"
BENCHGATED="$BG_BUILD/bin/benchgated"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/bg_serve_perf.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
export GIT_AUTHOR_NAME=perf GIT_AUTHOR_EMAIL=perf@example.org GIT_COMMITTER_NAME=perf \
  GIT_COMMITTER_EMAIL=perf@example.org GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=1

now_ms() { date +%s%3N; }

# round R: one server, one agent, 1 + JOBS jobs; appends "kind value_ms" lines to $TMP/R.txt.
round() {
  local r=$1 dir=$TMP/r$1 url db admin ci agent
  mkdir -p "$dir"
  db=$dir/bg.db
  "$BENCHGATED" --db "$db" --listen 127.0.0.1:0 >"$dir/server.out" 2>"$dir/server.err" &
  PIDS+=($!)
  for _ in $(seq 100); do
    url=$(sed -n 's/^benchgated listening on \(http:[^ ]*\)$/\1/p' "$dir/server.out")
    [ -n "$url" ] && break
    sleep 0.05
  done
  [ -n "$url" ] || { echo "benchgated did not start" >&2; exit 1; }
  admin=$("$BENCHGATED" token create --db "$db" --role admin 2>/dev/null)
  curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d '{"slug":"perf"}' >/dev/null
  ci=$("$BENCHGATED" token create --db "$db" --project perf --role ci 2>/dev/null)
  agent=$("$BENCHGATED" token create --db "$db" --project perf --role agent 2>/dev/null)
  git init -q -b main "$dir/repo"
  cat >"$dir/repo/benchgate.yml" <<'YML'
project: perf
suites:
  - name: nothing
    command: "true"
    repetitions: 1
    warmup: 0
    measures: [wall_time]
YML
  git -C "$dir/repo" add -A
  git -C "$dir/repo" commit -q -m "first"
  cat >"$dir/agent.yml" <<YML
server: $url
testbed: perf-vm
name: perf-agent
workdir: $dir/work
projects:
  perf: {repository: $dir/repo}
YML
  BENCHGATE_TOKEN=$agent "$BENCHGATE" serve --config "$dir/agent.yml" 2>"$dir/agent.log" &
  PIDS+=($!)
  # The testbed exists once the agent asked for jobs of it.
  for _ in $(seq 200); do
    grep -q 'waiting for jobs' "$dir/agent.log" 2>/dev/null && break
    sleep 0.05
  done
  sleep 0.2
  for i in $(seq 0 "$JOBS"); do
    [ "$i" -gt 0 ] && git -C "$dir/repo" commit -q --allow-empty -m "job $i"
    local sha id t0 t1 state body
    sha=$(git -C "$dir/repo" rev-parse HEAD)
    t0=$(now_ms)
    body=$(curl -fsS -X POST "$url/api/v1/projects/perf/jobs" -H "Authorization: Bearer $ci" \
      -H 'Content-Type: application/json' -d "{\"sha\":\"$sha\",\"branch\":\"main\"}")
    id=$("$PY" -c 'import json,sys; print(json.load(sys.stdin)["jobs"][0]["id"])' <<<"$body")
    state=
    while [ "$state" != done ]; do
      state=$(curl -fsS "$url/api/v1/jobs/$id" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["state"])')
      [ "$state" = failed ] && { echo "job $id failed: $(tail -3 "$dir/agent.log")" >&2; exit 1; }
      [ "$state" = done ] || sleep 0.005
    done
    t1=$(now_ms)
    local kind=job
    [ "$i" -eq 0 ] && kind=first
    echo "$kind total $((t1 - t0))" >>"$TMP/$r.txt"
    sed -n "s/.*job $id: done: .*(checkout \([0-9.]*\) s, build and suites \([0-9.]*\) s, upload \([0-9.]*\) s).*/$kind checkout \1\n$kind measure \2\n$kind upload \3/p" \
      "$dir/agent.log" | awk '{printf "%s %s %.1f\n", $1, $2, $3 * 1000}' >>"$TMP/$r.txt"
  done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}

echo "serve_overhead: $ROUNDS rounds of 1 + $JOBS jobs ($(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
for r in $(seq 1 "$ROUNDS"); do round "$r"; done

"$PY" - "$TMP" "$ROUNDS" "$MD" <<'EOF'
import statistics as st, sys
tmp, rounds, md = sys.argv[1], int(sys.argv[2]), sys.argv[3]
per = {}  # (kind, what) -> [median of each round]
for r in range(1, rounds + 1):
    vals = {}
    for line in open(f"{tmp}/{r}.txt"):
        kind, what, v = line.split()
        vals.setdefault((kind, what), []).append(float(v))
    for k, v in vals.items():
        per.setdefault(k, []).append(st.median(v))
rows = []
for kind, label in (("job", "cached repository"), ("first", "first job (clone)")):
    for what, name in (("checkout", "checkout"), ("measure", "build+suites (`true`)"),
                       ("upload", "upload"), ("total", "enqueue->done")):
        v = per.get((kind, what))
        if v:
            rows.append((label, name, st.median(v), min(v), max(v)))
out = ["| job | part | median ms | rounds' range ms |", "|---|---|---:|---|"]
for label, name, m, lo, hi in rows:
    out.append(f"| {label} | {name} | {m:.1f} | {lo:.1f}-{hi:.1f} |")
text = "\n".join(out)
print(text)
if md:
    open(md, "w").write(text + "\n")
EOF
