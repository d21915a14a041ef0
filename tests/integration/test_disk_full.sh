#!/usr/bin/env bash
# test_disk_full.sh: a full disk gives uploads a clear 507 and /readyz a 503 with the reason;
# nothing stored is lost, and once space is freed uploads and /readyz recover.
#
# The database lives on a small tmpfs (mounted for the test; skipped, exit 77, where mount is
# not allowed). A filler file takes every byte left; then an upload must answer 507 with
# code insufficient_storage, /readyz 503 saying the disk is full while /healthz stays 200.
# After the filler is removed, an upload answers 201 and /readyz 200; PRAGMA integrity_check
# says ok and every run stored before the disk filled is still there.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 1; }
MNT="$TMP/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=8m tmpfs "$MNT" 2>/dev/null; then
  echo "cannot mount a tmpfs here: skipped"
  exit 77
fi
# On exit: the server stopped first (it holds the database open), then the tmpfs unmounted,
# then lib.sh's cleanup.
unmount() {
  [ -n "${SERVER_PID:-}" ] && stop "$SERVER_PID"
  umount "$MNT" 2>/dev/null
  cleanup
}
trap unmount EXIT
DB="$MNT/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB"
json=(-H 'Content-Type: application/json' -H "Authorization: Bearer $ADMIN")
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201

# upload I: a run of 50 results, 20 samples each.
upload() {
  local body
  body=$(printf '{"schema":"benchgate.run/v1","run_id":"00000000-0000-4000-8000-%012d",' "$1"
    printf '"commit":{"sha":"%040x","branch":"main"},"testbed":{"name":"tb"},"results":[' "$1"
    awk -v i="$1" 'BEGIN { for (k = 0; k < 50; k++) {
      printf "%s{\"benchmark\":\"bench_%d\",\"measure\":\"wall_time\",\"samples\":[", (k ? "," : ""), k
      for (j = 0; j < 20; j++) printf "%s%d.25", (j ? "," : ""), 1000 + i + j
      printf "]}" } }'
    printf ']}')
  req POST /api/v1/projects/demo/runs "${json[@]}" -d "$body"
}
for i in 1 2 3; do
  upload "$i"
  expect "run $i stored while there is space" 201
done

# Fill the file system: the filler takes every block left.
dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null
check "the disk is full" test "$(df --output=avail "$MNT" | tail -1 | tr -d ' ')" -lt 64
got=
for i in $(seq 4 40); do
  upload "$i"
  [[ $STATUS == 201 ]] && continue
  got=$STATUS
  break
done
[[ $got == 507 ]] && ok "an upload on a full disk answers 507" ||
  bad "an upload on a full disk: status $STATUS, want 507: ${BODY:0:300}"
expect_json "its error is insufficient_storage and says the disk is full" \
  "j['error']['code'] == 'insufficient_storage' and 'disk' in j['error']['message'] and 'full' in j['error']['message']"
last=$i
df "$MNT" >&2
req GET /readyz
expect "/readyz is 503 while the disk is full" 503 'not_ready'
expect_json "/readyz says why" "'disk space' in j['error']['message']"
req GET /healthz
expect "/healthz stays 200 (the server answers)" 200
req GET /api/v1/projects/demo/runs/00000000-0000-4000-8000-000000000001
expect "stored runs are still read on a full disk" 200

rm -f "$MNT/filler"
upload "$last"
# 201 when the full disk refused the run's insert; 200 when the insert committed and only the
# verdict's second transaction (a decision done after the insert, upload.c) found the disk
# full: the run was kept pending, and this replay settles it.
if [[ $STATUS == 201 || $STATUS == 200 ]]; then
  expect_json "after space is freed the upload that failed is stored, with its verdict" \
    "j['verdict']['state'] == 'pass'"
else
  bad "after space is freed the upload that failed is stored: status $STATUS: ${BODY:0:300}"
fi
upload $((last + 1))
expect "and the next one too" 201
req GET /readyz
expect "/readyz is 200 again" 200 '"ready"'
stop_server
check "PRAGMA integrity_check is ok" test "$(sqlite3 "$DB" 'PRAGMA integrity_check')" = ok
n=$(sqlite3 "$DB" "SELECT count(*) FROM runs WHERE run_id IN ('00000000-0000-4000-8000-000000000001',
  '00000000-0000-4000-8000-000000000002','00000000-0000-4000-8000-000000000003')")
check "the runs stored before the disk filled are all there ($n of 3)" test "$n" = 3
finish
