#!/usr/bin/env bash
# test_backup_restore.sh: `benchgated backup` taken online while uploads continue restores to
# a server that has everything acknowledged before the backup started, and `benchgated check`
# tells a sound database from a damaged one.
#
# A real server gets a token per role, six runs on main (the last one 3x slower: a fail
# verdict) and a queued job; then two clients upload runs on another testbed while
# `benchgated backup` copies the live database. The server is stopped, the backup copied in
# place of the database (its -wal and -shm removed), and the server started on it again:
# every run acknowledged before the backup started is there, each commit's verdict is the one
# answered before, the job is queued, the tokens work, and `benchgated check` says ok naming
# the schema version. `check` never changes the file it reads; a truncated copy and one with
# bytes overwritten in the middle make it exit 1 naming what it found; a missing file and a
# file that is not a benchgate database exit 2.
#
# Needs BG_BUILD, curl and sqlite3. Prints "N passed, M failed".
set -uo pipefail
. "$(dirname "$0")/lib.sh"

DB="$TMP/bg.db"
json=(-H 'Content-Type: application/json')
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201
AGENT=$(make_token "$DB" --project demo --role agent --name bench-01)
CI=$(make_token "$DB" --project demo --role ci --name ci)
ag=(-H "Authorization: Bearer $AGENT" "${json[@]}")

# payload RUN_ID SHA TESTBED VALUE: a run of one benchmark with five samples around VALUE.
payload() {
  printf '{"schema":"benchgate.run/v1","run_id":"%s","commit":{"sha":"%s","branch":"main"},' \
    "$1" "$2"
  printf '"testbed":{"name":"%s"},"results":[{"benchmark":"a","measure":"wall_time",' "$3"
  printf '"samples":[%d,%d,%d,%d,%d]}]}' "$4" $(($4 + 1)) $(($4 + 2)) $(($4 - 1)) "$4"
}

# ---- before the backup: runs with verdicts, a job ----
: >"$TMP/acked"
for i in 1 2 3 4 5 6; do
  v=100
  [ "$i" = 6 ] && v=300
  id=$(printf '00000000-0000-4000-8000-%012d' "$i")
  sha=$(printf '%040x' "$i")
  req POST /api/v1/projects/demo/runs "${ag[@]}" -d "$(payload "$id" "$sha" tb "$v")"
  [ "$STATUS" = 201 ] && echo "$id $sha" >>"$TMP/acked"
done
check "six runs acknowledged before the backup" test "$(wc -l <"$TMP/acked")" = 6
for sha in $(cut -d' ' -f2 "$TMP/acked"); do
  req GET "/api/v1/projects/demo/commits/$sha/verdict"
  printf '%s' "$BODY" >"$TMP/verdict.$sha"
done
check "the slower commit fails" grep -q '"state":"fail"' "$TMP/verdict.$sha"
check "the commit before it passes" grep -q '"state":"pass"' "$TMP/verdict.$(printf '%040x' 5)"
req POST /api/v1/projects/demo/jobs -H "Authorization: Bearer $CI" "${json[@]}" \
  -d "{\"sha\":\"$(printf '%040x' 7)\",\"branch\":\"main\",\"testbeds\":[\"tb\"]}"
expect "a job queued" 201
JOB=$(json "j['jobs'][0]['id']")

# ---- the backup, taken while two clients upload ----
client() {
  local c=$1 i=0 id code
  while [ ! -e "$TMP/stop" ]; do
    i=$((i + 1))
    id=$(printf '00000000-0000-4000-9000-%04d%08d' "$c" "$i")
    payload "$id" "$(printf '%08x%032x' "$c" "$i")" tb2 100 >"$TMP/p$c.json"
    code=$(curl -s -o /dev/null -w '%{http_code}' "${ag[@]}" --data-binary @"$TMP/p$c.json" \
      "$URL/api/v1/projects/demo/runs")
    [ "$code" = 201 ] && echo "$id" >>"$TMP/during$c"
  done
}
: >"$TMP/during1"
: >"$TMP/during2"
client 1 &
C1=$!
client 2 &
C2=$!
PIDS+=("$C1" "$C2")
await '/./p' "$TMP/during1" >/dev/null && await '/./p' "$TMP/during2" >/dev/null
cat "$TMP/during1" "$TMP/during2" >"$TMP/before_backup" # acknowledged before it started
expect_exit 0 "benchgated backup of the live database while uploads continue" -- \
  "$SERVER" backup --db "$DB" --out "$TMP/backup.db"
sleep 0.3
touch "$TMP/stop"
wait "$C1" "$C2"
forget "$C1"
forget "$C2"
during=$(cat "$TMP/during1" "$TMP/during2" | wc -l)
before=$(wc -l <"$TMP/before_backup")
check "uploads were acknowledged before ($before) and while or after ($during in all) the backup" \
  test "$before" -ge 2 -a "$during" -gt "$before"
check "stopped the server" stop_server

