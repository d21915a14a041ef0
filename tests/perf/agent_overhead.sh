#!/usr/bin/env bash
# agent_overhead.sh: how much `benchgate run` (command suites) adds per repetition, and how
# much its numbers move from run to run, measured against hyperfine on the same commands in
# the same session (DESIGN §12: overhead <= 1 ms beyond the command, spread no worse than
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
#   per-rep     wall time a run costs per extra repetition (from REPS and 4*REPS runs, whole
#               process timed), minus the median sample: time spent outside the timed window
#
# usage: tests/perf/agent_overhead.sh [--runs N] [--reps N] [--markdown FILE]
#   BG_BUILD: build directory (default ./build)
set -euo pipefail
RUNS=10
REPS=30
MD=
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --reps) REPS=$2; shift 2 ;;
    --markdown) MD=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--reps N] [--markdown FILE]" >&2; exit 2 ;;
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
# Calibrate the loop to about 20 ms on this machine.
hyperfine -N --warmup 2 --runs 10 --export-json cal.json "$TMP/spin 20000000" >/dev/null 2>&1
N=$("$PY" -c "
import json, statistics as st
t = st.median(json.load(open('cal.json'))['results'][0]['times'])
print(int(20000000 * 0.020 / t))")
SPIN="$TMP/spin $N"
SHA=0123456789abcdef0123456789abcdef01234567

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
for cmd in true spin; do
  c=$([ $cmd = true ] && echo true || echo "$SPIN")
  for pin in 0 1; do
    for r in $(seq "$RUNS"); do # interleaved, so that drift in the machine hits both alike
      hf_once "$c" $pin "$REPS" s.txt && echo "$cmd hyperfine $pin $r $(cat s.txt)" >>samples.txt
      bg_once "$cmd" "$c" $pin "$REPS" s.txt && echo "$cmd benchgate $pin $r $(cat s.txt)" >>samples.txt
    done
  done
done
# Per-repetition cost of the whole process, from runs of REPS and 4*REPS repetitions.
: >slopes.txt
for cmd in true spin; do
  c=$([ $cmd = true ] && echo true || echo "$SPIN")
  for r in 1 2 3; do
    a=$(whole bg_once "$cmd" "$c" 0 "$REPS" s.txt)
    b=$(whole bg_once "$cmd" "$c" 0 $((4 * REPS)) s4.txt)
    echo "$cmd benchgate $a $b $(cat s4.txt)" >>slopes.txt
    a=$(whole hf_once "$c" 0 "$REPS" s.txt)
    b=$(whole hf_once "$c" 0 $((4 * REPS)) s4.txt)
    echo "$cmd hyperfine $a $b $(cat s4.txt)" >>slopes.txt
  done
done

"$PY" - "$REPS" "$RUNS" "$MD" "$N" <<'PY'
import statistics as st, sys
reps, runs, md, n = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
per_run = {}
for line in open("samples.txt"):
    cmd, tool, pin, r, *xs = line.split()
    per_run.setdefault((cmd, tool, pin), []).append(st.median(map(float, xs)) * 1e3)
slope = {}
for line in open("slopes.txt"):
    cmd, tool, a, b, *xs = line.split()
    per_rep = (int(b) - int(a)) / (3 * reps) / 1e6  # ms per extra repetition
    slope.setdefault((cmd, tool), []).append(per_rep - st.median(map(float, xs)) * 1e3)
def q(v, p):
    v = sorted(v); k = (len(v) - 1) * p; f = int(k); c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)
rows = []
for cmd in ("true", "spin"):
    for pin in ("0", "1"):
        for tool in ("hyperfine", "benchgate"):
            m = per_run[cmd, tool, pin]
            med = st.median(m)
            ref = st.median(per_run[cmd, "hyperfine", pin])
            cv = st.stdev(m) / st.mean(m) * 100
            iqr = (q(m, .75) - q(m, .25)) / med * 100
            out = st.median(slope[cmd, tool]) if pin == "0" else None
            rows.append((cmd, tool + (" pinned" if pin == "1" else ""), med,
                         med - ref if tool == "benchgate" else None, cv, iqr, out))
hdr = ("command", "tool", "median ms", "vs hf ms", "CV %", "IQR/med %", "outside ms/rep")
fmt = lambda x, d=3: "" if x is None else f"{x:.{d}f}"
lines = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
for c, t, med, d, cv, iqr, out in rows:
    lines.append(f"| {c} | {t} | {fmt(med)} | {fmt(d)} | {fmt(cv, 2)} | {fmt(iqr, 2)} | {fmt(out)} |")
text = "\n".join(lines)
print(f"{runs} runs x {reps} repetitions (+3 warm-up) per tool and setting; spin = {n} loop steps")
print(text)
if md:
    open(md, "w").write(text + "\n")
PY
