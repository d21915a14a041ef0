#!/usr/bin/env bash
# real_noise.sh: the gate on real noise, on this machine.
#
# A real suite (examples/gbench, a Google Benchmark binary, and examples/wordcount, a command
# suite) is measured by the real agent in a real git repository and uploaded in order to a
# real benchgated:
#   1. unchanged: BG_NOISE_RUNS (30) default-branch commits of the same code (empty commits),
#      one run each, so run i is judged against the i-1 runs before it (at most 30);
#      target: none fails, at most 1.15 times a single run's machine time per verdict;
#   2. control: BG_CONTROL_RUNS (10) runs of the same code on a branch forked from the last
#      commit, each against the full 30-run baseline; reported (target: no failure);
#   3. slowdown: BG_SLOW_RUNS (10) runs on a branch whose code does 10 % more work
#      (BG_WORK_PERCENT=110 for gbench, 10 % more words for wordcount), each against the same
#      30-run baseline; target: every run fails.
#   4. one benchmark slower: BG_SLOW_RUNS runs with the benchmark whose run-to-run noise is
#      nearest 2.5 % doing 10 % more work, and BG_SLOW_RUNS with the quietest doing 3 % more;
#      reported as caught (that benchmark regressed).
# Prints every verdict's summary and a result table; exits 1 when a target is missed. Then the
# peer rules (tests/quality/peers.c, by real_peers) judge the same first runs (each run's
# payload before any confirmation, `benchgate run --output`, kept per phase in BG_RUNS_DIR,
# default a temporary directory removed at the end): the unchanged commits after 5 of
# history against the runs before each, the other phases against the unchanged runs; their
# table is printed next to benchgate's row (informational: it does not change the exit code).
# BG_COMPARISON (history, interleaved or both; default history) is the project's comparison:
# with interleaved or both the agent measures each pull-request run (phases 2-4) as
# BG_ROUNDS (3) rounds of base and head, and the verdict compares the pairs; the peers then
# judge the head pooled over the rounds.
# Run by `make quality` (label quality), not by `make test`: it takes several minutes.
set -uo pipefail
build=${BG_BUILD:?BG_BUILD is the build directory}
src=${BG_SOURCE:?BG_SOURCE is the source directory}
NOISE=${BG_NOISE_RUNS:-30}
CONTROL=${BG_CONTROL_RUNS:-10}
SLOW=${BG_SLOW_RUNS:-10}
COMPARISON=${BG_COMPARISON:-history}
ROUNDS=${BG_ROUNDS:-3}
BENCHGATE=$build/bin/benchgate
BENCHGATED=$build/bin/benchgated
work=$(mktemp -d /tmp/bg-noise.XXXXXX)
runs_dir=${BG_RUNS_DIR:-$work/runs}
PEER_HISTORY=5 # unchanged runs before the first one the peers judge
mkdir -p "$runs_dir"/unchanged "$runs_dir"/control "$runs_dir"/slower "$runs_dir"/one10 \
  "$runs_dir"/one3 || exit 1
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

db=$work/noise.db
: >"$work/out"
: >"$work/unchanged.times"
"$BENCHGATED" --db "$db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
server=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^benchgated listening on \(http[^ ]*\).*/\1/p' "$work/out")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/log"; exit 1; }
admin=$("$BENCHGATED" token create --db "$db" --role admin 2>/dev/null)
project="{\"slug\":\"noise\",\"comparison\":\"$COMPARISON\",\"interleave_rounds\":$ROUNDS}"
curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d "$project" >/dev/null || exit 1
export BENCHGATE_TOKEN
BENCHGATE_TOKEN=$("$BENCHGATED" token create --db "$db" --project noise --role agent 2>/dev/null)

# The repository under test: both examples side by side.
repo=$work/repo
mkdir -p "$repo"
cp "$src/examples/gbench/bench.cc" "$src/examples/gbench/gbench_to_native.py" \
  "$src/examples/wordcount/wordcount.c" "$repo/"
# With benchgate's gbench adapter the suite reads Google Benchmark's JSON itself; without it
# the example's converter turns that JSON into native results (the same samples).
if [ -f "$src/agent/adapter_gbench.c" ]; then
  micro_format=gbench
  micro_cmd="./bench --benchmark_format=json --benchmark_repetitions=10"
  micro_cmd="$micro_cmd --benchmark_min_time=0.02"
