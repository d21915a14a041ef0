#!/usr/bin/env bash
# hostile.sh: benchgated under hostile clients, measured (docs/reliability.md, "Hostile
# clients"). Run by hand after `make build`: tests/reliability/hostile.sh [ROUNDS]
#
# With the default limits, while 300 slow-loris connections (request heads one byte every
# 0.5 s) and 2 000 idle ones come from attacker addresses (127.0.0.1, or spread over 4
# addresses each), a client at another address times GET /healthz and an upload ROUNDS times
# (default 20); then 100 KB and 1 MB request heads, a 4 GiB Content-Length, path traversal in
# several encodings and a corpus of malformed payloads, each checked against the stored data.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"
H="$BG_SOURCE/tests/helpers/hostile.py"
ROUNDS=${1:-20}
ulimit -n 8192
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
AGENT_TOKEN=$(make_token "$DB" --role agent --name bench)
start_server "$DB"
PORT=${URL##*:}
create_project "$ADMIN" '{"slug":"p"}'

run_json() {
  "$PY" -c 'import json, os, sys, uuid
print(json.dumps({"schema": "benchgate.run/v1", "run_id": str(uuid.uuid4()),
  "commit": {"sha": os.urandom(20).hex(), "branch": "main", "message": "m",
             "author": "A <a@example.org>", "timestamp": "2026-11-20T12:00:00Z"},
  "testbed": {"name": "tb", "fingerprint": {"cpus": 2}}, "agent": {"name": "a", "version": "0.1.0"},
  "results": [{"benchmark": "b%d" % i, "measure": "wall_time", "samples": [1.0, 1.1, 1.05]}
              for i in range(100)]}))'
}

# probe NAME: ROUNDS of /healthz and an upload from 127.0.0.9; prints the p50/max times and
# the count of answers that were not 200/201 or took over 1 s.
probe() {
  local name=$1 t code bad=0 ht=() ut=()
  for _ in $(seq 1 "$ROUNDS"); do
    read -r code t < <(curl -s -o /dev/null --interface 127.0.0.9 --max-time 5 \
      -w '%{http_code} %{time_total}\n' "$URL/healthz")
    ht+=("$t")
    [ "$code" = 200 ] && awk -v t="$t" 'BEGIN{exit !(t < 1)}' || bad=$((bad + 1))
    run_json >"$TMP/run.json"
    read -r code t < <(curl -s -o /dev/null --interface 127.0.0.9 --max-time 5 \
      -H "Authorization: Bearer $AGENT_TOKEN" -H 'Content-Type: application/json' \
      --data-binary @"$TMP/run.json" -w '%{http_code} %{time_total}\n' "$URL/api/v1/projects/p/runs")
    ut+=("$t")
    [ "$code" = 201 ] && awk -v t="$t" 'BEGIN{exit !(t < 1)}' || bad=$((bad + 1))
    sleep 0.2
  done
  printf '%s\n' "${ht[@]}" | sort -n | awk -v n="$name" '{a[NR]=$1} END {printf "%s: healthz p50 %.1f ms max %.1f ms; ", n, a[int((NR+1)/2)]*1000, a[NR]*1000}'
  printf '%s\n' "${ut[@]}" | sort -n | awk -v b="$bad" '{a[NR]=$1} END {printf "upload p50 %.1f ms max %.1f ms; failed or over 1 s: %d\n", a[int((NR+1)/2)]*1000, a[NR]*1000, b}'
}

attack() { # attack ADDRESS...: 300 slow-loris and 2 000 idle connections spread over them
  local n=$# a
  for a in "$@"; do
    "$PY" "$H" slowloris 127.0.0.1 "$PORT" --from "$a" --count $((300 / n)) --within 60 \
      >"$TMP/loris.$a" 2>&1 &
    "$PY" "$H" idle 127.0.0.1 "$PORT" --from "$a" --count $((2000 / n)) --seconds 15 \
      >"$TMP/idle.$a" 2>&1 &
  done
  sleep 2
}

probe "quiet"
attack 127.0.0.1
probe "300 slow-loris + 2000 idle from 127.0.0.1"
curl -s --interface 127.0.0.9 "$URL/metrics" | grep -E '^benchgate_connections_(open|refused|cut)'
sleep 14
attack 127.0.1.1 127.0.1.2 127.0.1.3 127.0.1.4
probe "300 slow-loris + 2000 idle from 4 addresses"
curl -s --interface 127.0.0.9 "$URL/metrics" | grep -E '^benchgate_connections_(open|refused|cut)'
sleep 14

for size in 100000 1000000; do
  "$PY" -c "import sys; sys.stdout.write('GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: ' + 'a' * $size + '\r\n\r\n')" >"$TMP/bighead"
  t0=$(date +%s%N)
  echo "request head of $size bytes: $("$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/bighead") in $((($(date +%s%N) - t0) / 1000000)) ms"
done
t0=$(date +%s%N)
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 4294967296\r\n\r\n{' "$AGENT_TOKEN" >"$TMP/huge"
echo "Content-Length 4 GiB: $("$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/huge") in $((($(date +%s%N) - t0) / 1000000)) ms"
for path in '/../../etc/passwd' '/%2e%2e/%2e%2e/etc/passwd' '/%252e%252e/etc/passwd' \
  '/..%2f..%2fetc/passwd' '/.%2e/.%2e/etc/passwd' '/%c0%ae%c0%ae/etc/passwd' \
  '/..\..\etc\passwd' '/js/../../etc/passwd' '/.git/config' '/%00/etc/passwd'; do
  printf 'GET %s HTTP/1.1\r\nHost: t\r\n\r\n' "$path" >"$TMP/trav"
  echo "traversal $path: $("$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/trav")"
done
before=$(sqlite3 "$DB" 'SELECT count(*) FROM runs')
"$PY" - "$URL" "$AGENT_TOKEN" <<'PY'
import json, sys, urllib.request
url, token = sys.argv[1], sys.argv[2]
good = ('{"schema":"benchgate.run/v1","run_id":"0f9c4f0e-8d7a-4a53-9f76-2c1f9d1e6b99",'
        '"commit":{"sha":"%s","branch":"main","message":"m","author":"A <a@example.org>",'
        '"timestamp":"2026-11-20T12:00:00Z"},"testbed":{"name":"tb","fingerprint":{"cpus":2}},'
        '"agent":{"name":"a","version":"0.1.0"},"results":[{"benchmark":"b","measure":'
        '"wall_time","samples":[1.0]}]}') % ("ab" * 20)
corpus = {
    "deep nesting": b"[" * 100000 + b"]" * 100000,
    "deep object": b'{"a":' * 50000 + b"1" + b"}" * 50000,
    "invalid UTF-8": good.replace('"m"', '"\xff\xfe"').encode("latin-1"),
    "overlong UTF-8": good.replace('"m"', '"\xc0\xaf"').encode("latin-1"),
    "surrogate escape": good.replace('"m"', '"\\ud800"').encode(),
    "NUL inside a string": good.replace('"tb"', '"t\\u0000b"').encode(),
    "raw NUL": good.replace('"tb"', '"t\x00b"').encode(),
    "duplicate key": good.replace('"branch":"main"', '"branch":"main","branch":"dev"').encode(),
    "truncated": good[:-10].encode(),
    "number overflow": good.replace("[1.0]", "[1e999]").encode(),
    "huge string": good.replace('"m"', '"' + "x" * 5000000 + '"').encode(),
    "not an object": b'"just a string"',
    "empty": b"",
}
for name, body in corpus.items():
    rq = urllib.request.Request(url + "/api/v1/projects/p/runs", data=body, method="POST",
                                headers={"Authorization": "Bearer " + token,
                                         "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(rq, timeout=10) as r:
            code, text = r.status, r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        code, text = e.code, e.read().decode("utf-8", "replace")
    try:
        err = json.loads(text)["error"]
        what = "%s %s" % (err.get("code"), err.get("field", ""))
    except Exception:
        what = text[:80]
    print("payload %-20s -> %d %s" % (name, code, what))
# a lying Content-Length: says 1000, sends 10 and closes
import socket
s = socket.create_connection(("127.0.0.1", int(url.rsplit(":", 1)[1])))
s.sendall(("POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
           "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"schema\":" % token).encode())
s.shutdown(socket.SHUT_WR)
print("lying Content-Length (1000, sent 10):", (s.recv(200).split(b"\r\n")[0] or b"closed").decode())
PY
after=$(sqlite3 "$DB" 'SELECT count(*) FROM runs')
echo "runs stored before the corpus: $before, after: $after; integrity: $(sqlite3 "$DB" 'PRAGMA integrity_check')"
curl -s -o /dev/null -w 'healthz after everything: %{http_code}\n' "$URL/healthz"
