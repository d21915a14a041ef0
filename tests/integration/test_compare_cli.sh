#!/usr/bin/env bash
# test_compare_cli.sh: `benchgate compare BASE... HEAD`: every exit code (0 unchanged or
# improved, 1 regression, 2 bad input, usage, or files that share no benchmark), the table
# (sorted by severity, units, method, q and q_worse, the reason of every inconclusive row, a
# legend), several BASE files and a BASE directory, --min-effect, --noise and --fail-rate.
# Real Google Benchmark output (tests/fixtures/gbench/compare-*.json, made by
# tests/fixtures/regen.sh; 5 repetitions each) with one run a side: a copy with one benchmark
# 30 % (and 1.5x, 2x, 3x) slower fails, the file against itself passes with the intervals the
# stated noise gives, recomputed here independently. (Needs python3.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"
GB="$BG_SOURCE/tests/fixtures/gbench"

# native SEED FACTOR SLOW_BENCH: a run file of 6 benchmarks x 10 samples with 1 % noise;
# benchmark SLOW_BENCH (or none) is FACTOR times slower, bench_5 disappears when FACTOR is 0.
native() {
  python3 - "$@" <<'PY'
import json, random, sys
seed, factor, slow = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
rng = random.Random(seed)
run_shift = rng.gauss(0, 0.003)
results = []
for b in range(6):
    name = "bench_%d" % b
    if factor == 0 and b == 5:
        continue
    level = 1000.0 * (b + 1) * (1 + run_shift) * (factor if name == slow and factor else 1)
    results.append({"benchmark": name, "measure": "wall_time", "unit": "ns",
                    "direction": "lower",
                    "samples": [level * (1 + rng.gauss(0, 0.01)) for _ in range(10)]})
print(json.dumps({"schema": "benchgate.run/v1", "results": results}))
PY
}
mkdir -p "$TMP/base"
for i in 1 2 3 4 5 6 7 8; do native "$i" 1 none >"$TMP/base/run$i.json"; done
native 100 1 none >"$TMP/same.json"
native 101 1.3 bench_2 >"$TMP/slow.json"
native 102 0.7 bench_1 >"$TMP/fast.json"
native 103 0 none >"$TMP/fewer.json"

expect_exit 0 "unchanged head against a directory of 8 runs passes" -- \
  "$AGENT" compare "$TMP/base" "$TMP/same.json"
has out '^benchgate compare: 8 baseline runs' "header names the baseline runs"
has out '^verdict: pass' "verdict line says pass"
expect_exit 1 "30 % slower benchmark fails" -- "$AGENT" compare "$TMP/base" "$TMP/slow.json"
has out '^class +benchmark' "table header"
first=$(awk 'NR>1 && /^(regressed|inconclusive|improved|missing|new|unchanged|ignored)/' \
  "$TMP/out" | head -1)
[[ $first == regressed*bench_2*wall_time*+30.* ]] && ok "the regression is the first row" ||
  bad "first row: $first"
has out '\[\+[0-9.]+ %, \+[0-9.]+ %\]' "the change comes with its interval"
has out '^verdict: fail: 1 regression' "verdict line says fail"
expect_exit 0 "a faster benchmark is an improvement, not a failure" -- \
  "$AGENT" compare "$TMP/base" "$TMP/fast.json"
has out '^improved +bench_1' "improved row first"
expect_exit 0 "a missing benchmark is reported and does not fail" -- \
  "$AGENT" compare "$TMP/base" "$TMP/fewer.json"
has out '^missing +bench_5' "missing row"
expect_exit 0 "--min-effect 0.5 lets 30 % through" -- \
  "$AGENT" compare --min-effect 0.5 "$TMP/base" "$TMP/slow.json"
expect_exit 1 "--base repeated gives k runs" -- "$AGENT" compare --base "$TMP/base/run1.json" \
  --base "$TMP/base/run2.json" --base "$TMP/base/run3.json" "$TMP/slow.json"
has out '^benchgate compare: 3 baseline runs' "three baseline runs counted"
# One baseline run: the repetitions plus the stated noise decide, and a 30 % change fails.
expect_exit 1 "a single BASE file: the 30 % slower benchmark fails" -- \
  "$AGENT" compare "$TMP/base/run1.json" "$TMP/slow.json"