else
  micro_format=native
  micro_cmd="./bench --benchmark_format=json --benchmark_repetitions=10"
  micro_cmd="$micro_cmd --benchmark_min_time=0.02 | python3 gbench_to_native.py"
fi
write_config() { # $1: work percent, $2: wordcount words
  cat >"$repo/benchgate.yml" <<EOF
project: noise
testbed: dev-vm
build: >-
  g++ -O2 -DBG_WORK_PERCENT=$1 -o bench bench.cc -lbenchmark -lpthread &&
  cc -O2 -o wordcount wordcount.c
suites:
  - name: micro
    format: $micro_format
    command: $micro_cmd
  - name: wordcount
    command: ./wordcount $2
    repetitions: 10
    warmup: 1
    measures: [wall_time, cpu_time]
thresholds:
  default: {min_effect: 0.02}
EOF
}
write_config 100 2000000
cd "$repo" || exit 1
git init -q -b main .
git config user.email noise@example.org
git config user.name noise
printf 'bench\nwordcount\n' >.gitignore
t0=1790000000
commit() { # $1: message; commits everything (or nothing) with a time one minute later
  t0=$((t0 + 60))
  git add -A
  GIT_AUTHOR_DATE="@$t0 +0000" GIT_COMMITTER_DATE="@$t0 +0000" git commit -q --allow-empty -m "$1"
}
commit "the suite"

# One measured verdict: prints "<exit code> <state> <runs> <seconds>s <summary> [load: 1-minute
# load average before the run]" and logs the agent's output; runs counts the suite runs (the
# first run and its confirmations: each prints its run id, and an interleaved one measures 2 R),
# seconds is the wall time of the whole `benchgate run --gate` (build, suites, confirmations,
# uploads): the machine time the verdict cost. The load shows what else the machine ran. The
# first run's payload is saved in FILE (for the peer rules).
measure() { # FILE, then extra args for benchgate run
  local code load runs state summary file=$1 t0 t1
  shift
  load=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  "$BENCHGATE" run --server "$url" --gate --output "$file" "$@" >"$work/run.out" 2>"$work/run.err"
  code=$?
  t1=$(date +%s.%N)
  state=$(sed -n 's/^verdict: \([a-z_]*\).*/\1/p' "$work/run.out" | head -1)
  summary=$(sed -n 's/^verdict: [a-z_]*: //p' "$work/run.out" | head -1)
  runs=$(grep -cE '^[0-9a-f]{8}-[0-9a-f]{4}-' "$work/run.out")
  # An interleaved run measures base and head once per round: machine time of 2 R runs.
  local measured
  measured=$(grep -cE '^benchgate: round [0-9]+/[0-9]+: (base|head)$' "$work/run.err")
  [ "$measured" -gt 0 ] && runs=$((runs - 1 + measured))
  echo "$code ${state:-?} $runs $(python3 -c "print('%.2f' % ($t1 - $t0))")s ${summary:-} [load $load]"
  [ "$code" -le 1 ] || { cat "$work/run.err" >&2; }
}

