#!/usr/bin/env bash
# test_compare_paired.sh: `benchgate compare --paired`: the rounds of an interleaved A/B
# measurement from files (BASE1 HEAD1 BASE2 HEAD2 ...) or from one run JSON, decided by the
# gate's paired comparison (method paired): every exit code (0 unchanged or improved, 1
# regression, 2 usage or input error), a machine that drifts 5 % per round (which fails an
# unpaired compare of the same files and cancels in the pairs), and the change and interval
# of a lone result recomputed here independently: the paired t over the rounds' differences
# of the 20 % trimmed means of the log samples, t(0.975, 3) = 3.182446 (published tables).
# (Needs python3.)
set -uo pipefail
source "$(dirname "$0")/lib.sh"

# rounds DIR SEED FACTOR [BENCHES] [DROP]: 4 rounds of base and head files in DIR; round r
# runs on a machine 5 % slower per round, both sides alike; benchmark bench_1 of the head is
# FACTOR times slower; BENCHES benchmarks (default 4); DROP: a benchmark only the bases have.
rounds() {
  mkdir -p "$1"
  python3 - "$@" <<'PY'
import json, random, sys
d, seed, factor = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
benches = int(sys.argv[4]) if len(sys.argv) > 4 else 4
drop = sys.argv[5] if len(sys.argv) > 5 else None
rng = random.Random(seed)
def side(drift, f, head):
    res = []
    names = ["bench_%d" % b for b in range(benches)] + ([drop] if drop and not head else [])
    for b, name in enumerate(names):
        lv = 1000.0 * (b + 1) * drift * (1 + rng.gauss(0, 0.004)) * (f if name == "bench_1" else 1)
        res.append({"benchmark": name, "measure": "wall_time", "unit": "ns", "direction": "lower",
                    "samples": [lv * (1 + rng.gauss(0, 0.01)) for _ in range(10)]})
    return {"schema": "benchgate.run/v1", "results": res}
for r in range(4):
    drift = 1.05 ** r
    json.dump(side(drift, 1, False), open("%s/b%d.json" % (d, r), "w"))
    json.dump(side(drift, factor, True), open("%s/h%d.json" % (d, r), "w"))
PY
}
files() { echo "$1/b0.json $1/h0.json $1/b1.json $1/h1.json $1/b2.json $1/h2.json $1/b3.json $1/h3.json"; }

rounds "$TMP/same" 1 1
rounds "$TMP/slow" 2 1.3
rounds "$TMP/lone" 3 1.1 2
rounds "$TMP/gone" 4 1 4 bench_gone

# shellcheck disable=SC2046
expect_exit 0 "unchanged code on a drifting machine passes paired" -- \
  "$AGENT" compare --paired $(files "$TMP/same")
has out '^benchgate compare --paired: 4 rounds of base and head: 4 results in common' "the header counts rounds and results"
has out '^method: paired t test on the 4 rounds' "the method line names the paired test"
has out '^unchanged +bench_3 +wall_time .* paired' "rows name the method"
has out '^verdict: pass' "verdict line says pass"
expect_exit 1 "the same drift fails an unpaired compare of the first base and the last head" -- \
  "$AGENT" compare "$TMP/same/b0.json" "$TMP/same/h3.json"

# shellcheck disable=SC2046
expect_exit 1 "a head 30 % slower in bench_1 fails paired, on the drifting machine" -- \
  "$AGENT" compare --paired $(files "$TMP/slow")
first=$(awk '/^(regressed|inconclusive|improved|missing|new|unchanged|ignored)/' "$TMP/out" | head -1)
[[ $first =~ ^regressed\ +bench_1\ +wall_time\ +\+(2[89]|3[01])\.[0-9]\ %.*paired ]] &&
  ok "the regression (+28 to +32 %) is the first row" || bad "first row: $first"
check "only bench_1 regressed" test "$(grep -c '^regressed' "$TMP/out")" = 1
has out '^verdict: fail: 1 regression: bench_1 wall_time \+(2[89]|3[01])\.' "verdict line says fail"
expect_exit 0 "--min-effect 0.5 lets 30 % through" -- \
  "$AGENT" compare --paired --min-effect 0.5 $(files "$TMP/slow")
expect_exit 0 "base and head swapped: an improvement, exit 0" -- "$AGENT" compare --paired \
  "$TMP/slow/h0.json" "$TMP/slow/b0.json" "$TMP/slow/h1.json" "$TMP/slow/b1.json" \
  "$TMP/slow/h2.json" "$TMP/slow/b2.json" "$TMP/slow/h3.json" "$TMP/slow/b3.json"
has out '^improved +bench_1 +wall_time +-2[0-9.]+ %' "bench_1 improved by about 23 %"

