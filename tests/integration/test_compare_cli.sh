#!/usr/bin/env bash
# test_compare_cli.sh: `benchgate compare` on native result files: exit codes (0 unchanged,
# 1 regression, 2 bad input or usage), the table sorted by severity, the note about a single
# baseline run, several BASE files and a BASE directory, --min-effect.
# (Needs python3 to write the sample files.)
set -u
BG_BUILD=${BG_BUILD:-$(cd "$(dirname "$0")/../.." && pwd)/build}
BENCHGATE="$BG_BUILD/bin/benchgate"
TMP=$(mktemp -d /tmp/bg_compare_XXXXXX)
trap 'rm -rf "$TMP"' EXIT
passed=0 failures=0
ok() { echo "ok: $*"; passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect() { # WANT NAME -- COMMAND...
  local want=$1 name=$2
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" -ne "$want" ]; then
    bad "$name: exit $got, want $want"
    sed 's/^/    /' "$TMP/err" "$TMP/out" | head -n 12
  else
    ok "$name"
  fi
}
has() { # FILE REGEX NAME
  if grep -qE -- "$2" "$TMP/$1"; then ok "$3"; else
    bad "$3: $1 lacks /$2/"
    sed 's/^/    /' "$TMP/$1" | head -n 12
  fi
}

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

expect 0 "unchanged head against a directory of 8 runs passes" -- \
  "$BENCHGATE" compare "$TMP/base" "$TMP/same.json"
has out '^benchgate compare: 8 baseline runs' "header names the baseline runs"
has out '^verdict: pass' "verdict line says pass"
expect 1 "30 % slower benchmark fails" -- "$BENCHGATE" compare "$TMP/base" "$TMP/slow.json"
has out '^class +benchmark' "table header"
first=$(awk 'NR>1 && /^(regressed|inconclusive|improved|missing|new|unchanged|ignored)/' \
  "$TMP/out" | head -1)
[[ $first == regressed*bench_2*wall_time*+30.* ]] && ok "the regression is the first row" ||
  bad "first row: $first"
has out '\[\+[0-9.]+ %, \+[0-9.]+ %\]' "the change comes with its interval"
has out '^verdict: fail: 1 regression' "verdict line says fail"
expect 0 "a faster benchmark is an improvement, not a failure" -- \
  "$BENCHGATE" compare "$TMP/base" "$TMP/fast.json"
has out '^improved +bench_1' "improved row first"
expect 0 "a missing benchmark is reported and does not fail" -- \
  "$BENCHGATE" compare "$TMP/base" "$TMP/fewer.json"
has out '^missing +bench_5' "missing row"
expect 0 "--min-effect 0.5 lets 30 % through" -- \
  "$BENCHGATE" compare --min-effect 0.5 "$TMP/base" "$TMP/slow.json"
expect 1 "--base repeated gives k runs" -- "$BENCHGATE" compare --base "$TMP/base/run1.json" \
  --base "$TMP/base/run2.json" --base "$TMP/base/run3.json" "$TMP/slow.json"
has out '^benchgate compare: 3 baseline runs' "three baseline runs counted"
# One baseline run cannot show run-to-run noise: the gate is cautious and says so, and the
# 30 % change is still reported (at least inconclusive), never hidden as unchanged.
"$BENCHGATE" compare "$TMP/base/run1.json" "$TMP/slow.json" >"$TMP/out" 2>"$TMP/err"
code=$?
[ "$code" -le 1 ] && ok "a single BASE file: exit $code" || bad "a single BASE file: exit $code"
has out 'single baseline run' "the output says one baseline run makes the verdict weaker"
has out '^(regressed|inconclusive) +bench_2 +wall_time +\+' "the 30 % change is still reported"

echo '{"results": [{"benchmark": "x", "measure": "wall_time", "samples": ["a"]}]}' \
  >"$TMP/broken.json"
expect 2 "a malformed HEAD is exit 2" -- "$BENCHGATE" compare "$TMP/base" "$TMP/broken.json"
has err 'broken.json: results\[0\]' "the error names the file and the field"
expect 2 "a missing file is exit 2" -- "$BENCHGATE" compare "$TMP/nothing.json" "$TMP/same.json"
expect 2 "one argument is a usage error" -- "$BENCHGATE" compare "$TMP/same.json"
expect 2 "an unknown format is exit 2" -- \
  "$BENCHGATE" compare --format nope "$TMP/base" "$TMP/same.json"
expect 2 "a bad --alpha is exit 2" -- \
  "$BENCHGATE" compare --alpha 2 "$TMP/base" "$TMP/same.json"
expect 0 "--help is exit 0" -- "$BENCHGATE" compare --help

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