# regressed BENCHMARK-PREFIX: 1 when the current commit's verdict has a regressed result of a
# benchmark whose name starts with the prefix.
regressed() {
  curl -fsS "$url/api/v1/projects/noise/commits/$(git rev-parse HEAD)/verdict?testbed=dev-vm" \
    -H "Authorization: Bearer $admin" |
    python3 -c 'import json,sys; j=json.load(sys.stdin); p=sys.argv[1]; print(int(any(r["class"] == "regressed" and r["benchmark"].startswith(p) for r in j["results"])))' "$1"
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
  "$(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ); suite format: $micro_format;" \
  "comparison: $COMPARISON$([ "$COMPARISON" = history ] || echo ", $ROUNDS rounds")"
noise_fail=0 noise_judged=0 noise_runs=0
# benchgate on the commits the peers judge (after PEER_HISTORY of history), for their table.
late_fail=0 late_judged=0 late_runs=0
for i in $(seq "$NOISE"); do
  [ "$i" -gt 1 ] && commit "unchanged $i"
  line=$(measure "$runs_dir/unchanged/$(printf %03d "$i").json")
  echo "unchanged $i/$NOISE (baseline $((i - 1 < 30 ? i - 1 : 30)) runs): $line"
  set -- $line
  if [ "$2" != no_baseline ]; then
    noise_judged=$((noise_judged + 1))
    noise_runs=$((noise_runs + $3))
    echo "$3 ${4%s}" >>"$work/unchanged.times"
  fi
  [ "$1" = 1 ] && noise_fail=$((noise_fail + 1))
  if [ "$i" -gt "$PEER_HISTORY" ]; then
    late_judged=$((late_judged + 1))
    late_runs=$((late_runs + $3))
    [ "$1" = 1 ] && late_fail=$((late_fail + 1))
  fi
done
fork=$(git rev-parse HEAD)
full=$((NOISE < 30 ? NOISE : 30))

# The run-to-run noise of each gbench benchmark: the CV of its cpu_time centres over the
# unchanged runs (first runs and confirmations alike), as "CV benchmark" lines, quietest first.
noise_of_benchmarks() {
  sqlite3 "$db" "SELECT b.name, x.log_center FROM results x JOIN benchmarks b ON b.id = x.benchmark_id
    JOIN measures m ON m.id = x.measure_id WHERE m.slug = 'cpu_time' AND b.name LIKE 'BM_%'" |
    python3 -c '
import math, sys, collections
v = collections.defaultdict(list)
for line in sys.stdin:
    name, c = line.rsplit("|", 1)
    v[name].append(float(c))
rows = sorted((math.sqrt(sum((x - sum(c) / len(c)) ** 2 for x in c) / (len(c) - 1)), n) for n, c in v.items() if len(c) > 2)
for cv, n in rows:
    print("%.4f %s" % (cv, n))'
}
noise_of_benchmarks >"$work/noise"
echo "run-to-run noise (CV of cpu_time centres) per benchmark:"
sed 's/^/  /' "$work/noise"
# The macro of a benchmark's work percent in bench.cc.
macro_of() {
  case $1 in
  BM_Sort*) echo BG_PCT_SORT ;; BM_Hash*) echo BG_PCT_HASH ;; BM_Fib*) echo BG_PCT_FIB ;;
  BM_Memcpy*) echo BG_PCT_MEMCPY ;; BM_MapInsert*) echo BG_PCT_MAP ;; BM_Lcg*) echo BG_PCT_LCG ;;
  BM_Table*) echo BG_PCT_TABLE ;;
  esac
}
# A benchmark of its own kernel (BM_Sort's two sizes share one), nearest the noise wanted.
pick() { # $1: target CV; prints the benchmark's name and its CV
  grep -v ' BM_Sort' "$work/noise" | awk -v t="$1" '{d = $1 - t; if (d < 0) d = -d; print d, $2, $1}' |
    sort -n | head -1 | cut -d' ' -f2,3
}
read -r one10 one10_cv < <(pick 0.025)
read -r one3 one3_cv < <(grep -v ' BM_Sort' "$work/noise" | head -1 | awk '{print $2, $1}')

control_fail=0 control_runs=0
git checkout -q -b control
commit "control: unchanged code on a branch"
for i in $(seq "$CONTROL"); do
  line=$(measure "$runs_dir/control/$(printf %03d "$i").json" --baseline-sha "$fork")
  echo "control $i/$CONTROL (baseline $full runs): $line"
  set -- $line
  control_runs=$((control_runs + $3))
  [ "$1" = 1 ] && control_fail=$((control_fail + 1))
done

# slow_phase NAME BRANCH BENCHMARK-PREFIX PERCENT WORDS: BG_SLOW_RUNS verdicts on a new
# branch from the fork whose config builds with PERCENT (write_config); sets caught (the
# benchmark regressed; with an empty prefix: the verdict failed), failed and runs. The first
# runs' payloads go to $runs_dir/BRANCH.
slow_phase() {
  local name=$1 branch=$2 prefix=$3
  git checkout -q main
  git checkout -q -b "$branch"
  write_config "$4" "$5"
  commit "$name"
  caught=0 failed=0 runs=0
  for i in $(seq "$SLOW"); do
    line=$(measure "$runs_dir/$branch/$(printf %03d "$i").json" --baseline-sha "$fork")
    set -- $line
    runs=$((runs + $3))
    [ "$1" = 1 ] && failed=$((failed + 1))
    if [ -z "$prefix" ]; then
      [ "$1" = 1 ] && caught=$((caught + 1))
    elif [ "$(regressed "$prefix")" = 1 ]; then
      caught=$((caught + 1))
    fi
    echo "$name $i/$SLOW (baseline $full runs): $line"
  done
}

