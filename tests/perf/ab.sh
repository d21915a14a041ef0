#!/usr/bin/env bash
# ab.sh: compares the upload performance of two builds of benchgate on one machine in one
# session. Each round runs the upload measurement of run.sh (BG_PERF_ONLY=upload: perf_upload
# against a fresh benchgated) once per side, back to back; the side that goes first alternates
# from round to round (A B, B A, A B, ...) so that neither side always follows the other.
# Every side runs its own build's programs (bin/benchgated, tests/perf/perf_upload) and its
# own source's schema/ for the SQLite ceiling; the harness (this script and run.sh) is the
# one next to this file for both.
#
# Prints a Markdown table of the medians over the rounds, with [min-max], per side and the
# ratio B/A of the medians, for:
#   upload server time p50 (1 client; each run's value the median of perf_upload's rounds)
#   runs/s with BG_PERF_CLIENTS (default 4) concurrent clients
#   server rows/s as a share of plain SQLite inserting the same rows into a database of the
#   same size, 1 client and 4 clients
#   the SQLite ceiling itself (1-client phase): the same program on both sides, so its spread
#   is the machine's.
# Then each run's values, in the order they ran. It asserts nothing; it fails when a side
# cannot run or an upload fails.
#
# usage: tests/perf/ab.sh [--rounds N] [--max-busy PCT] [--out DIR] BUILD_A BUILD_B
#   BUILD_A, BUILD_B: CMake build directories (the source directory is read from their
#   CMakeCache.txt). --rounds: runs per side (default 5). --max-busy: before each run, wait
#   until the CPUs were at most PCT % busy over 2 s (other work on a shared machine), for at
#   most 5 min, then run anyway; the header counts the runs that started busy (default: do
#   not wait). --out: where each run's output is kept (default a new /tmp/bg-ab.XXXXXX, kept
#   and named on stderr).
#   BG_PERF_RUNS, BG_PERF_CLIENTS, BG_PERF_ROUNDS, BG_PERF_WARMUP pass through to run.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
usage() {
  echo "usage: $0 [--rounds N] [--max-busy PCT] [--out DIR] BUILD_A BUILD_B" >&2
  exit 2
}
rounds=5
max_busy=""
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) [ $# -ge 2 ] || usage; rounds=$2; shift 2 ;;
    --max-busy) [ $# -ge 2 ] || usage; max_busy=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 2 ] || usage
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "ab.sh: --rounds must be a positive integer" >&2; exit 2; }
[ -z "$max_busy" ] || [[ $max_busy =~ ^[0-9]+$ ]] || { echo "ab.sh: --max-busy must be a percentage" >&2; exit 2; }
clients=${BG_PERF_CLIENTS:-4}

# side_source BUILD: the source directory the build was configured from.
side_source() {
  sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$1/CMakeCache.txt" 2>/dev/null
}

# side_commit SOURCE: the short commit of the source, "+changes" when tracked files differ.
side_commit() {
  local c
  c=$(git -C "$1" rev-parse --short HEAD 2>/dev/null) || { echo "not a git checkout"; return; }
  git -C "$1" diff --quiet HEAD 2>/dev/null || c="$c+changes"
  echo "$c"
}

declare -A build src
for s in A B; do
  b=$1
  shift
  [ -d "$b" ] || { echo "ab.sh: $s: no directory $b" >&2; exit 2; }
  b=$(cd "$b" && pwd)
  for f in bin/benchgated tests/perf/perf_upload; do
    [ -x "$b/$f" ] || { echo "ab.sh: $s: no $b/$f (build it first)" >&2; exit 2; }
  done
  build[$s]=$b
  src[$s]=$(side_source "$b")
  [ -d "${src[$s]}/schema" ] || { echo "ab.sh: $s: no source directory in $b/CMakeCache.txt" >&2; exit 2; }