# ---- check on the backup, which it does not change ----
sum=$(md5sum <"$TMP/backup.db")
expect_exit 0 "check of the backup exits 0" -- "$SERVER" check --db "$TMP/backup.db"
has out '^ok$' "check says ok"
want=$(ls "$BG_SOURCE"/schema/[0-9][0-9][0-9]_*.sql | sed -E 's|.*/0*([0-9]+)_.*|\1|' | sort -n | tail -1)
has out "^schema version +$want " "check names the schema version $want"
has out '^integrity_check +ok$' "check ran integrity_check"
has out '^foreign_key_check +ok$' "check ran foreign_key_check"
check "check left the file as it was" test "$(md5sum <"$TMP/backup.db")" = "$sum"

# ---- restore and start again ----
cp "$TMP/backup.db" "$DB"
rm -f "$DB-wal" "$DB-shm"
start_server "$DB"
ok "the server starts on the restored database"
lost=0
while read -r id sha; do
  req GET "/api/v1/projects/demo/runs/$id"
  [ "$STATUS" = 200 ] || lost=$((lost + 1))
done <"$TMP/acked"
while read -r id; do
  req GET "/api/v1/projects/demo/runs/$id"
  [ "$STATUS" = 200 ] || lost=$((lost + 1))
done <"$TMP/before_backup"
check "every run acknowledged before the backup started is restored ($((6 + before)) runs)" \
  test "$lost" = 0
same=0
for sha in $(cut -d' ' -f2 "$TMP/acked"); do
  req GET "/api/v1/projects/demo/commits/$sha/verdict"
  [ "$BODY" = "$(cat "$TMP/verdict.$sha")" ] && same=$((same + 1))
done
check "each commit's verdict is the one answered before the backup" test "$same" = 6
req GET "/api/v1/jobs/$JOB"
expect "the job is restored, queued" 200 '"state":"queued"'
id=00000000-0000-4000-8000-000000000099
req POST /api/v1/projects/demo/runs "${ag[@]}" -d "$(payload "$id" "$(printf '%040x' 99)" tb 100)"
expect "the agent token works after the restore" 201
req POST /api/v1/projects/demo/jobs -H "Authorization: Bearer $CI" "${json[@]}" \
  -d "{\"sha\":\"$(printf '%040x' 8)\",\"branch\":\"main\",\"testbeds\":[\"tb\"]}"
expect "the ci token works after the restore" 201
create_project "$ADMIN" '{"slug":"second"}'
expect "the admin token works after the restore" 201
req POST /api/v1/projects/demo/runs -H "Authorization: Bearer nope" "${json[@]}" -d '{}'
expect "an unknown token still does not" 401
expect_exit 0 "check of the live restored database exits 0" -- "$SERVER" check --db "$DB"
has out '^ok$' "check says ok on the live database"
check "stopped the restored server" stop_server

# ---- damaged copies ----
size=$(stat -c %s "$TMP/backup.db")
check "the backup spans more than 8 pages" test "$size" -gt 32768
cp "$TMP/backup.db" "$TMP/flipped.db"
# 8 KiB of 0x55 from the middle, on page boundaries: b-tree pages no reader can accept.
head -c 8192 /dev/zero | tr '\0' 'U' |
  dd of="$TMP/flipped.db" bs=4096 seek=$((size / 4096 / 2)) conv=notrunc status=none
expect_exit 1 "check of a copy with bytes overwritten in the middle exits 1" -- \
  "$SERVER" check --db "$TMP/flipped.db"
has out '^problem: .*(integrity_check|malformed)' "check names what it found in the overwritten copy"
cp "$TMP/backup.db" "$TMP/short.db"
truncate -s $((size / 2)) "$TMP/short.db"
expect_exit 1 "check of a truncated copy exits 1" -- "$SERVER" check --db "$TMP/short.db"
has out '^problem: .*(integrity_check|malformed)' "check names what it found in the truncated copy"
cp "$TMP/backup.db" "$TMP/altered.db"
sqlite3 "$TMP/altered.db" 'DROP INDEX runs_commit' 2>"$TMP/err"
expect_exit 1 "check of a copy missing an index exits 1" -- "$SERVER" check --db "$TMP/altered.db"
has out '^schema: missing index runs_commit$' "check names the missing index"
sqlite3 "$TMP/altered.db" "PRAGMA user_version = $((want + 1))"
expect_exit 1 "check of a database newer than the binary exits 1" -- \
  "$SERVER" check --db "$TMP/altered.db"
has out "newer than this benchgated" "check says the database is newer"

# ---- usage errors ----
expect_exit 2 "check of a missing file exits 2" -- "$SERVER" check --db "$TMP/nosuch.db"
has err 'nosuch.db: No such file' "check names the missing file"
printf 'not a database at all, just text that is long enough\n' >"$TMP/text.db"
expect_exit 2 "check of a text file exits 2" -- "$SERVER" check --db "$TMP/text.db"
has err 'not a database' "check says the text file is not a database"
sqlite3 "$TMP/other.db" 'CREATE TABLE t(x)'
expect_exit 2 "check of another program's SQLite database exits 2" -- \
  "$SERVER" check --db "$TMP/other.db"
has err 'not a benchgate database' "check says it is not a benchgate database"
check "check did not turn it into one" test "$(sqlite3 "$TMP/other.db" 'PRAGMA user_version')" = 0
expect_exit 2 "check without --db exits 2" -- "$SERVER" check
expect_exit 2 "check with an unknown flag exits 2" -- "$SERVER" check --db "$DB" --nope

finish