has out '^method: t test on the repetitions.*stated run-to-run' "the method line names the stated noise"
has out 'noise of CV 3.0 % \(the default' "the default noise is stated"
has out '^regressed +bench_2 +wall_time +\+' "the 30 % change is the regression"

echo '{"results": [{"benchmark": "x", "measure": "wall_time", "samples": ["a"]}]}' \
  >"$TMP/broken.json"
expect_exit 2 "a malformed HEAD is exit 2" -- "$AGENT" compare "$TMP/base" "$TMP/broken.json"
has err 'broken.json: results\[0\]' "the error names the file and the field"
expect_exit 2 "a missing file is exit 2" -- "$AGENT" compare "$TMP/nothing.json" "$TMP/same.json"
expect_exit 2 "one argument is a usage error" -- "$AGENT" compare "$TMP/same.json"
expect_exit 2 "an unknown format is exit 2" -- \
  "$AGENT" compare --format nope "$TMP/base" "$TMP/same.json"
expect_exit 2 "a bad --alpha is exit 2" -- \
  "$AGENT" compare --alpha 2 "$TMP/base" "$TMP/same.json"
expect_exit 0 "--help is exit 0" -- "$AGENT" compare --help

# ---- real Google Benchmark output, one run a side ----
# scale SRC BENCH FACTOR: a copy of a Google Benchmark JSON file with BENCH's times multiplied
# by FACTOR (its rates divided by it).
scale() {
  python3 - "$@" <<'PY'
import json, sys
src, bench, factor = sys.argv[1], sys.argv[2], float(sys.argv[3])
d = json.load(open(src))
for b in d["benchmarks"]:
    if b.get("run_name", b["name"]) != bench or b.get("aggregate_name") == "cv":
        continue
    for k in ("real_time", "cpu_time"):
        b[k] *= factor
    for k in ("bytes_per_second", "items_per_second", "pushes"):
        if k in b:
            b[k] /= factor
json.dump(d, sys.stdout, indent=1)
PY
}
for f in 1.3 1.5 2 3; do
  scale "$GB/compare-1.json" BM_VectorPush $f >"$TMP/gb_slow$f.json"
  expect_exit 1 "gbench: BM_VectorPush x$f fails against one run" -- \
    "$AGENT" compare "$GB/compare-1.json" "$TMP/gb_slow$f.json"
done
"$AGENT" compare "$GB/compare-1.json" "$TMP/gb_slow1.3.json" >"$TMP/out"
has out '^regressed +BM_VectorPush +cpu_time +\+30\.0 % +\[\+[0-9.]+ %, \+[0-9.]+ %\] +450 ns +585 ns' \
  "the regression row: change, interval and centres in ns"
has out '^regressed +BM_VectorPush +items_per_second +-23\.1 %.* M items/s' "a rate in M items/s"
has out '^unchanged +BM_StringCopy/4096 +bytes_per_second .* GiB/s' "bytes per second in GiB/s"
has out '^class +benchmark +measure +change +95 % interval +base +head +q +q_worse +method +why$' \
  "the table header names every column"
has out '^columns: change = HEAD vs BASE' "a legend follows the table"
has out 'fail_rate 0.0075' "the legend and header name fail_rate"
if grep -qE 'e[+-][0-9]{2} (ns|us)|[0-9]e\+' "$TMP/out"; then bad "no exponents in the table"; else
  ok "no exponents in the table"
fi

expect_exit 0 "gbench: a file against itself passes" -- \
  "$AGENT" compare "$GB/compare-1.json" "$GB/compare-1.json"
has out '^verdict: pass: no regressions \(10 unchanged\)' "every result unchanged"
# The interval the stated noise gives, from the samples: w = Tukey-McLaughlin variance of the
# 20 % trimmed mean of the log repetitions (n 5, one trimmed at each end), se^2 =
# 2 (w + log(1 + 0.03^2)), a known variance: half-width 1.959964 se, mapped by exp - 1.
python3 - "$GB/compare-1.json" "$TMP/out" >"$TMP/widths" <<'PY'
import json, math, re, sys
d = json.load(open(sys.argv[1]))
table = open(sys.argv[2]).read()
runs = {}
for b in d["benchmarks"]:
    if b.get("run_type") == "iteration":
        runs.setdefault(b["run_name"], {"wall_time": [], "cpu_time": []})
        runs[b["run_name"]]["wall_time"].append(b["real_time"])
        runs[b["run_name"]]["cpu_time"].append(b["cpu_time"])