done
[ -n "$out" ] || out=$(mktemp -d /tmp/bg-ab.XXXXXX)
mkdir -p "$out"
echo "ab.sh: each run's output goes to $out" >&2

# field FILE LABEL_REGEX: the value column of perf_upload's table row whose label matches.
field() {
  awk -F'|' -v re="$2" '{ l = $2; gsub(/^ +| +$/, "", l) } l ~ re { print $3; exit }' "$1"
}
# number TEXT: the first number in TEXT; share TEXT: the number before " % of ceiling".
number() { sed -n 's/^[^0-9]*\([0-9][0-9.]*\).*/\1/p' <<<"$1"; }
share() { sed -n 's/.*(\([0-9][0-9.]*\) % of ceiling).*/\1/p' <<<"$1"; }

measures=(p50 rate share1 shareC ceil)
declare -A vals  # vals[side.measure]: space-separated values, in the order the runs ran
load_lo="" load_hi=""
note_load() {
  local l
  l=$(cut -d' ' -f1 /proc/loadavg)
  if [ -z "$load_lo" ] || awk -v a="$l" -v b="$load_lo" 'BEGIN { exit !(a < b) }'; then load_lo=$l; fi
  if [ -z "$load_hi" ] || awk -v a="$l" -v b="$load_hi" 'BEGIN { exit !(a > b) }'; then load_hi=$l; fi
}

# busy_pct SECONDS: how busy the CPUs were over the next SECONDS, in percent of all cores
# (/proc/stat: user nice system idle iowait irq softirq steal; idle and iowait count as idle).
busy_pct() {
  local -a a b
  read -r -a a </proc/stat
  sleep "$1"
  read -r -a b </proc/stat
  awk -v a="${a[*]:1:8}" -v b="${b[*]:1:8}" 'BEGIN {
    n = split(a, x); split(b, y)
    for (i = 1; i <= n; i++) { d = y[i] - x[i]; t += d; if (i == 4 || i == 5) idle += d }
    print t ? int(100 * (t - idle) / t + 0.5) : 0 }'
}

# wait_quiet: with --max-busy, waits (at most 5 min) until the CPUs were quiet enough.
busy_starts=0
wait_quiet() {
  [ -n "$max_busy" ] || return 0
  local until=$((SECONDS + 300)) b
  while :; do
    b=$(busy_pct 2)
    ((b <= max_busy)) && return 0
    ((SECONDS < until)) || break
  done
  echo "ab.sh: the CPUs are still $b % busy after 5 min; running anyway" >&2
  busy_starts=$((busy_starts + 1))
}

# run_side SIDE ROUND: one upload measurement of SIDE; its values go into vals.
run_side() {
  local s=$1 r=$2 f="$out/$1.$2"
  wait_quiet
  note_load
  if ! BG_PERF_ONLY=upload BG_BUILD="${build[$s]}" BG_SOURCE="${src[$s]}" \
    BG_SERVER="${build[$s]}/bin/benchgated" bash "$here/run.sh" >"$f.md" 2>"$f.log"; then
    echo "ab.sh: side $s, round $r failed; its output:" >&2
    cat "$f.md" "$f.log" >&2
    exit 1
  fi
  local v
  declare -A got
  got[p50]=$(number "$(field "$f.md" '^upload server time p50$')")
  got[rate]=$(number "$(field "$f.md" "^runs/s, $clients clients\$")")
  got[share1]=$(share "$(field "$f.md" '^server rows/s, 1 client$')")
  got[shareC]=$(share "$(field "$f.md" "^server rows/s, $clients clients\$")")
  got[ceil]=$(number "$(field "$f.md" '^plain SQLite insert .*same database size \(1-client phase\)$')")
  for m in "${measures[@]}"; do
    v=${got[$m]}
    [ -n "$v" ] || { echo "ab.sh: side $s, round $r: no value for $m in $f.md" >&2; exit 1; }
    vals[$s.$m]+="$v "
  done
  echo "round $r/$rounds $s: p50 ${got[p50]} ms, ${got[rate]} runs/s ($clients clients)," \
    "rows/s ${got[share1]} % / ${got[shareC]} % of SQLite, ceiling ${got[ceil]} rows/s" >&2
}

