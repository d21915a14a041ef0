#!/usr/bin/env bash
# instructions.sh BUILD...: the instructions benchgated executes for one fixed upload workload,
# counted by callgrind (exact and repeatable whatever else the machine does, unlike the
# timings of ab.sh). For each build: a scratch database, one project, and perf_upload's
# uploads of 1 000 results x 10 samples (its 35 warm-up runs, then 10 with one client and 10
# more: 55 in all), the server run under valgrind --tool=callgrind. Prints the total per build
# and per upload; the callgrind files stay in OUT (default a new /tmp/bg-instr.*) for
# callgrind_annotate. It reports numbers and asserts nothing.
set -euo pipefail
out=${OUT:-$(mktemp -d /tmp/bg-instr.XXXXXX)}
mkdir -p "$out"
uploads=55
echo "instructions.sh: callgrind files in $out"
for build in "$@"; do
  build=$(cd "$build" && pwd)
  src=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$build/CMakeCache.txt")
  rev=$(git -C "$src" describe --always --dirty 2>/dev/null || echo "?")
  work=$(mktemp -d /tmp/bg-instr-run.XXXXXX)
  cg="$out/$(echo "$build" | tr / _).cg"
  valgrind --tool=callgrind --callgrind-out-file="$cg" "$build/bin/benchgated" \
    --db "$work/db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
  pid=$!
  url=""
  for _ in $(seq 3000); do
    url=$(sed -n 's/^.* listening on \(http[^ ]*\).*/\1/p' "$work/out")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "benchgated did not start under valgrind in 5 min:" >&2; tail -3 "$work/log" >&2; exit 1; }
  admin=$("$build/bin/benchgated" token create --db "$work/db" --role admin 2>/dev/null)
  curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d '{"slug":"perf"}' >/dev/null
  agent=$("$build/bin/benchgated" token create --db "$work/db" --project perf --role agent \
    2>/dev/null)
  "$build/tests/perf/perf_upload" "$url" perf "$agent" "$src/schema" 10 1 1 >"$work/perf.out"
  kill -INT "$pid"
  wait "$pid" || true
  total=$(sed -n 's/^summary: //p' "$cg")
  echo "$build ($rev): $total instructions, $((total / uploads)) per upload"
  rm -rf "$work"
done
