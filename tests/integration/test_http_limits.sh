#!/usr/bin/env bash
# test_http_limits.sh: benchgated against clients that misbehave on purpose
# (tests/helpers/hostile.py), over real HTTP on loopback: connections beyond the bounds in
# total and per client address are closed at once while other clients are served; slow
# request heads and bodies are cut at their deadlines; an endless chunked body is not read
# forever; ambiguous framing (two Content-Length, Content-Length with Transfer-Encoding) is
# 400; "%00" does not cut a path; a port in use is an error; a body's token is checked
# before the body is read; the bytes of bodies read at once are bounded (503 with
# Retry-After beyond); SIGTERM answers the requests in flight and a second signal stops at
# once.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
H="$BG_SOURCE/tests/helpers/hostile.py"
json=(-H 'Content-Type: application/json')
DB="$TMP/bg.db"
ADMIN=$(make_token "$DB" --role admin --name root)
AGENT_TOKEN=$(make_token "$DB" --role agent --name bench)

# run_json RUN_ID SHA: a small valid run payload of project p.
run_json() {
  cat <<EOF
{"schema":"benchgate.run/v1","run_id":"$1",
 "commit":{"sha":"$2","branch":"main","message":"m","author":"A <a@example.org>",
           "timestamp":"2026-11-20T12:00:00Z"},
 "testbed":{"name":"tb","fingerprint":{"cpus":2}},"agent":{"name":"a","version":"0.1.0"},
 "results":[{"benchmark":"b","measure":"wall_time","samples":[1.0,1.1,1.05]}]}
EOF
}
uuid() { "$PY" -c 'import uuid; print(uuid.uuid4())'; }
sha() { "$PY" -c 'import os; print(os.urandom(20).hex())'; }

start_server "$DB" --threads 2 --max-body 65536 --max-connections 12 \
  --max-connections-per-client 4 --header-timeout 2 --request-timeout 3