start=$(date -u +%Y-%m-%dT%H:%MZ)
t0=$SECONDS
for r in $(seq "$rounds"); do
  if ((r % 2)); then order="A B"; else order="B A"; fi
  for s in $order; do run_side "$s" "$r"; done
done
note_load
minutes=$(((SECONDS - t0 + 30) / 60))

# stats V...: "median min max" (median of an even count: mean of the middle two).
stats() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%s %s %s\n", m, v[1], v[NR] }'
}
# ratios MEASURE: B/A of each round (the two runs of a round ran back to back).
ratios() {
  local -a a b
  read -r -a a <<<"${vals[A.$1]}"
  read -r -a b <<<"${vals[B.$1]}"
  for i in "${!a[@]}"; do awk -v a="${a[$i]}" -v b="${b[$i]}" 'BEGIN { print b / a }'; done
}
row() { # row LABEL MEASURE FORMAT
  local -a a b q
  read -r -a a <<<"${vals[A.$2]}"
  read -r -a a <<<"$(stats "${a[@]}")"
  read -r -a b <<<"${vals[B.$2]}"
  read -r -a b <<<"$(stats "${b[@]}")"
  mapfile -t q < <(ratios "$2")
  read -r -a q <<<"$(stats "${q[@]}")"
  awk -v l="$1" -v f="$3" -v am="${a[0]}" -v al="${a[1]}" -v ah="${a[2]}" \
    -v bm="${b[0]}" -v bl="${b[1]}" -v bh="${b[2]}" -v qm="${q[0]}" -v ql="${q[1]}" \
    -v qh="${q[2]}" 'BEGIN {
      printf "| %s | " f " [" f "-" f "] | " f " [" f "-" f "] | %.2f | %.2f [%.2f-%.2f] |\n",
        l, am, al, ah, bm, bl, bh, bm / am, qm, ql, qh }'
}

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)," \
  "$(uname -sr); $start, $minutes min, load average $load_lo-$load_hi" \
  "${max_busy:+(runs started at <= $max_busy % busy, $busy_starts did not)}"
echo "A: ${build[A]} (source ${src[A]}, $(side_commit "${src[A]}"))"
echo "B: ${build[B]} (source ${src[B]}, $(side_commit "${src[B]}"))"
echo "perf_upload per run: ${BG_PERF_ROUNDS:-3} rounds of ${BG_PERF_RUNS:-40} runs with 1 client" \
  "and ${BG_PERF_RUNS:-40} with $clients, after ${BG_PERF_WARMUP:-35} warm-up runs;" \
  "each run's value is the median of its rounds"
echo
echo "| measure ($rounds runs per side, interleaved) | A: median [min-max] | B: median [min-max] |" \
  "B/A of the medians | B/A per round: median [min-max] |"
echo "|---|---|---|---|---|"
row "upload server time p50, ms" p50 "%.2f"
row "runs/s, $clients clients" rate "%.1f"
row "server rows/s, % of plain SQLite, 1 client" share1 "%.0f"
row "server rows/s, % of plain SQLite, $clients clients" shareC "%.0f"
row "plain SQLite ceiling, rows/s (1-client phase)" ceil "%.0f"
echo
echo "Per run, by round (A / B):"
echo
for m in "${measures[@]}"; do
  case $m in
    p50) l="p50 ms" ;;
    rate) l="runs/s, $clients clients" ;;
    share1) l="% of SQLite, 1 client" ;;
    shareC) l="% of SQLite, $clients clients" ;;
    ceil) l="ceiling rows/s" ;;
  esac
  echo "- $l: ${vals[A.$m]% } / ${vals[B.$m]% }"
done
