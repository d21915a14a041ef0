#!/usr/bin/env bash
# agent_overhead.sh: how much `benchgate run` (command suites) adds per repetition, and how
# much its numbers move from run to run, measured against hyperfine on the same commands in
# the same session (the performance requirement: overhead <= 1 ms beyond the command, spread no worse than
# hyperfine's). A benchmark, not a test: it prints numbers and fails only when it cannot run.
#
# Commands: `true` (next to nothing: what is measured is fork, exec and the tool) and `spin`,
# a CPU loop of about 20 ms compiled here. Tools, each with 3 warm-up runs:
#   hyperfine -N (no shell: hyperfine's own fork/exec, like benchgate's direct exec)
#   benchgate run --dry-run (wall_time samples of a command suite)
#   both again pinned to one CPU (taskset -c 1 for hyperfine, cpus: [1] for benchgate)
# Numbers:
#   median      median of the per-run medians over all runs (ms)
#   vs hf       benchgate's median minus hyperfine's for the same command and pinning
#   spread      of the per-run medians: CV (stdev/mean) and IQR/median, over RUNS runs
#   outside     per extra repetition, the whole process's wall time minus the sum of the
#               reported samples, from runs of 100 and 1100 repetitions of `true`: the time
#               each repetition costs outside its timed window (bookkeeping between runs)
# Everything is measured ROUNDS times; the table gives the median over the rounds with the
# range [min-max] of the rounds for the spread columns.
#
# usage: tests/perf/agent_overhead.sh [--rounds K] [--runs N] [--reps N] [--markdown FILE]
#   BG_BUILD: build directory (default ./build)
set -euo pipefail
RUNS=10
REPS=30
ROUNDS=3
MD=
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --markdown) MD=$2; shift 2 ;;
    *) echo "usage: $0 [--rounds K] [--runs N] [--reps N] [--markdown FILE]" >&2; exit 2 ;;
  esac
done
BG_BUILD=${BG_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
BENCHGATE="$BG_BUILD/bin/benchgate"
PY=/usr/bin/python3
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -x "$BENCHGATE" ] || { echo "no $BENCHGATE: build first" >&2; exit 2; }
PIN_CPU=1
[ "$(nproc)" -ge 2 ] || PIN_CPU=0

