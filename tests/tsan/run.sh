#!/usr/bin/env bash
# Builds benchgate with ThreadSanitizer in build-tsan (-DBG_SANITIZE=thread) and runs the
# tests that drive the server's threads: parallel uploads from several testbeds with their
# side decisions and replays (test_concurrency, test_kill_durability, test_backup_restore),
# SIGKILLs under uploads, leases and outbox delivery (test_crash_recovery), the connection
# bounds and deadlines with their sweeper thread (test_http_limits),
# the job queue with parked long-polled leases (test_jobs_api, test_serve, test_demo), the
# outbox and its GitHub sender thread (test_outbox, test_github, test_webhook), concurrent
# webhook deliveries (test_webhook_limits), /metrics
# (test_metrics), slow clients (test_api_edges), the dashboard's reads (test_dashboard_api),
# and the unit tests of the modules that share state between threads.
#
# Usage: tests/tsan/run.sh [CTEST-REGEX | all]   (make test-tsan [TSAN_TESTS=...])
#   all: every unit and integration test (ctest -L 'unit|integration').
#   Every report of the runtime (a data race, a lock-order inversion, a thread started after
#   a fork) is written to build-tsan/tsan-reports/ and fails the run, whatever the test's own
#   result; a process with a report also exits 66.
#   Where the runtime cannot map its shadow memory (kernels with vm.mmap_rnd_bits above 28,
#   as Ubuntu 24.04 sets), the tests run under `setarch -R` (no address randomization); when
#   even that fails, the run is skipped with a message saying why (exit 0; BG_TSAN_REQUIRED=1
#   makes it exit 1).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BG_TSAN_BUILD:-$root/build-tsan}
jobs=${JOBS:-2}
units='stats|jobs|outbox|github_app|notify|store|runner'
scripts='concurrency|kill_durability|crash_recovery|http_limits|backup_restore|jobs_api|serve|demo'
scripts+='|outbox|github|webhook|webhook_limits|metrics|api_edges|dashboard_api'
default="^(unit/test_($units)|integration/test_($scripts))\$"
tests=${1:-$default}
select=(-R "$tests")
[ "$tests" != all ] || select=(-L 'unit|integration')

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBG_SANITIZE=thread >/dev/null
cmake --build "$build" -j "$jobs"

# Can an instrumented program start here, as is or without address randomization?
probe() { "$@" "$build/bin/benchgated" --version >/dev/null 2>"$build/tsan-probe.err"; }
run=()
if ! probe; then
  run=(setarch "$(uname -m)" -R)
  if ! probe "${run[@]}"; then
    echo "test-tsan: SKIPPED: a ThreadSanitizer program cannot start on this machine" \
      "(vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo '?'))," \
      "not even under setarch -R; 'sudo sysctl vm.mmap_rnd_bits=28' lets it run:" >&2
    sed 's/^/    /' "$build/tsan-probe.err" >&2
    [ -z "${BG_TSAN_REQUIRED:-}" ]
    exit $?
  fi
  echo "test-tsan: under setarch -R (vm.mmap_rnd_bits=$(cat /proc/sys/vm/mmap_rnd_bits))" >&2
fi

reports=$build/tsan-reports
rm -rf "$reports"
mkdir -p "$reports"
status=0
(cd "$build" && TSAN_OPTIONS="log_path=$reports/tsan second_deadlock_stack=1" \
  ${run[@]+"${run[@]}"} ctest --output-on-failure -j "$jobs" "${select[@]}") || status=1

found=$(find "$reports" -type f | wc -l)
if [ "$found" -gt 0 ]; then
  echo "test-tsan: FAILED: $found ThreadSanitizer report file(s) in $reports:" >&2
  for f in "$reports"/*; do
    echo "---- $f" >&2
    head -n 60 "$f" >&2
  done
  status=1
else
  echo "test-tsan: no ThreadSanitizer report" >&2
fi
exit $status
