# lib.sh: what integration scripts share: a scratch directory, pass/fail counting, starting
# the real benchgated on 127.0.0.1 port 0, HTTP requests with curl, JSON checks with python3.
# Source it after `set -uo pipefail`; call `finish` last (prints "N passed, M failed" and
# exits non-zero on any failure).

BG_BUILD=${BG_BUILD:?set BG_BUILD to the build directory}
BG_SOURCE=${BG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
SERVER="$BG_BUILD/bin/benchgated"
AGENT="$BG_BUILD/bin/benchgate"
TMP=$(mktemp -d /tmp/bg_it.XXXXXX)
PIDS=()
passed=0
failed=0

cleanup() {
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  rm -rf "$TMP"
}
trap cleanup EXIT

ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() { failed=$((failed + 1)); echo "FAIL $1"; }

# check NAME COMMAND...: passes when the command succeeds.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else bad "$name"; fi
}

# start_server DB [ARGS...]: starts benchgated on $LISTEN (default a free port on 127.0.0.1);
# sets URL and SERVER_PID.
start_server() {
  local db=$1
  shift
  "$SERVER" --db "$db" --listen "${LISTEN:-127.0.0.1:0}" "$@" >"$TMP/server.out" 2>>"$TMP/server.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=""
  for _ in $(seq 1 200); do
    URL=$(sed -n 's/^benchgated listening on \(http:[^ ]*\)$/\1/p' "$TMP/server.out")
    [ -n "$URL" ] && return 0
    sleep 0.05
  done
  echo "benchgated did not start: $(cat "$TMP/server.err")"
  exit 1
}

# req METHOD PATH [curl args...]: sets STATUS and BODY.
req() {
  local method=$1 path=$2
  shift 2
  BODY=$(curl -s -o - -w '\n%{http_code}' -X "$method" "$@" "$URL$path")
  STATUS=${BODY##*$'\n'}
  BODY=${BODY%$'\n'*}
}

# json EXPR: evaluates a Python expression over the last BODY bound to `j`; prints the value.
json() {
  printf '%s' "$BODY" | /usr/bin/python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# expect_json NAME EXPR: passes when the Python expression over BODY (as `j`) is true.
expect_json() {
  local name=$1 v
  v=$(json "$2" 2>&1)
  if [ "$v" = "True" ]; then ok "$name"; else bad "$name: $2 -> $v; body: ${BODY:0:300}"; fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}