# A result only the bases have is missing (reported, not failed).
# shellcheck disable=SC2046
expect_exit 0 "a result the heads lack is missing, not a failure" -- \
  "$AGENT" compare --paired $(files "$TMP/gone")
has out '^missing +bench_gone' "the missing row"

# The interval of one result (bench_1 +10 %; bench_0 as a second result would shrink the
# variance towards a prior, so the lone one is read from a run of bench_1 alone).
python3 - "$TMP/lone" <<'PY'
import json, sys
d = sys.argv[1]
for side in "bh":
    for r in range(4):
        j = json.load(open("%s/%s%d.json" % (d, side, r)))
        j["results"] = [x for x in j["results"] if x["benchmark"] == "bench_1"]
        json.dump(j, open("%s/%s%d.json" % (d, side, r), "w"))
PY
# shellcheck disable=SC2046
"$AGENT" compare --paired $(files "$TMP/lone") >"$TMP/out"
python3 - "$TMP/lone" "$TMP/out" <<'PY' && ok "a lone result's change and interval are the paired t's" || bad "the paired interval"
import json, math, re, sys
d, table = sys.argv[1], open(sys.argv[2]).read()
def centre(path):
    xs = sorted(math.log(x) for x in json.load(open(path))["results"][0]["samples"])
    g = int(math.floor(0.2 * len(xs)))
    mid = xs[g:len(xs) - g]
    return sum(mid) / len(mid)
diffs = [centre("%s/h%d.json" % (d, r)) - centre("%s/b%d.json" % (d, r)) for r in range(4)]
m = sum(diffs) / 4
s2 = sum((x - m) ** 2 for x in diffs) / 3
h = 3.182446 * math.sqrt(s2 / 4)
want = [100 * math.expm1(m), 100 * math.expm1(m - h), 100 * math.expm1(m + h)]
row = re.search(r"^\S+ +bench_1 +wall_time +\+([0-9.]+) % +\[([-+0-9.]+) %, \+([0-9.]+) %\]", table, re.M)
got = [float(x) for x in row.groups()]
ok = all(abs(a - b) <= 0.05 + 0.002 * abs(b) for a, b in zip(got, want))
print("got %s want %s" % (got, ["%.2f" % w for w in want]))
sys.exit(0 if ok else 1)
PY

# One run JSON with an interleaved part.
python3 - "$TMP/slow" >"$TMP/run.json" <<'PY'
import json, sys
d = sys.argv[1]
side = lambda s, r: json.load(open("%s/%s%d.json" % (d, s, r)))["results"]
rounds = [{"base": side("b", r), "head": side("h", r)} for r in range(4)]
pooled = {}
for r in rounds:
    for x in r["head"]:
        pooled.setdefault(x["benchmark"], dict(x, samples=[]))["samples"] += x["samples"]
print(json.dumps({"schema": "benchgate.run/v1", "run_id": "0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b11",
                  "commit": {"sha": "1" * 40, "branch": "feature"}, "testbed": {"name": "tb"},
                  "results": list(pooled.values()),
                  "interleaved": {"base_sha": "2" * 40, "rounds": rounds}}))
PY
expect_exit 1 "--paired RUN.json: the run's rounds, bench_1 fails" -- "$AGENT" compare --paired "$TMP/run.json"
has out "^run: .*run.json, commit 111111111111 against base 222222222222" "it names the commits"
has out '^regressed +bench_1' "the regression row"

# Usage and input errors.
expect_exit 2 "an odd number of files is a usage error" -- \
  "$AGENT" compare --paired "$TMP/same/b0.json" "$TMP/same/h0.json" "$TMP/same/b1.json"
has err 'an even number, 4 or more' "the error says what is expected"
expect_exit 2 "one round is a usage error" -- \
  "$AGENT" compare --paired "$TMP/same/b0.json" "$TMP/same/h0.json"
expect_exit 2 "no files is a usage error" -- "$AGENT" compare --paired
expect_exit 2 "one file without an interleaved part is an input error" -- \
  "$AGENT" compare --paired "$TMP/same/b0.json"
has err 'no interleaved part|not a run payload' "the error says why"
expect_exit 2 "--paired with --base is a usage error" -- \
  "$AGENT" compare --paired --base "$TMP/same/b0.json" $(files "$TMP/same")
expect_exit 2 "--paired with --noise is a usage error" -- \
  "$AGENT" compare --paired --noise 0.1 $(files "$TMP/same")
expect_exit 2 "a missing file is exit 2" -- \
  "$AGENT" compare --paired "$TMP/same/b0.json" "$TMP/nothing.json" "$TMP/same/b1.json" "$TMP/same/h1.json"
"$AGENT" compare --help >"$TMP/out"
has out '--paired' "--help explains --paired"

finish
