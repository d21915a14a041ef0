#!/usr/bin/env bash
# test_run_centres.sh: the run centre chosen per series, through the real benchgated. Every
# stored result keeps the mean of the lowest and of the highest 30 % of its log samples
# (results.log_low, log_high; NULL for a summary-only result). 25 main-branch runs whose
# repetitions are slowed by interference (a random share of each run, by up to 20 %) make the
# gate test each series on its best 30 %: a candidate with half its repetitions 20 % slower
# then passes with changes within 1 %. With the columns emptied (rows stored before
# 013_run_centres.sql) the same candidate is judged on the trimmed mean and moves by 5 % or
# more.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
start_server "$DB"
ADMIN=$(make_token "$DB" --role admin)
create_project "$ADMIN" '{"slug":"centres"}'
expect "project created" 201
AGENT_TOKEN=$(make_token "$DB" --project centres --role agent)

# upload N BUSY: main-branch run N (commit day N); BUSY 1: five of ten repetitions 20 % slower.
upload() {
  python3 - "$1" "$2" >"$TMP/run.json" <<'PY'
import json, math, random, sys, uuid
n, busy = int(sys.argv[1]), sys.argv[2] == "1"
rng = random.Random(n)
results = []
for b in range(5):
    share = 0.4 * rng.random()
    off = rng.gauss(0, 0.001)
    samples = []
    for i in range(10):
        v = 1e6 * (b + 1) * math.exp(off + rng.gauss(0, 0.003))
        if busy and i < 5:
            v *= 1.2
        elif not busy and rng.random() < share:
            v *= 1 + 0.2 * rng.random()
        samples.append(v)
    results.append({"benchmark": "bm%d" % b, "measure": "wall_time", "unit": "ns",
                    "direction": "lower", "samples": samples})
results.append({"benchmark": "summary", "measure": "wall_time", "unit": "ns",
                "direction": "lower", "summary": {"n": 10, "mean": 5e5, "stddev": 1e3}})
print(json.dumps({
    "schema": "benchgate.run/v1", "run_id": str(uuid.UUID(int=n)),
    "commit": {"sha": "%040d" % n, "branch": "main",
               "timestamp": "2026-11-01T%02d:%02d:00Z" % (n // 60, n % 60)},
    "testbed": {"name": "tb"}, "results": results}))
PY
  req POST /api/v1/projects/centres/runs -H 'Content-Type: application/json' \
    -H "Authorization: Bearer $AGENT_TOKEN" --data-binary @"$TMP/run.json"
}

ok_all=1
for n in $(seq 1 25); do
  upload "$n" 0
  [[ $STATUS == 201 ]] || ok_all=0
done
check "25 baseline runs uploaded" test "$ok_all" = 1

# The stored one-sided centres, recomputed here from the stored samples.
cp "$TMP/run.json" "$TMP/last.json"
sqlite3 "$DB" "SELECT b.name, x.log_low, x.log_high FROM results x JOIN benchmarks b ON
  b.id = x.benchmark_id WHERE x.run_id = (SELECT max(id) FROM runs) ORDER BY b.name" \
  >"$TMP/stored"
check "log_low and log_high are the means of the lowest and highest 3 log samples" \
  python3 - "$TMP/last.json" "$TMP/stored" <<'PY'
import json, math, sys
run = json.load(open(sys.argv[1]))
rows = {l.split("|")[0]: l.rstrip("\n").split("|")[1:] for l in open(sys.argv[2])}
for r in run["results"]:
    low, high = rows[r["benchmark"]]
    if "samples" not in r:
        assert low == "" and high == "", (r["benchmark"], low, high)
        continue
    s = sorted(math.log(v) for v in r["samples"])
    assert abs(float(low) - sum(s[:3]) / 3) < 1e-12, (low, s)
    assert abs(float(high) - sum(s[-3:]) / 3) < 1e-12, (high, s)
PY

upload 26 1
expect_json "a busy candidate passes on the best 30 %" 'j["verdict"]["state"] == "pass"'
req GET "/api/v1/projects/centres/commits/$(printf '%040d' 26)/verdict?testbed=tb"
expect_json "its changes stay within 1 %" \
  'all(abs(r["change"]) < 0.01 for r in j["results"] if r["benchmark"].startswith("bm"))'

# The same baseline without its one-sided centres (as stored before 013), after a restart
# (the server keeps recent runs' centres in memory).
stop_server
sqlite3 "$DB" "UPDATE results SET log_low = NULL, log_high = NULL"
start_server "$DB"
upload 27 1
req GET "/api/v1/projects/centres/commits/$(printf '%040d' 27)/verdict?testbed=tb"
expect_json "on the trimmed mean the same candidate moves by 5 % or more" \
  'all(r["change"] > 0.05 for r in j["results"] if r["benchmark"].startswith("bm"))'

finish
