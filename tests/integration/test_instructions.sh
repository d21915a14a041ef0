#!/usr/bin/env bash
# test_instructions.sh: the `instructions` measure through `benchgate run` on a machine
# without a PMU counts with callgrind, and with clean_env two separate runs whose
# environments differ give identical counts (callgrind is exact; the environment's layout
# moves the stack and so the count, which clean_env fixes). The command is one the agent
# executes directly: a shell records its parent's pid as $PPID, so a count under /bin/sh
# moves by some 19 instructions whenever the agent's pid gains a digit (docs/config.md).
# Skipped where valgrind is missing or a PMU exists (perf counts are not exact).
set -u
. "$(dirname "$0")/lib.sh"
command -v valgrind >/dev/null || { echo "skipped: no valgrind"; exit 0; }
cd "$TMP" || exit 1
cat >bench.yml <<'YML'
project: demo
testbed: t
clean_env: true
suites:
  - name: loop
    command: "seq 1 30000"
    repetitions: 2
    warmup: 0
    measures: [wall_time, instructions]
YML
counts() { # counts OUT: instruction samples of the run in OUT, space-separated
  "$PY" -c "
import json, sys; r = json.load(open(sys.argv[1]))
print(' '.join(str(int(s)) for x in r['results'] if x['measure'] == 'instructions' for s in x['samples']))
print(any('callgrind' in w for w in r.get('warnings', [])), file=sys.stderr)" "$1"
}
for k in 1 2; do
  # Environments with different variables: without clean_env these give counts some
  # hundred instructions apart.
  extra=()
  [ $k = 2 ] && extra=(NOISE2=22222222222222222222 NOISE3=3)
  env CI=1 NOISE=1 "${extra[@]}" "$AGENT" run --dry-run --config bench.yml \
    --commit 0123456789abcdef0123456789abcdef01234567 --branch main --output "run$k.json" \
    >"out$k" 2>"err$k" || { bad "run $k failed"; cat "err$k"; }
done
if grep -q "instructions counted with callgrind" run1.json; then
  ok "no PMU: instructions counted with callgrind, said in the run's warnings"
else
  echo "skipped: instructions came from a PMU here"
  echo "$passed passed, $failed failed"
  exit 0
fi
a=$(counts run1.json 2>/dev/null) b=$(counts run2.json 2>/dev/null)
read -r a1 a2 <<<"$a"
[ -n "$a1" ] && [ "$a1" -gt 1000000 ] && ok "count is real ($a1)" || bad "count missing or tiny: '$a'"
[ "$a1" = "$a2" ] && ok "repetitions agree ($a)" || bad "repetitions differ: $a"
[ "$a" = "$b" ] && ok "two runs with different environments agree ($a / $b)" ||
  bad "runs differ: $a / $b"
finish
