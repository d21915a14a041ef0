#!/usr/bin/env bash
# run.sh: make bench. Starts the real benchgated on a scratch database and measures, in order:
# uploads against the SQLite ceiling (perf_upload), the read endpoints (perf_reads: series of
# 10 000 points, commit history pages), plain GET throughput against a trivial libmicrohttpd
# server (perf_get, trivial_httpd), and the server's RSS and the database's size after 1 M
# stored results (perf_store), and the job queue (perf_jobs: a waiting lease woken by an
# enqueue; a lease with 10 000 other jobs queued against one with an almost empty queue).
# Prints a Markdown table per measurement for docs/performance.md. It reports numbers and
# asserts nothing (it fails only when a request fails).
#
# Environment: BG_BUILD, BG_SOURCE (required); BG_SERVER (the benchgated binary, default
# $BG_BUILD/bin/benchgated: point it at another build to compare two versions with this
# harness); BG_PERF_RUNS, BG_PERF_CLIENTS, BG_PERF_ROUNDS (uploads); BG_PERF_POINTS (series
# length, default 10000); BG_PERF_GET_SECONDS (default 5); BG_PERF_GET_ROUNDS (default 3);
# BG_PERF_STORE_RESULTS (default 1000000); BG_PERF_JOBS_ROUNDS (default 200) and
# BG_PERF_JOBS_QUEUED (default 10000); BG_PERF_ONLY (a space-separated subset of
# "upload reads get store jobs").
# tests/perf/ab.sh runs the upload measurement of two builds interleaved through this script.
set -euo pipefail
build=${BG_BUILD:?BG_BUILD is the build directory}
src=${BG_SOURCE:?BG_SOURCE is the source directory}
bin=${BG_SERVER:-$build/bin/benchgated}
perf=$build/tests/perf
only=" ${BG_PERF_ONLY:-upload reads get store jobs} "
work=$(mktemp -d /tmp/bg-perf.XXXXXX)
server=""
trivial=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  [ -n "$trivial" ] && kill "$trivial" 2>/dev/null && wait "$trivial" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Waits for "... listening on http://..." in file $1 and prints the URL.
listen_url() {
  local u=""
  for _ in $(seq 300); do
    u=$(sed -n 's/^.* listening on \(http[^ ]*\).*/\1/p' "$1" 2>/dev/null || true)
    [ -n "$u" ] && break
    sleep 0.1
  done
  echo "$u"
}

db=$work/perf.db
"$bin" --db "$db" --listen 127.0.0.1:0 >"$work/out" 2>"$work/log" &
server=$!
url=$(listen_url "$work/out")
[ -n "$url" ] || { echo "run.sh: benchgated did not start in 30 s" >&2; cat "$work/log" >&2; exit 1; }
admin=$("$bin" token create --db "$db" --role admin 2>/dev/null)
for p in perf reads jobs; do
  curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
    -H 'Content-Type: application/json' -d "{\"slug\":\"$p\"}" >/dev/null
done
agent=$("$bin" token create --db "$db" --project perf --role agent 2>/dev/null)
reader=$("$bin" token create --db "$db" --project reads --role agent 2>/dev/null)
jobs_ci=$("$bin" token create --db "$db" --project jobs --role ci 2>/dev/null)
jobs_agent=$("$bin" token create --db "$db" --project jobs --role agent 2>/dev/null)

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
  "$(uname -sr), $(date -u +%Y-%m-%dT%H:%MZ); server $bin"
echo

if [[ $only == *" upload "* ]]; then
  echo "### Upload"
  "$perf/perf_upload" "$url" perf "$agent" "$src/schema" "${BG_PERF_RUNS:-40}" \
    "${BG_PERF_CLIENTS:-4}" "${BG_PERF_ROUNDS:-3}"
  echo
fi

if [[ $only == *" reads "* ]]; then
  echo "### Reads"
  "$perf/perf_reads" "$url" reads "$reader" "${BG_PERF_POINTS:-10000}" 50
  echo
fi

if [[ $only == *" get "* ]]; then
  echo "### Plain GET throughput, 8 connections"
  "$perf/trivial_httpd" 4 >"$work/tout" 2>&1 &
  trivial=$!
  turl=$(listen_url "$work/tout")
  [ -n "$turl" ] || { cat "$work/tout"; exit 1; }
  secs=${BG_PERF_GET_SECONDS:-5}
  declare -a t_rates h_rates p_rates
  # Alternate the servers so that a noisy neighbour hurts both alike; median of the rounds.
  for _ in $(seq "${BG_PERF_GET_ROUNDS:-3}"); do
    t_rates+=("$("$perf/perf_get" "$turl" / 8 "$secs")")
    h_rates+=("$("$perf/perf_get" "$url" /healthz 8 "$secs")")
    p_rates+=("$("$perf/perf_get" "$url" /api/v1/projects/perf 8 "$secs")")
  done
  kill "$trivial" && wait "$trivial" 2>/dev/null || true
  trivial=""
  med() { printf '%s\n' "$@" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
  t=$(med "${t_rates[@]}")
  h=$(med "${h_rates[@]}")
  p=$(med "${p_rates[@]}")
  echo "| measure (median of ${#t_rates[@]} rounds of ${secs} s, 8 keep-alive connections) |" \
    "value | target |"
  echo "|---|---|---|"
  echo "| trivial libmicrohttpd handler, GET / | $t requests/s | (reference) |"
  row() {
    awk -v what="$1" -v r="$2" -v t="$t" 'BEGIN {
      printf "| benchgated GET %s | %d requests/s (%.0f %% of trivial) | >= 50 %% |\n", what, r,
        100 * r / t }'
  }
  row /healthz "$h"
  row /api/v1/projects/perf "$p"
  echo "| rounds (trivial / healthz / project) | ${t_rates[*]} / ${h_rates[*]} / ${p_rates[*]} | |"
  echo
fi

if [[ $only == *" store "* ]]; then
  echo "### Memory and database size"
  "$perf/perf_store" "$url" perf "$agent" "$db" "$server" "${BG_PERF_STORE_RESULTS:-1000000}" 2
  echo
fi

if [[ $only == *" jobs "* ]]; then
  echo "### Job queue"
  "$perf/perf_jobs" "$url" jobs "$jobs_ci" "$jobs_agent" "${BG_PERF_JOBS_ROUNDS:-200}" \
    "${BG_PERF_JOBS_QUEUED:-10000}"
  echo
fi
