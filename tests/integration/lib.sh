# lib.sh: the helpers every integration script shares, one implementation each. Source it
# after `set -u` (and `-o pipefail` where the script wants it); call `finish` last.
#
# Paths     BG_SOURCE (the checkout), BG_BUILD (the build directory, default $BG_SOURCE/build),
#           SERVER (benchgated), AGENT (benchgate), PY (python3), TMP (a scratch directory,
#           removed on exit unless BG_KEEP_TMP is set).
# Counting  ok NAME, bad NAME, check NAME COMMAND..., finish ("N passed, M failed"; exits
#           non-zero on any failure).
# Commands  expect_exit WANT NAME -- COMMAND... (stdout to $TMP/out, stderr to $TMP/err),
#           has [-F] FILE PATTERN [NAME] (a file of $TMP holds a line matching), show FILE...
# Processes start_server DB [ARGS...], stop_server [SIGNAL], start_stub SCRIPT [ARGS...],
#           stop PID [SIGNAL], await SED-SCRIPT FILE, free_port. Whatever they start is
#           stopped on exit.
# HTTP      req METHOD PATH [CURL-ARGS...], expect NAME STATUS [ERE], json EXPR,
#           expect_json NAME EXPR, make_token DB ARGS..., create_project TOKEN JSON.
# git       git_repo DIR, timed_commit MESSAGE, verdict_state [FILE].
# job loop  loop_project PROJECT, loop_config WORK [COMMAND] [BUILD-PREFIX],
#           serve_agent NAME REPOSITORY [AGENT.YML-LINES...].
# uploads   run_uuid CLIENT I, run_json RUN-ID SHA TESTBED RESULTS [JOB],
#           upload_client CLIENT TOKEN PROJECT [RESULTS] [TESTBED] [PAUSE] (till $TMP/stop).
# shellcheck shell=bash

BG_SOURCE=${BG_SOURCE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BG_BUILD=${BG_BUILD:-$BG_SOURCE/build}
SERVER="$BG_BUILD/bin/benchgated"
AGENT="$BG_BUILD/bin/benchgate"
PY=/usr/bin/python3
TMP=$(mktemp -d /tmp/bg_it.XXXXXX)
PIDS=()
passed=0
failed=0

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  done
  [ -n "${BG_KEEP_TMP:-}" ] && echo "kept $TMP" || rm -rf "$TMP"
}
trap cleanup EXIT

# ---- counting ----

ok() { passed=$((passed + 1)); echo "ok   $*"; }
bad() { failed=$((failed + 1)); echo "FAIL $*"; }

# check NAME COMMAND...: passes when the command succeeds; returns 1 when it does not.
check() {
  local name=$1
  shift
  if "$@"; then ok "$name"; else
    bad "$name"
    return 1
  fi
}

finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

# ---- commands and their output ----

# show FILE...: the last lines of each file of $TMP (out, err), indented, to explain a failure.
show() {
  local f
  for f; do sed 's/^/    /' "$TMP/$f" 2>/dev/null | tail -n 16; done
}

# expect_exit WANT NAME -- COMMAND...: runs COMMAND with stdout in $TMP/out and stderr in
# $TMP/err; passes when it exits WANT, else shows both and returns 1.
expect_exit() {
  local want=$1 name=$2 got
  shift 3
  "$@" >"$TMP/out" 2>"$TMP/err"
  got=$?
  if [ "$got" -eq "$want" ]; then ok "$name"; else
    bad "$name: exit $got, want $want"
    show err out
    return 1
  fi
}

# has [-F] FILE PATTERN [NAME]: passes when a line of $TMP/FILE matches the extended regular
# expression PATTERN (with -F: contains the text PATTERN); else shows the file and returns 1.
has() {
  local mode=-E
  if [ "$1" = -F ]; then
    mode=-F
    shift
  fi
  local file=$1 pattern=$2 what=$1
  case $file in err) what=stderr ;; out) what=stdout ;; esac
  local name=${3:-"$what mentions '$pattern'"}
  if grep -q "$mode" -- "$pattern" "$TMP/$file"; then ok "$name"; else
    bad "$name: $file lacks '$pattern'"
    show "$file"
    return 1
  fi
}

# ---- processes ----

# await SED-SCRIPT FILE: prints what `sed -n SED-SCRIPT FILE` prints, as soon as it prints
# anything; returns 1 when it has printed nothing after 10 s.
await() {
  local out
  for _ in $(seq 1 200); do
    out=$(sed -n "$1" "$2" 2>/dev/null)
    if [ -n "$out" ]; then
      printf '%s\n' "$out"
      return 0
    fi
    sleep 0.05
  done
  return 1
}

# forget PID: a process that is no longer to be stopped on exit.
forget() {
  local keep=() pid
  for pid in "${PIDS[@]}"; do
    [ "$pid" = "$1" ] || keep+=("$pid")
  done
  PIDS=("${keep[@]}")
}

