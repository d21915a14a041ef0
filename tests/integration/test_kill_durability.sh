#!/usr/bin/env bash
# test_kill_durability.sh: SIGKILL during concurrent uploads loses no acknowledged run and
# leaves the database intact.
#
# Four curl clients (lib.sh's upload_client) upload runs to the real benchgated; each records
# the run_ids the server answered 201 for. The server is killed with SIGKILL mid-stream; then every acknowledged run
# must be in the database, PRAGMA integrity_check must say ok, and a restarted server must
# answer the replays with 200. An upload stores its run first and its verdict in a second
# transaction: a run the kill (or, to be sure to have one, this script) leaves between the two
# is settled by the restarted server, and a replay of such a run gets the verdict too.
# Needs BG_BUILD, curl and sqlite3. Prints "N passed, M failed".
set -uo pipefail

. "$(dirname "$0")/lib.sh"

if ! command -v sqlite3 >/dev/null; then
  echo "sqlite3 command missing (make deps installs it)"
  exit 1
fi

ADMIN=$(make_token "$TMP/bg.db" --role admin)
start_server "$TMP/bg.db" --threads 4
create_project "$ADMIN" '{"slug":"demo"}'

for c in 1 2 3 4; do upload_client "$c" "$ADMIN" demo & done
sleep 2
stop_server KILL
touch "$TMP/stop"
wait

cat "$TMP"/acked* >"$TMP/acked" 2>/dev/null
acked=$(wc -l <"$TMP/acked")
[[ $acked -gt 0 ]] && ok "clients got $acked runs acknowledged before the kill" ||
  bad "no run was acknowledged"

check=$(sqlite3 "$TMP/bg.db" 'PRAGMA integrity_check')
[[ $check == ok ]] && ok "integrity_check is ok after SIGKILL" || bad "integrity_check: $check"

sqlite3 "$TMP/bg.db" 'SELECT run_id FROM runs' | sort >"$TMP/stored"
missing=$(sort "$TMP/acked" | comm -23 - "$TMP/stored" | wc -l)
[[ $missing == 0 ]] && ok "every acknowledged run is stored" ||
  bad "$missing acknowledged runs lost"

partial=$(sqlite3 "$TMP/bg.db" \
  'SELECT count(*) FROM runs r WHERE (SELECT count(*) FROM results x WHERE x.run_id = r.id) != 200')
[[ $partial == 0 ]] && ok "no run is stored half" || bad "$partial runs stored with missing results"

# A run left without its verdict: the kill's, if it hit between an upload's two
# transactions, and the first acknowledged run, reset to that state here.
first=$(head -n 1 "$TMP/acked")
by_kill=$(sqlite3 "$TMP/bg.db" "SELECT count(*) FROM runs WHERE gate_input = 'pending'")
unsettle() {
  sqlite3 "$TMP/bg.db" "UPDATE runs SET gate_input = 'pending', verdict = NULL,
    verdict_state = NULL WHERE run_id = '$1'; DELETE FROM alerts WHERE run_id =
    (SELECT id FROM runs WHERE run_id = '$1'); DELETE FROM run_gate_inputs WHERE run_id =
    (SELECT id FROM runs WHERE run_id = '$1')"
}
unsettle "$first"
start_server "$TMP/bg.db" --threads 4
left=$(sqlite3 "$TMP/bg.db" \
  "SELECT count(*) FROM runs WHERE gate_input = 'pending' OR verdict_state IS NULL")
if [[ $left == 0 ]]; then
  ok "a restarted server settles the runs left without a verdict ($by_kill by the kill)"
else
  bad "$left runs still without a verdict after the restart"
fi

# replay RUN_ID: uploads that run's payload again; prints the HTTP status.
replay() {
  local c=$((10#${1:24:4})) i=$((10#${1:28:8}))
  run_json "$1" "$(printf '%040x' $((c * 100000 + i)))" tb 200 >"$TMP/replay.json"
  curl -s -o "$TMP/answer" -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' --data-binary @"$TMP/replay.json" \
    "$URL/api/v1/projects/demo/runs"
}
code=$(replay "$first")
[[ $code == 200 ]] && ok "a restarted server answers the replay with 200" ||
  bad "replay after restart answered $code"

# A replay reaching a run whose upload stopped between its transactions settles it.
second=$(sed -n 2p "$TMP/acked")
if [[ -n $second ]]; then
  unsettle "$second"
  code=$(replay "$second")
  state=$(sqlite3 "$TMP/bg.db" "SELECT verdict_state FROM runs WHERE run_id = '$second'")
  if [[ $code == 200 && -n $state ]] &&
    grep -q "\"verdict\":{\"state\":\"$state\"" "$TMP/answer"; then
    ok "a replay of a run without a verdict stores and answers its verdict ($state)"
  else
    bad "replay of a run without a verdict: $code, stored state '$state'"
  fi
fi

finish