slow_phase "slower: 10 % more work" slower "" 110 2200000
slow_fail=$caught slow_runs=$runs

slow_phase "$one10 10 % slower" one10 "$one10" "100 -D$(macro_of "$one10")=110" 2000000
one10_caught=$caught one10_failed=$failed one10_runs=$runs

slow_phase "$one3 3 % slower" one3 "$one3" "100 -D$(macro_of "$one3")=103" 2000000
one3_caught=$caught one3_failed=$failed one3_runs=$runs

# The peer rules on the same first runs, next to benchgate's row (real_peers prints the table).
peer_table() {
  local peers=$build/tests/quality/real_peers
  echo
  if [ ! -x "$peers" ]; then
    echo "peer rules: $peers not built, no peer table"
    return
  fi
  local l10="+10 % (one benchmark: $one10) caught" l3="+3 % (one benchmark: $one3) caught"
  local lc="control: unchanged branch failed" ls="+10 % (every benchmark) failed"
  local row="benchgate (with confirmation runs) | $late_fail / $late_judged"
  row="$row | $one10_caught / $SLOW ($one10_failed failing) | $one3_caught / $SLOW ($one3_failed failing)"
  row="$row | $control_fail / $CONTROL | $slow_fail / $SLOW | $(per "$late_runs" "$late_judged")"
  "$peers" --history "$PEER_HISTORY" --row "$row" "$runs_dir/unchanged" \
    --phase "$runs_dir/one10" "$l10" "$one10" --phase "$runs_dir/one3" "$l3" "$one3" \
    --phase "$runs_dir/control" "$lc" "" --phase "$runs_dir/slower" "$ls" "" ||
    echo "peer rules: real_peers failed, no peer table"
  echo "benchgate's runs per verdict: unchanged $(per "$noise_runs" "$noise_judged")," \
    "control $(per "$control_runs" "$CONTROL"), +10 % every benchmark $(per "$slow_runs" "$SLOW")," \
    "+10 % $one10 $(per "$one10_runs" "$SLOW"), +3 % $one3 $(per "$one3_runs" "$SLOW")"
}
# The machine time of the unchanged commits' verdicts: their mean wall time against a single
# run's (the median of those that needed no confirmation), as "<ratio>x (<mean> s / <single> s)".
machine_time() {
  python3 - "$work/unchanged.times" <<'PY'
import statistics, sys
rows = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
single = [s for r, s in rows if r == 1]
if not rows or not single:
    print("n/a")
else:
    mean, one = statistics.mean(s for _, s in rows), statistics.median(single)
    print("%.2fx (%.2f s / %.2f s)" % (mean / one, mean, one))
PY
}
per() { python3 -c "import sys; print('%.2f' % (int(sys.argv[1]) / max(1, int(sys.argv[2]))))" "$1" "$2"; }
echo
echo "| runs | verdicts with a baseline | failing (caught) | runs per verdict | target |"
echo "|---|---|---|---|---|"
echo "| unchanged, default branch, in order | $noise_judged of $NOISE | $noise_fail | $(per "$noise_runs" "$noise_judged") | 0 failing |"
echo "| unchanged, branch vs $full-run baseline | $CONTROL | $control_fail | $(per "$control_runs" "$CONTROL") | 0 |"
echo "| 10 % slower, branch vs $full-run baseline | $SLOW | $slow_fail | $(per "$slow_runs" "$SLOW") | $SLOW |"
echo "| $one10 (noise $one10_cv) 10 % slower | $SLOW | $one10_caught caught ($one10_failed failing) | $(per "$one10_runs" "$SLOW") | $SLOW caught |"
echo "| $one3 (noise $one3_cv) 3 % slower | $SLOW | $one3_caught caught ($one3_failed failing) | $(per "$one3_runs" "$SLOW") | >= $((SLOW - 1)) caught |"
echo "machine time per unchanged verdict: $(machine_time) a single run (target <= 1.15x)"
peer_table
ok=1
[ "$noise_fail" -eq 0 ] || ok=0
[ "$slow_fail" -eq "$SLOW" ] || ok=0
passed=$(( (noise_fail == 0) + (slow_fail == SLOW) ))
echo "$passed passed, $((2 - passed)) failed"
[ "$ok" = 1 ]
