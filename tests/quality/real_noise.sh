#!/usr/bin/env bash
# real_noise.sh: the gate on real noise, on this machine.
#
# A real suite (examples/gbench, a Google Benchmark binary, and examples/wordcount, a command
# suite) is measured by the real agent in a real git repository and uploaded in order to a
# real benchgated:
#   1. unchanged: BG_NOISE_RUNS (30) default-branch commits of the same code (empty commits),
#      one run each, so run i is judged against the i-1 runs before it (at most 30);
#      target: at most one failing verdict;
#   2. control: BG_CONTROL_RUNS (10) runs of the same code on a branch forked from the last
#      commit, each against the full 30-run baseline; reported (target: no failure);
#   3. slowdown: BG_SLOW_RUNS (10) runs on a branch whose code does 10 % more work
#      (BG_WORK_PERCENT=110 for gbench, 10 % more words for wordcount), each against the same
#      30-run baseline; target: every run fails.
# Prints every verdict's summary and a result table; exits 1 when a target is missed.
# Run by `make quality` (label quality), not by `make test`: it takes several minutes.
set -uo pipefail
build=${BG_BUILD:?BG_BUILD is the build directory}
src=${BG_SOURCE:?BG_SOURCE is the source directory}
NOISE=${BG_NOISE_RUNS:-30}
CONTROL=${BG_CONTROL_RUNS:-10}
SLOW=${BG_SLOW_RUNS:-10}
BENCHGATE=$build/bin/benchgate
BENCHGATED=$build/bin/benchgated
work=$(mktemp -d /tmp/bg-noise.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

db=$work/noise.db
: >"$work/out"
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
curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d '{"slug":"noise"}' >/dev/null || exit 1
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

# One measured run: prints "<exit code> <state> <summary> [load: 1-minute load average
# before the run]" and logs the agent's output. The load shows what else the machine ran.
measure() { # extra args for benchgate run
  local code load
  load=$(cut -d' ' -f1 /proc/loadavg)
  "$BENCHGATE" run --server "$url" --gate "$@" >"$work/run.out" 2>"$work/run.err"
  code=$?
  local state summary
  state=$(sed -n 's/^verdict: \([a-z_]*\).*/\1/p' "$work/run.out" | head -1)
  summary=$(sed -n 's/^verdict: [a-z_]*: //p' "$work/run.out" | head -1)
  echo "$code ${state:-?} ${summary:-} [load $load]"
  [ "$code" -le 1 ] || { cat "$work/run.err" >&2; }
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
  "$(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ); suite format: $micro_format"
noise_fail=0 noise_judged=0
for i in $(seq "$NOISE"); do
  [ "$i" -gt 1 ] && commit "unchanged $i"
  line=$(measure)
  echo "unchanged $i/$NOISE (baseline $((i - 1 < 30 ? i - 1 : 30)) runs): $line"
  set -- $line
  [ "$2" = no_baseline ] || noise_judged=$((noise_judged + 1))
  [ "$1" = 1 ] && noise_fail=$((noise_fail + 1))
done
fork=$(git rev-parse HEAD)
full=$((NOISE < 30 ? NOISE : 30))

control_fail=0
git checkout -q -b control
commit "control: unchanged code on a branch"
for i in $(seq "$CONTROL"); do
  line=$(measure --baseline-sha "$fork")
  echo "control $i/$CONTROL (baseline $full runs): $line"
  set -- $line
  [ "$1" = 1 ] && control_fail=$((control_fail + 1))
done

slow_fail=0
git checkout -q main
git checkout -q -b slower
write_config 110 2200000
commit "slower: 10 % more work"
for i in $(seq "$SLOW"); do
  line=$(measure --baseline-sha "$fork")
  echo "slowdown $i/$SLOW (baseline $full runs): $line"
  set -- $line
  [ "$1" = 1 ] && slow_fail=$((slow_fail + 1))
done

echo
echo "| runs | verdicts with a baseline | failing | target |"
echo "|---|---|---|---|"
echo "| unchanged, default branch, in order | $noise_judged of $NOISE | $noise_fail | <= 1 |"
echo "| unchanged, branch vs $full-run baseline | $CONTROL | $control_fail | 0 |"
echo "| 10 % slower, branch vs $full-run baseline | $SLOW | $slow_fail | $SLOW |"
ok=1
[ "$noise_fail" -le 1 ] || ok=0
[ "$slow_fail" -eq "$SLOW" ] || ok=0
passed=$(( (noise_fail <= 1) + (slow_fail == SLOW) ))
echo "$passed passed, $((2 - passed)) failed"
[ "$ok" = 1 ]