PORT=${URL##*:}
create_project "$ADMIN" '{"slug":"p"}'
expect "project p" 201

# ---- connection bounds ----
check "a fifth connection from one address is closed at once; another address is served" \
  "$PY" "$H" refused 127.0.0.1 "$PORT" --from 127.0.0.1 --hold 4 --other 127.0.0.2
# 4 + 4 + 4 = 12 = the total bound: a thirteenth, from a fourth address, is refused.
"$PY" "$H" idle 127.0.0.1 "$PORT" --from 127.0.0.2 --count 4 --seconds 2 >"$TMP/idle2" &
idle2=$!
"$PY" "$H" idle 127.0.0.1 "$PORT" --from 127.0.0.3 --count 4 --seconds 2 >"$TMP/idle3" &
idle3=$!
sleep 0.5
check "beyond the total bound a connection is closed at once" \
  "$PY" "$H" refused 127.0.0.1 "$PORT" --from 127.0.0.4 --hold 4
wait "$idle2" "$idle3"
req GET /metrics
expect "metrics count the refused connections by bound" 200 \
  'benchgate_connections_refused_total\{reason="per_client"\} [1-9]'
expect "and the total bound" 200 'benchgate_connections_refused_total\{reason="total"\} [1-9]'

# ---- deadlines ----
check "slow request heads are cut at the header deadline" \
  "$PY" "$H" slowloris 127.0.0.1 "$PORT" --count 3 --within 4
check "a slow body is cut at the request deadline" \
  "$PY" "$H" slowbody 127.0.0.1 "$PORT" --path /api/v1/projects/p/runs --token "$AGENT_TOKEN" \
  --within 5
check "an endless chunked body is not read forever" \
  "$PY" "$H" endless 127.0.0.1 "$PORT" --path /api/v1/projects/p/runs --token "$AGENT_TOKEN" \
  --max $((32 * 1024 * 1024))
req GET /metrics
expect "metrics count the cut connections" 200 \
  'benchgate_connections_cut_total\{reason="header_timeout"\} [1-9]'
req GET /healthz
expect "the server is still healthy" 200 '"status":"ok"'

# ---- framing ----
body=$(run_json "$(uuid)" "$(sha)")
len=${#body}
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nContent-Length: 5\r\n\r\n%s' \
  "$AGENT_TOKEN" "$len" "$body" >"$TMP/dup_cl"
"$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/dup_cl" >"$TMP/out"
has out '^HTTP/1.1 400' "two Content-Length headers are 400"
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n%s' \
  "$AGENT_TOKEN" "$len" "$body" >"$TMP/cl_te"
"$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/cl_te" >"$TMP/out"
has out '^HTTP/1.1 400' "Content-Length with Transfer-Encoding is 400"
req GET /api/v1/projects/p/commits
expect "no run was stored by either" 200 '^\{"commits":\[\]'
req POST /api/v1/projects/p/runs "${json[@]}" -H "Authorization: Bearer $AGENT_TOKEN" -d "$body"
expect "the same run with one Content-Length is stored" 201
req GET /api/v1/projects/p/commits
expect "project p has its commit" 200 '"sha":"[0-9a-f]{40}"'
req GET '/api/v1/projects/p%00zzz/commits'
expect "%00 does not cut the path to project p" 404
req GET '/api/v1/projects/%70/commits'
expect "other escapes are still decoded (%70 is p)" 200 '"sha":"[0-9a-f]{40}"'

# ---- a port in use ----
expect_exit 1 "a second server on the same port fails" -- \
  "$SERVER" --db "$TMP/other.db" --listen "127.0.0.1:$PORT"
has err 'Address already in use' "and says the address is in use"
stop_server

# ---- the bytes of bodies read at once ----
start_server "$DB" --threads 2 --max-body 65536 --max-uploads 1 --request-timeout 30
PORT=${URL##*:}
# A body route's token is checked before its body is read: no token, or a read-only one, is
# refused at once, while the client still holds its 60 000 bytes.
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n' >"$TMP/anon"
"$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/anon" >"$TMP/out"
has out '^HTTP/1.1 401' "an upload without a token is 401 before its body is sent"
READ_TOKEN=$(make_token "$DB" --role read --name reader)
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n' \
  "$READ_TOKEN" >"$TMP/reader"
"$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/reader" >"$TMP/out"
has out '^HTTP/1.1 403' "and with a read token 403, before its body is sent"
# Bodies read at once: (1 upload + 2) x 64 KiB = 192 KiB. Three bodies of 60 000 bytes being
# read hold 180 000; a fourth is 503 with Retry-After at once, unread; once they are gone, it
# fits again.
holders=()
for i in 1 2 3; do
  "$PY" "$H" slowbody 127.0.0.1 "$PORT" --from 127.0.0.$((4 + i)) --path /api/v1/projects/p/runs \
    --token "$AGENT_TOKEN" --within 20 >/dev/null &
  holders+=($!)
done
for _ in $(seq 1 100); do # until the three are connected (the scrape is the fourth)
  req GET /metrics
  grep -qE '^benchgate_connections_open ([4-9]|[1-9][0-9])$' <<<"$BODY" && break
  sleep 0.1
done
sleep 0.3
printf 'POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n' \
  "$AGENT_TOKEN" >"$TMP/fourth"
"$PY" "$H" raw 127.0.0.1 "$PORT" "$TMP/fourth" --headers >"$TMP/out"
has out '^HTTP/1.1 503' "a fourth large body while three are read is 503 before it is read"
has out '^Retry-After: 2' "with Retry-After: 2"
kill "${holders[@]}" 2>/dev/null
wait "${holders[@]}" 2>/dev/null
sleep 0.3
req POST /api/v1/projects/p/runs "${json[@]}" -H "Authorization: Bearer $AGENT_TOKEN" -D "$TMP/hdr" \
  --data-binary @<(head -c 60000 /dev/zero | tr '\0' ' ')
expect "once they are gone a large body is read again (and found malformed)" 400
stop_server

# ---- graceful stop ----
start_server "$DB" --threads 2 --header-timeout 20 --request-timeout 30
PORT=${URL##*:}
# Ten uploads whose heads are in and whose bodies follow only once SIGTERM was sent: every
# one of them is in flight when it arrives.
cat >"$TMP/slow_upload.py" <<'PY'
import os, socket, sys, time
port, token, body = int(sys.argv[1]), sys.argv[2], open(sys.argv[3], "rb").read()
mark, go = sys.argv[4], sys.argv[5]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
s.sendall(b"POST /api/v1/projects/p/runs HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer "
          + token.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: "
          + str(len(body)).encode() + b"\r\n\r\n")
open(mark + ".sent", "w").close()
while not os.path.exists(go):
    time.sleep(0.02)
s.sendall(body)
data = b""
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode(), "close" if b"onnection: close" in data else "keep")
PY
pids=()
for i in $(seq 1 10); do
  run_json "$(uuid)" "$(sha)" >"$TMP/run$i.json"
  "$PY" "$TMP/slow_upload.py" "$PORT" "$AGENT_TOKEN" "$TMP/run$i.json" "$TMP/mark$i" "$TMP/go" \
    >"$TMP/up$i" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 200); do
  [ "$(ls "$TMP"/mark*.sent 2>/dev/null | wc -l)" -ge 10 ] && break
  sleep 0.05
done
kill -TERM "$SERVER_PID"
sleep 0.3
touch "$TMP/go"
for p in "${pids[@]}"; do wait "$p"; done
wait "$SERVER_PID"
rc=$?
forget "$SERVER_PID"
n201=$(cat "$TMP"/up* | grep -c '^HTTP/1.1 201 .* close$')
[ "$n201" = 10 ] && ok "SIGTERM: all 10 uploads in flight answered 201 with Connection: close" ||
  { bad "SIGTERM: $n201 of 10 uploads answered 201"; cat "$TMP"/up*; }
[ "$rc" = 0 ] && ok "the server exits 0 after draining" || bad "exit status $rc after SIGTERM"
has server.err 'event=drained' "the log says it drained"

start_server "$DB" --threads 2 --header-timeout 20 --request-timeout 30
PORT=${URL##*:}
check "the 10 uploads are stored" test "$(sqlite3 "$DB" 'SELECT count(*) FROM runs')" = 11
"$PY" "$H" slowbody 127.0.0.1 "$PORT" --path /api/v1/projects/p/runs --token "$AGENT_TOKEN" \
  --within 30 >/dev/null &
hold=$!
sleep 0.5
kill -TERM "$SERVER_PID"
sleep 0.5
kill -0 "$SERVER_PID" 2>/dev/null && ok "a request still arriving holds the stop" ||
  bad "the server stopped without waiting for the request in flight"
t0=$(date +%s%N)
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
forget "$SERVER_PID"
ms=$((($(date +%s%N) - t0) / 1000000))
[ "$ms" -lt 2000 ] && ok "a second SIGTERM stops at once (${ms} ms)" ||
  bad "a second SIGTERM took ${ms} ms"
has server.err 'event=stopping_now' "the log says it stopped at once"
kill "$hold" 2>/dev/null
wait "$hold" 2>/dev/null
finish
