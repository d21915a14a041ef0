#!/usr/bin/env bash
# test_crash_recovery.sh: benchgated survives SIGKILL under load: tests/reliability/crash.sh
# (its header says what runs and what is checked) with 5 kills instead of 20, and GitHub's
# stand-in answering after 5 ms instead of 10 so that the outbox drains within seconds. The
# seed of the kills is printed; CRASH_SEED=N repeats a run.
set -u
export CRASH_DELAY=${CRASH_DELAY:-0.005}
exec bash "$(dirname "$0")/../reliability/crash.sh" 5