# stop PID [SIGNAL]: sends SIGNAL (default TERM) to a started process and waits for it;
# returns its exit status.
stop() {
  local rc
  kill -"${2:-TERM}" "$1" 2>/dev/null
  wait "$1" 2>/dev/null
  rc=$?
  forget "$1"
  return $rc
}

# start_server DB [ARGS...]: starts benchgated on $LISTEN (default a free port on 127.0.0.1);
# sets URL and SERVER_PID. Its stdout is $TMP/server.out, its stderr goes to $TMP/server.err.
start_server() {
  local db=$1
  shift
  : >"$TMP/server.out" # now: a restart must not read the last server's address
  "$SERVER" --db "$db" --listen "${LISTEN:-127.0.0.1:0}" "$@" \
    >>"$TMP/server.out" 2>>"$TMP/server.err" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  URL=$(await 's/^benchgated listening on \(http:[^ ]*\)$/\1/p' "$TMP/server.out") && return 0
  echo "benchgated did not start: $(cat "$TMP/server.err")"
  exit 1
}

# stop_server [SIGNAL]: stops the server start_server started last; returns its exit status.
stop_server() { stop "$SERVER_PID" "${1:-TERM}"; }

# start_stub SCRIPT [ARGS...]: stops the stub started before, if any, and starts `$PY SCRIPT
# ARGS...`, a stand-in server that prints its port on its first line; sets STUB_PID, PORT, URL.
STUB_PID=
STUBS=0
start_stub() {
  [ -n "$STUB_PID" ] && stop "$STUB_PID"
  STUBS=$((STUBS + 1))
  "$PY" "$@" >"$TMP/stub.$STUBS.port" &
  STUB_PID=$!
  PIDS+=("$STUB_PID")
  PORT=$(await 's/^\([0-9][0-9]*\)$/\1/p' "$TMP/stub.$STUBS.port") ||
    { echo "stub server did not start"; exit 1; }
  URL="http://127.0.0.1:$PORT"
}

# free_port: a port on 127.0.0.1 that nobody listens on (bound and released at once).
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1]); s.close()'
}

# ---- HTTP ----

