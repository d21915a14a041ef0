#!/usr/bin/env bash
# test_webhook_limits.sh: GitHub's webhook deliveries never hold every worker thread.
#
# benchgated runs with --threads 4. Another process holds the database's write lock until
# the deliveries are in, so each delivery handled waits for it (a delivery's write
# transaction). Six signed deliveries are sent in quick succession: at most 2 (BG_API_WEBHOOK_CONCURRENT) are handled, the others
# answer 503 webhooks_busy at once, and meanwhile a read is answered within a second because
# threads are left free. Once the lock is released the two handled deliveries answer 202.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

SECRET="hook-$(date +%s%N)"
printf '%s\n' "$SECRET" >"$TMP/secret"
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
start_server "$DB" --webhook-secret-file "$TMP/secret" --threads 4
create_project "$ADMIN" '{"slug":"demo"}'
expect "project created" 201

"$PY" - "$DB" "$TMP/locked" "$TMP/release" <<'PYEOF' &
import os, sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
open(sys.argv[2], "w").write("locked\n")
t0 = time.time()
while not os.path.exists(sys.argv[3]) and time.time() - t0 < 8:
    time.sleep(0.05)
c.execute("ROLLBACK")
PYEOF
LOCKER=$!
PIDS+=("$LOCKER")
await 's/^locked$/1/p' "$TMP/locked" >/dev/null || { bad "the lock was not taken"; finish; }

hook() {
  local n=$1 body sig
  body="{\"zen\":\"Keep it logically awesome.\",\"hook_id\":$n}"
  sig=$("$PY" -c 'import hmac, hashlib, sys
print("sha256=" + hmac.new(sys.argv[1].encode(), sys.argv[2].encode(), hashlib.sha256).hexdigest())' "$SECRET" "$body")
  curl -s -o "$TMP/hook$n.body" -w '%{http_code} %{time_total}\n' -X POST \
    -H 'Content-Type: application/json' -H 'X-GitHub-Event: ping' -H "X-GitHub-Delivery: d-$n" \
    -H "X-Hub-Signature-256: $sig" --data-binary "$body" "$URL/api/v1/github/webhook" \
    >"$TMP/hook$n.status"
}
hpids=()
# One after another, 0.3 s apart: a worker thread serves its connections in turn, so two
# deliveries accepted at the same instant by one thread would wait behind each other there.
for n in 1 2 3 4 5 6; do
  hook "$n" &
  hpids+=($!)
  sleep 0.3
done
# The lock is held until every delivery has arrived: the four beyond the bound have their
# answers (however slowly the machine starts the six clients), the other two wait for it.
for _ in $(seq 1 120); do
  [ "$(cat "$TMP"/hook*.status 2>/dev/null | grep -c '^503 ')" -ge 4 ] && break
  sleep 0.05
done
t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $ADMIN" \
  "$URL/api/v1/projects")
read -r code secs <<<"$t"
[[ $code == 200 ]] && "$PY" -c "import sys; sys.exit(0 if $secs < 1.0 else 1)" &&
  ok "a read during the deliveries is answered in ${secs}s" ||
  bad "a read during the deliveries: $code after ${secs}s (want 200 within 1 s)"
touch "$TMP/release"
wait "${hpids[@]}" "$LOCKER"
forget "$LOCKER"
busy=0 taken=0
for n in 1 2 3 4 5 6; do
  read -r code secs <"$TMP/hook$n.status"
  if [[ $code == 503 ]] && grep -q '"code":"webhooks_busy"' "$TMP/hook$n.body"; then
    busy=$((busy + 1))
  elif [[ $code == 202 ]]; then
    taken=$((taken + 1))
  else
    bad "delivery $n: $code $(cat "$TMP/hook$n.body")"
  fi
done
check "2 deliveries handled ($taken), once the lock was released" test "$taken" = 2
check "4 deliveries answered 503 webhooks_busy ($busy)" test "$busy" = 4
finish
