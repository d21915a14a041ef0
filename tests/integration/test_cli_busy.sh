#!/usr/bin/env bash
# test_cli_busy.sh: benchgated's subcommands wait for the write lock instead of failing with
# "database is locked" while the server is under upload load.
#
# Four curl clients upload runs of 200 results in a loop to a real benchgated; meanwhile
# `token create`, `token list`, `token revoke`, `backup` and `check` run against the same
# database file, several times each. Every one must succeed (exit 0), and no stderr may say
# "locked" or "busy".
set -uo pipefail
source "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB" --threads 4
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201

# payload CLIENT I: a run with 200 results of 10 samples.
payload() {
  printf '{"schema":"benchgate.run/v1","run_id":"00000000-0000-4000-8000-%04d%08d",' "$1" "$2"
  printf '"commit":{"sha":"%040x","branch":"main"},"testbed":{"name":"tb"},"results":[' \
    $(($1 * 100000 + $2))
  awk -v c="$1" -v i="$2" 'BEGIN { for (k = 0; k < 200; k++) {
    printf "%s{\"benchmark\":\"b%d\",\"measure\":\"wall_time\",\"samples\":[", (k ? "," : ""), k
    for (j = 0; j < 10; j++) printf "%s%d.5", (j ? "," : ""), 1000 + c + i + j
    printf "]}" } }'
  printf ']}'
}
client() {
  local c=$1 i=0 code
  while [[ ! -e $TMP/stop ]]; do
    payload "$c" "$i" >"$TMP/p$c.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $ADMIN" \
      -H 'Content-Type: application/json' --data-binary @"$TMP/p$c.json" \
      "$URL/api/v1/projects/demo/runs")
    [[ $code == 201 ]] && echo "$i" >>"$TMP/acked$c"
    i=$((i + 1))
  done
}
cpids=()
for c in 1 2 3 4; do
  client "$c" &
  cpids+=($!)
done
sleep 1

fails=0
runs=0
# cli NAME COMMAND...: one subcommand under load; a failure is shown.
cli() {
  local name=$1
  shift
  runs=$((runs + 1))
  if ! "$@" >"$TMP/out" 2>"$TMP/err" || grep -qiE 'locked|busy' "$TMP/err"; then
    fails=$((fails + 1))
    bad "$name under upload load: $(head -c 300 "$TMP/err")"
  fi
}
for i in 1 2 3 4 5 6 7 8; do
  cli "token create $i" "$SERVER" token create --db "$DB" --role read --name "load-$i"
  id=$(sed -n 's/.*token \([0-9]*\) created.*/\1/p' "$TMP/err")
  cli "token list $i" "$SERVER" token list --db "$DB"
  [ -n "$id" ] && cli "token revoke $i" "$SERVER" token revoke --db "$DB" "$id"
  cli "backup $i" "$SERVER" backup --db "$DB" --out "$TMP/backup$i.db"
  cli "check $i" "$SERVER" check --db "$DB"
done
touch "$TMP/stop"
wait "${cpids[@]}"
acked=$(cat "$TMP"/acked* 2>/dev/null | wc -l)
check "the clients kept uploading meanwhile ($acked runs)" test "$acked" -gt 4
[ "$fails" -eq 0 ] && ok "all $runs subcommands succeeded under upload load"
finish
