#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in build-fuzz and runs each for DURATION seconds on
# a corpus seeded from tests/fixtures (adapters) and tests/fuzz/seeds (run payloads, configs,
# router paths, webhook deliveries).
#
# Usage: tests/fuzz/run.sh [--no-build] DURATION [TARGET...]
#   TARGET: fuzz_adapters, fuzz_run, fuzz_config, fuzz_router, fuzz_webhook (default: all).
#   Crashes are written to build-fuzz/crashes/<target>/ and make the script exit 1; once
#   fixed, copy the input to tests/fuzz/regressions/<target>/ so every later run replays it.
#   The corpus grows in build-fuzz/corpus/<target>/ between runs.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BG_FUZZ_BUILD:-$root/build-fuzz}
nobuild=0
if [ "${1:-}" = "--no-build" ]; then
  nobuild=1
  shift
fi
duration=${1:?usage: run.sh [--no-build] DURATION [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_adapters fuzz_run fuzz_config fuzz_router fuzz_webhook)

if [ $nobuild -eq 0 ]; then
  command -v clang >/dev/null || { echo "run.sh: clang is needed" >&2; exit 2; }
  CC=clang cmake -S "$root" -B "$build" -DBG_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
  cmake --build "$build" -j2 --target "${targets[@]}"
fi

# Seeds: each fixture once per format byte (0 = detect, then the adapter's own index as in
# fuzz_adapters.c), so the fuzzer starts from valid input of every format.
formats=(detect native gbench hyperfine criterion go catch2 pytest-benchmark bmf jmh)
seed_adapters() {
  local dir=$1 f fmt i
  for f in "$root"/tests/fixtures/*/*.json "$root"/tests/fixtures/*/*.txt \
           "$root"/tests/fixtures/*/*.xml; do
    fmt=$(basename "$(dirname "$f")")
    for i in "${!formats[@]}"; do
      if [ "$i" -eq 0 ] || [ "${formats[$i]}" = "$fmt" ]; then
        { printf "\\x$(printf %02x "$i")"; cat "$f"; } >"$dir/seed-$fmt-$i-$(basename "$f")"
      fi
    done
  done
}

# Config seeds: the first byte picks the parser (even: benchgate.yml, odd: agent.yml).
seed_config() {
  local dir=$1 f i=0
  for f in "$root"/examples/*/benchgate.yml "$root"/tests/fuzz/seeds/config/*.yml; do
    [ -f "$f" ] || continue
    i=$((i + 1))
    case $(basename "$f") in
      agent*) { printf '\x01'; cat "$f"; } >"$dir/seed-$i" ;;
      *) { printf '\x00'; cat "$f"; } >"$dir/seed-$i" ;;
    esac
  done
}

status=0
for t in "${targets[@]}"; do
  corpus=$build/corpus/$t
  crashes=$build/crashes/$t
  mkdir -p "$corpus" "$crashes"
  seeds=$(mktemp -d)
  case $t in
    fuzz_adapters) seed_adapters "$seeds" ;;
    fuzz_run) cp "$root"/tests/fuzz/seeds/run/*.json "$seeds"/ ;;
    fuzz_config) seed_config "$seeds" ;;
    fuzz_router) cp "$root"/tests/fuzz/seeds/router/* "$seeds"/ ;;
    fuzz_webhook) cp "$root"/tests/fuzz/seeds/webhook/* "$seeds"/ ;;
  esac
  # Inputs that once crashed a target stay in its seeds (tests/fuzz/regressions/<target>/).
  find "$root/tests/fuzz/regressions/$t" -type f ! -name .keep -exec cp {} "$seeds"/ \; \
    2>/dev/null || true
  echo "run.sh: $t for ${duration}s" >&2
  if ! ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
    "$build/tests/fuzz/$t" -max_total_time="$duration" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -dict="$root/tests/fuzz/fuzz.dict" -artifact_prefix="$crashes/" \
    -print_final_stats=1 "$corpus" "$seeds" 2>"$build/$t.log"; then
    echo "run.sh: $t FAILED; see $build/$t.log and $crashes/" >&2
    tail -40 "$build/$t.log" >&2
    status=1
  else
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb|^#[0-9]+.*DONE' \
      "$build/$t.log" >&2 || true
  fi
  rm -rf "$seeds"
done
exit $status
