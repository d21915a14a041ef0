#!/usr/bin/env bash
# run.sh: make bench. Starts the real benchgated on a scratch database and measures uploads
# (perf_upload) against it. Prints a Markdown table per measurement for docs/performance.md.
set -euo pipefail
build=${BG_BUILD:?BG_BUILD is the build directory}
src=${BG_SOURCE:?BG_SOURCE is the source directory}
work=$(mktemp -d /tmp/bg-perf.XXXXXX)
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

db=$work/perf.db
"$build/bin/benchgated" --db "$db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
server=$!
for _ in $(seq 100); do
  url=$(sed -n 's/^benchgated listening on \(http[^ ]*\).*/\1/p' "$work/out" 2>/dev/null || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "${url:-}" ] || { cat "$work/log"; exit 1; }
admin=$("$build/bin/benchgated" token create --db "$db" --role admin)
curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' -d '{"slug":"perf"}' >/dev/null
agent=$("$build/bin/benchgated" token create --db "$db" --project perf --role agent)

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
  "$(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ)"
echo
"$build/tests/perf/perf_upload" "$url" perf "$agent" "$src/schema" "${BG_PERF_RUNS:-40}" \
  "${BG_PERF_CLIENTS:-4}" "${BG_PERF_ROUNDS:-3}"