TMP=$(mktemp -d /tmp/bg_overhead_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
cat >spin.c <<'EOF'
#include <stdlib.h>
int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], NULL, 10) : 1000000;
  volatile unsigned long x = 0;
  for (long i = 0; i < n; i++)
    x += (unsigned long)i;
  return 0;
}
EOF
cc -O2 -o spin spin.c
# Calibrate the loop to about 20 ms on this machine (fastest of 10: load only slows).
hyperfine -N --warmup 2 --runs 10 --export-json cal.json "$TMP/spin 20000000" >/dev/null 2>&1
N=$("$PY" -c "
import json, statistics as st
t = min(json.load(open('cal.json'))['results'][0]['times'])  # least disturbed
print(int(20000000 * 0.020 / t))")
SPIN="$TMP/spin $N"
SHA=0123456789abcdef0123456789abcdef01234567
OUT_A=100
OUT_B=1100

bg_once() { # bg_once NAME COMMAND PIN REPS OUT: one benchgate run; wall samples (s) into OUT
  local cpus=""
  [ "$3" = 1 ] && cpus="cpus: [$PIN_CPU]"
  printf 'project: perf\ntestbed: local\n%s\nsuites:\n  - name: %s\n    command: %s\n    repetitions: %s\n    warmup: 3\n    measures: [wall_time]\n' \
    "$cpus" "$1" "$2" "$4" >bg.yml
  CI=1 "$BENCHGATE" run --dry-run --config bg.yml --commit $SHA --branch main \
    --output bg.json >/dev/null 2>bg.err || { cat bg.err >&2; exit 1; }
  "$PY" -c "
import json; r = json.load(open('bg.json'))['results'][0]
print(' '.join(str(s / 1e9) for s in r['samples']))" >"$5"
}
hf_once() { # hf_once COMMAND PIN REPS OUT
  local pre=()
  [ "$2" = 1 ] && pre=(taskset -c "$PIN_CPU")
  "${pre[@]}" hyperfine -N --warmup 3 --runs "$3" --export-json hf.json "$1" >/dev/null 2>&1
  "$PY" -c "
import json; print(' '.join(map(str, json.load(open('hf.json'))['results'][0]['times'])))" >"$4"
}
whole() { # whole CMD...: wall seconds of the whole command
  local t0 t1
  t0=$(date +%s%N)
  "$@"
  t1=$(date +%s%N)
  echo "$(((t1 - t0)))"
}

: >samples.txt
: >slopes.txt
for round in $(seq "$ROUNDS"); do
  for cmd in true spin; do
    c=$([ $cmd = true ] && echo true || echo "$SPIN")
    for pin in 0 1; do
      for r in $(seq "$RUNS"); do # interleaved, so that drift in the machine hits both alike
        hf_once "$c" $pin "$REPS" s.txt && echo "$round $cmd hyperfine $pin $(cat s.txt)" >>samples.txt
        bg_once "$cmd" "$c" $pin "$REPS" s.txt && echo "$round $cmd benchgate $pin $(cat s.txt)" >>samples.txt
      done
    done
  done
  # Time outside the samples per extra repetition: `true`, OUT_A and OUT_B repetitions.
  for tool in benchgate hyperfine; do
    if [ $tool = benchgate ]; then
      a=$(whole bg_once true true 0 $OUT_A s.txt)
      b=$(whole bg_once true true 0 $OUT_B s4.txt)
    else
      a=$(whole hf_once true 0 $OUT_A s.txt)
      b=$(whole hf_once true 0 $OUT_B s4.txt)
    fi
    echo "$round true $tool $a $b $("$PY" -c "import sys; print(sum(map(float, open('s.txt').read().split())), sum(map(float, open('s4.txt').read().split())))")" >>slopes.txt
  done
done

"$PY" - "$REPS" "$RUNS" "$ROUNDS" "$MD" "$N" <<'PY'
import statistics as st, sys
reps, runs, rounds, md, n = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                             sys.argv[5])
per_run = {}  # (round, cmd, tool, pin) -> per-run medians in ms
for line in open("samples.txt"):
    rd, cmd, tool, pin, *xs = line.split()
    per_run.setdefault((rd, cmd, tool, pin), []).append(st.median(map(float, xs)) * 1e3)
outside = {}  # (cmd, tool) -> ms per extra repetition outside the samples, one per round
for line in open("slopes.txt"):
    rd, cmd, tool, a, b, sa, sb = line.split()
    extra = (int(b) - int(a)) / 1e6 - (float(sb) - float(sa)) * 1e3
    outside.setdefault((cmd, tool), []).append(extra / (1100 - 100))
def q(v, p):
    v = sorted(v); k = (len(v) - 1) * p; f = int(k); c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)
rows = []
for cmd in ("true", "spin"):
    for pin in ("0", "1"):
        for tool in ("hyperfine", "benchgate"):
            med, diff, cv, iqr = [], [], [], []
            for rd in map(str, range(1, rounds + 1)):
                m = per_run[rd, cmd, tool, pin]
                ref = st.median(per_run[rd, cmd, "hyperfine", pin])
                med.append(st.median(m))
                diff.append(st.median(m) - ref)
                cv.append(st.stdev(m) / st.mean(m) * 100)
                iqr.append((q(m, .75) - q(m, .25)) / st.median(m) * 100)
            out = st.median(outside[cmd, tool]) * 1e3 if (cmd, pin) == ("true", "0") else None
            rows.append((cmd, tool + (" pinned" if pin == "1" else ""), st.median(med),
                         st.median(diff) if tool == "benchgate" else None, cv, iqr, out))
hdr = ("command", "tool", "median ms", "vs hyperfine ms", "CV % [range]", "IQR/median % [range]",
       "outside us/rep")
rng = lambda v: f"{st.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]"
fmt = lambda x, d=3: "" if x is None else f"{x:.{d}f}"
lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
for c, t, med, d, cv, iqr, out in rows:
    lines.append(f"| {c} | {t} | {fmt(med)} | {fmt(d)} | {rng(cv)} | {rng(iqr)} | {fmt(out, 0)} |")
text = "\n".join(lines)
print(f"{rounds} rounds of {runs} runs x {reps} repetitions (+3 warm-up) per tool and setting; "
      f"spin = {n} loop steps")
print(text)
if md:
    open(md, "w").write(text + "\n")
PY