# req METHOD PATH [curl args...]: sets STATUS and BODY.
req() {
  local method=$1 path=$2
  shift 2
  BODY=$(curl -s -o - -w '\n%{http_code}' -X "$method" "$@" "$URL$path")
  STATUS=${BODY##*$'\n'}
  BODY=${BODY%$'\n'*}
}

# expect NAME STATUS [ERE]: passes when the last answer has STATUS and, if given, a body
# matching the extended regular expression.
expect() {
  local name=$1 want=$2 pattern=${3:-}
  if [[ $STATUS != "$want" ]]; then
    bad "$name: status $STATUS, want $want: ${BODY:0:300}"
  elif [[ -n $pattern ]] && ! grep -qE -- "$pattern" <<<"$BODY"; then
    bad "$name: body lacks /$pattern/: ${BODY:0:300}"
  else
    ok "$name"
  fi
}

# json EXPR: evaluates a Python expression over the last BODY bound to `j`; prints the value.
json() {
  printf '%s' "$BODY" | "$PY" -c "import json,sys; j=json.load(sys.stdin); print($1)"
}

# expect_json NAME EXPR: passes when the Python expression over BODY (as `j`) is true.
expect_json() {
  local name=$1 v
  v=$(json "$2" 2>&1)
  if [ "$v" = "True" ]; then ok "$name"; else bad "$name: $2 -> $v; body: ${BODY:0:300}"; fi
}

# make_token DB ARGS...: prints a new token, `benchgated token create --db DB ARGS...`.
make_token() {
  local db=$1
  shift
  "$SERVER" token create --db "$db" "$@" 2>/dev/null
}

# create_project TOKEN JSON: POST /api/v1/projects with the body JSON; sets STATUS and BODY.
create_project() {
  req POST /api/v1/projects -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
    -d "$2"
}

# ---- git ----

# git_repo DIR: makes DIR a new git repository on branch main and the working directory. From
# then on git commits as "A. Dev <a@example.org>" without any system or global configuration,
# and CI=1 (the agent runs non-interactive, as in CI).
git_repo() {
  export GIT_AUTHOR_NAME="A. Dev" GIT_AUTHOR_EMAIL=a@example.org
  export GIT_COMMITTER_NAME="A. Dev" GIT_COMMITTER_EMAIL=a@example.org
  export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null CI=1
  mkdir -p "$1" && cd "$1" || exit 1
  git init -q -b main
}

# timed_commit MESSAGE: commits everything (an empty commit if nothing changed), dated a
# minute after the commit before it, so that the history's order is the order of its times.
COMMIT_TIME=1790000000
timed_commit() {
  COMMIT_TIME=$((COMMIT_TIME + 60))
  git add -A
  GIT_AUTHOR_DATE="@$COMMIT_TIME +0000" GIT_COMMITTER_DATE="@$COMMIT_TIME +0000" \
    git commit -q --allow-empty -m "$1"
}

# verdict_state [FILE]: the state of the first "verdict: STATE" line `benchgate run` printed
# (default $TMP/out).
verdict_state() { sed -n 's/^verdict: \([a-z_]*\).*/\1/p' "${1:-$TMP/out}" | head -1; }

# ---- the job loop ----

# loop_project PROJECT: in the current directory (a git_repo), a C program doing WORK times a
# fixed loop (set at compile time by loop_config) and its .gitignore, for project PROJECT.
LOOP_PROJECT=
loop_project() {
  LOOP_PROJECT=$1
  cat >work.c <<'C'
#include <stdio.h>
int main(void) {
  unsigned long long x = 1;
  for (long i = 0; i < 3000000L * WORK; i++)
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  printf("%llu\n", x & 1);
  return 0;
}
C
  printf 'work\n' >.gitignore
}

# loop_config WORK [COMMAND] [BUILD-PREFIX]: benchgate.yml building the loop with WORK and
# timing COMMAND (default ./work), 6 repetitions of CPU time; min_effect 0.5, so a busy
# machine cannot fail an unchanged commit while 3x the work (+200 %) is far beyond it.
loop_config() {
  cat >benchgate.yml <<YML
project: $LOOP_PROJECT
build: ${3:-}cc -O1 -DWORK=$1 -o work work.c
suites:
  - name: loop
    command: ${2:-./work}
    repetitions: 6
    warmup: 1
    measures: [cpu_time]
thresholds:
  default: {min_effect: 0.5}
YML
}

# serve_agent NAME REPOSITORY [LINE...]: starts `benchgate serve` as agent NAME on testbed
# ci-vm for $LOOP_PROJECT at REPOSITORY, against $URL with $AGENT_TOKEN, with its work
# directory $TMP/work-NAME and any further agent.yml LINEs; AGENT_PID. Its stderr (from this
# start on) is $TMP/agent-NAME.log; returns once it waits for jobs.
serve_agent() {
  local name=$1 repo=$2
  shift 2
  {
    printf 'server: %s\ntestbed: ci-vm\nname: %s\nworkdir: %s\n' "$URL" "$name" "$TMP/work-$name"
    printf 'projects:\n  %s: {repository: %s}\n' "$LOOP_PROJECT" "$repo"
    printf '%s\n' "$@"
  } >"$TMP/agent-$name.yml"
  BENCHGATE_TOKEN=$AGENT_TOKEN "$AGENT" serve --config "$TMP/agent-$name.yml" \
    2>"$TMP/agent-$name.log" &
  AGENT_PID=$!
  PIDS+=("$AGENT_PID")
  await '/waiting for jobs/p' "$TMP/agent-$name.log" >/dev/null || bad "agent $name did not start"
}

# ---- concurrent uploads ----

# run_uuid CLIENT I: the run id of client CLIENT's I-th run; distinct pairs, distinct ids.
run_uuid() { printf '00000000-0000-4000-8000-%04d%08d' "$1" "$2"; }

# run_json RUN-ID SHA TESTBED RESULTS [JOB]: a run on main of RESULTS results of 10 samples
# each (values taken from the run id's digits, so a replay sends the same run), naming JOB.
run_json() {
  local job=${5:+"\"job_id\":$5,"} seed=$((10#${1:28:8} % 97))
  printf '{"schema":"benchgate.run/v1","run_id":"%s","commit":{"sha":"%s","branch":"main"},' \
    "$1" "$2"
  printf '%s"testbed":{"name":"%s"},"results":[' "$job" "$3"
  awk -v n="$4" -v c="$seed" 'BEGIN { for (k = 0; k < n; k++) {
    printf "%s{\"benchmark\":\"b%d\",\"measure\":\"wall_time\",\"samples\":[", (k ? "," : ""), k
    for (j = 0; j < 10; j++) printf "%s%d.5", (j ? "," : ""), 1000 + c + j
    printf "]}" } }'
  printf ']}'
}

# upload_client CLIENT TOKEN PROJECT [RESULTS] [TESTBED] [PAUSE]: uploads runs CLIENT 0, 1, ...
# (each on a commit of its own, RESULTS results, default 200, on TESTBED, default tb) to $URL
# until $TMP/stop exists, one at a time, PAUSE seconds apart (default none), never retrying;
# appends the id of each run answered 201 to $TMP/acked.CLIENT and every answer's status to
# $TMP/codes.CLIENT.
upload_client() {
  local c=$1 i=0 code id
  while [[ ! -e $TMP/stop ]]; do
    id=$(run_uuid "$c" "$i")
    run_json "$id" "$(printf '%040x' $((c * 100000 + i)))" "${5:-tb}" "${4:-200}" >"$TMP/p$c.json"
    code=$(curl -s -o /dev/null -m 30 -w '%{http_code}' -H "Authorization: Bearer $2" \
      -H 'Content-Type: application/json' --data-binary @"$TMP/p$c.json" \
      "$URL/api/v1/projects/$3/runs")
    [[ $code == 201 ]] && echo "$id" >>"$TMP/acked.$c"
    echo "$code" >>"$TMP/codes.$c"
    i=$((i + 1))
    [[ -z ${6:-} ]] || sleep "$6"
  done
}