worst = 0
for name, ms in runs.items():
    for measure, xs in ms.items():
        l = sorted(math.log(x) for x in xs)
        n, g = len(l), int(math.floor(0.2 * len(l)))
        win = [l[g]] * g + l[g:n - g] + [l[n - 1 - g]] * g
        m = sum(win) / n
        var = sum((v - m) ** 2 for v in win) / (n - 1)
        w = var / ((1 - 2 * g / n) ** 2 * n)
        h = 1.959964 * math.sqrt(2 * (w + math.log1p(0.03 ** 2)))
        want = (100 * math.expm1(-h), 100 * math.expm1(h))
        pat = r"^unchanged +" + re.escape(name) + " +" + measure
        pat += r" +0\.0 % +\[([-+0-9.]+) %, \+([0-9.]+) %\]"
        row = re.search(pat, table, re.M)
        if not row:
            print("missing row", name, measure)
            sys.exit(1)
        got = (float(row.group(1)), float(row.group(2)))
        if abs(got[0] - want[0]) > 0.06 or abs(got[1] - want[1]) > 0.06:
            print("%s %s: got %s, want %.2f %.2f" % (name, measure, got, *want))
            sys.exit(1)
        worst = max(worst, got[1], -got[0])
print("%.1f" % worst)
PY
[ $? -eq 0 ] && ok "self-compare intervals are the stated noise's (widest +-$(cat "$TMP/widths") %)" ||
  bad "self-compare intervals: $(cat "$TMP/widths")"
awk -v w="$(cat "$TMP/widths")" 'BEGIN { exit !(w + 0 < 25) }' &&
  ok "self-compare intervals stay within +-25 %" || bad "self-compare intervals: $(cat "$TMP/widths")"

expect_exit 0 "--noise 0.5 makes a 30 % change inconclusive, not a failure" -- \
  "$AGENT" compare --noise 0.5 "$GB/compare-1.json" "$TMP/gb_slow1.3.json"
has out 'noise of CV 50.0 % \(--noise' "the given noise is stated"
has out '^inconclusive +BM_VectorPush +cpu_time .*not significant: q > alpha 0.05$' \
  "an inconclusive row says why"
expect_exit 0 "--fail-rate 1e-9 keeps a significant slowdown inconclusive" -- \
  "$AGENT" compare --fail-rate 1e-9 "$GB/compare-1.json" "$TMP/gb_slow1.3.json"
has out '^inconclusive +BM_VectorPush +cpu_time .*worse, but q_worse > fail_rate 1e-09$' \
  "the reason names the fail budget"

# Several BASE files: the noise comes from their spread.
expect_exit 1 "gbench: three BASE runs, 3x slower fails" -- \
  "$AGENT" compare "$GB/compare-1.json" "$GB/compare-2.json" "$GB/compare-3.json" \
  "$TMP/gb_slow3.json"
has out '^benchgate compare: 3 baseline runs' "positional BASE files counted"
has out '^method: t test over 3 baseline runs; run-to-run noise from their spread' \
  "the method line says the noise comes from the runs"

# Files that share no benchmark are an input error.
python3 - "$GB/compare-1.json" >"$TMP/renamed.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["benchmarks"]:
    for k in ("name", "run_name"):
        b[k] = "Other_" + b[k]
json.dump(d, sys.stdout)
PY
expect_exit 2 "files with nothing in common are exit 2" -- \
  "$AGENT" compare "$GB/compare-1.json" "$TMP/renamed.json"
has err 'share no \(benchmark, measure\)' "the error says so"
expect_exit 2 "a bad --noise is exit 2" -- \
  "$AGENT" compare --noise -1 "$GB/compare-1.json" "$GB/compare-1.json"
has err '--noise' "the error names --noise"
"$AGENT" compare --help >"$TMP/out"
has out 'fail_rate' "--help explains fail_rate"
has out '--noise CV' "--help explains --noise"
has out 'q_worse' "--help explains the q_worse column"

finish
