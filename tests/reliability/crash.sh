#!/usr/bin/env bash
# crash.sh: benchgated survives SIGKILL: nothing acknowledged is lost, nothing is done twice
# that the design does not allow, and the database stays intact.
#
#   tests/reliability/crash.sh [KILLS]          (default 20; make build first)
#
# The real benchgated on a SQLite file, on a fixed loopback address, as a GitHub App writing
# to a fake GitHub (tests/integration/github_stub.py, every request logged, each answer
# CRASH_DELAY seconds late, default 0.01, as GitHub is never instant), with jobs. While it
# runs:
#   - 4 upload clients (lib.sh's upload_client) post runs of 50 results, each run its own id
#     and commit, and record the ids answered 201: two to project widgets (of acme/widgets on
#     GitHub: each verdict queues a status and a check run), a run every 0.3 s, and two to
#     project gadgets (no GitHub) as fast as they can;
#   - an enqueuer asks for a job per new commit on testbed ci-vm, again after a failed request
#     (an open job of the commit answers 200), and records the jobs it got;
#   - 2 agents lease jobs, heartbeat (the status "running"), and complete them by uploading a
#     run naming the job, retrying a request the kill cut off (a replay answers 200);
#   - the outbox delivers statuses and check runs to the fake GitHub.
# KILLS times, a second or so after a restart, the server gets SIGKILL at a moment of one of
# three kinds, drawn at random: any time (uploads in flight), just after an agent got a lease,
# or just after the fake GitHub logged a request (the delivery in flight, not yet recorded);
# it restarts on the same database at once. Then the clients stop, the agents finish the
# jobs, the outbox drains, the server stops with SIGTERM, and crash_check.py checks the
# database and GitHub's log (its header says what the outbox promises): every acknowledged run
# stored once and whole with its verdict, every job stored, finished once, none left open,
# every status delivered and in order, duplicates at most one a kill, one check run per commit
# and testbed, PRAGMA integrity_check and `benchgated check` ok.
#
# CRASH_SEED seeds the kills (default the clock; printed, so a run can be repeated). BG_BUILD
# is the build directory (default build), BG_KEEP_TMP keeps the scratch directory (timeline:
# each kill's kind, ms to the "listening" line, ms to /readyz answering 200). Prints the
# results as "metric NAME VALUE" lines, then "N passed, M failed"; exits non-zero on a failure.
set -uo pipefail
. "$(dirname "$0")/../integration/lib.sh"

KILLS=${1:-20}
SEED=${CRASH_SEED:-$(date +%s)}
RANDOM=$SEED
for tool in curl sqlite3 openssl; do
  command -v "$tool" >/dev/null || { echo "crash.sh needs $tool"; exit 1; }
done
metric() { echo "metric $1 $2" | tee -a "$TMP/metrics"; }
metric seed "$SEED"
metric kills_asked "$KILLS"

# sleep_ms MS
sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }
# lines FILE: its number of lines (0 when it does not exist).
lines() { if [[ -e $1 ]]; then wc -l <"$1"; else echo 0; fi; }
# grows FILE SECONDS: returns once FILE has more lines than now; 1 after SECONDS without.
grows() {
  local n end=$((SECONDS + $2))
  n=$(lines "$1")
  while [[ $(lines "$1") -le $n ]]; do
    [[ $SECONDS -ge $end ]] && return 1
    sleep 0.005
  done
}

# ---- the fake GitHub, the server, the project ----
openssl genrsa -out "$TMP/app.pem" 2048 2>/dev/null
openssl rsa -in "$TMP/app.pem" -pubout -out "$TMP/app.pub" 2>/dev/null
LOG=$TMP/github.jsonl
start_stub "$BG_SOURCE/tests/integration/github_stub.py" "$LOG" --app-id 31337 \
  --app-public-key "$TMP/app.pub" 2>"$TMP/stub.err" # a kill's reset connections, logged
GH=$URL
curl -s -X POST "$GH/_stub/rules" -H 'Content-Type: application/json' \
  -d "{\"count\":1000000000,\"delay\":${CRASH_DELAY:-0.01}}" >/dev/null
DB=$TMP/crash.db
LISTEN=127.0.0.1:$(free_port) # the clients keep the address across restarts
serve() {
  start_server "$DB" --threads 4 --job-lease 5 --github-api "$GH" --github-app-id 31337 \
    --github-app-key-file "$TMP/app.pem" --public-url http://bench.example.org
}
ADMIN=$(make_token "$DB" --role admin)
serve
for project in '{"slug":"widgets","github_repo":"acme/widgets"}' '{"slug":"gadgets"}'; do
  create_project "$ADMIN" "$project"
  [[ $STATUS == 201 ]] || { echo "cannot create a project: $STATUS $BODY"; exit 1; }
done
CI=$(make_token "$DB" --project widgets --role ci --name ci)
AGENT_TOKEN=$(make_token "$DB" --project widgets --role agent --name bench)

# ---- the clients ----
# send FILE CURL-ARGS...: a request (its URL last), the answer's body in FILE; again while the
# server is down or dying (no answer, or 5xx), for up to 20 s. Prints the answer's status.
send() {
  local out=$1 code end=$((SECONDS + 20))
  shift
  while :; do
    code=$(curl -s -o "$out" -m 10 -w '%{http_code}' \
      -H 'Content-Type: application/json' "$@")
    if [[ $code != 000 && $code != 5* ]] || [[ $SECONDS -ge $end ]]; then break; fi
    sleep 0.1
  done
  echo "$code"
}
field() { grep -o "\"$1\":[^,}]*" "$2" | head -1 | cut -d: -f2 | tr -d '"'; }

# agent N: leases jobs of ci-vm as agent aN until $TMP/agents.stop exists; heartbeats once
# (the run starts), "benchmarks" for up to 0.2 s, uploads a run of 20 results naming the job.
agent() {
  local a=$1 n=0 code id sha rid auth=(-H "Authorization: Bearer $AGENT_TOKEN")
  RANDOM=$((SEED + a))
  while [[ ! -e $TMP/agents.stop ]]; do
    code=$(curl -s -o "$TMP/lease.$a" -m 10 -w '%{http_code}' "${auth[@]}" \
      -H 'Content-Type: application/json' -d "{\"agent\":\"a$a\",\"testbed\":\"ci-vm\",\"wait\":1}" \
      "$URL/api/v1/agents/lease")
    if [[ $code != 200 ]]; then
      [[ $code == 204 ]] || sleep 0.1
      continue
    fi
    id=$(field id "$TMP/lease.$a")
    sha=$(field sha "$TMP/lease.$a")
    echo "$id a$a" >>"$TMP/leases"
    code=$(send "$TMP/beat.$a" "${auth[@]}" -d "{\"agent\":\"a$a\"}" "$URL/api/v1/jobs/$id/heartbeat")
    if [[ $code != 200 ]]; then
      echo "$id a$a heartbeat $code" >>"$TMP/leases_lost"
      continue
    fi
    sleep_ms $((RANDOM % 200))
    rid=$(run_uuid $((90 + a)) "$n")
    n=$((n + 1))
    run_json "$rid" "$sha" ci-vm 20 "$id" >"$TMP/job.$a.json"
    code=$(send "$TMP/up.$a" "${auth[@]}" --data-binary @"$TMP/job.$a.json" "$URL/api/v1/projects/widgets/runs")
    if [[ $code == 201 || $code == 200 ]]; then
      echo "$rid" >>"$TMP/acked.9$a"
    else
      echo "$id a$a upload $code" >>"$TMP/leases_lost"
    fi
  done
}

# enqueuer: a job for each new commit on ci-vm, one every 0.2 s, until $TMP/stop exists.
enqueuer() {
  local k=0 code sha
  while [[ ! -e $TMP/stop ]]; do
    sha=$(printf 'f%039x' "$k")
    code=$(send "$TMP/enqueued" -H "Authorization: Bearer $CI" \
      -d "{\"sha\":\"$sha\",\"branch\":\"main\",\"testbeds\":[\"ci-vm\"]}" \
      "$URL/api/v1/projects/widgets/jobs")
    if [[ $code == 201 || $code == 200 ]]; then
      echo "$(field id "$TMP/enqueued") $sha $code" >>"$TMP/jobs_acked"
      k=$((k + 1))
      sleep 0.2
    else
      sleep 0.1 # 404 until an agent's first lease made the testbed known
    fi
  done
}

agent 1 &
AGENTS=($!)
agent 2 &
AGENTS+=($!)
# Clients 1 and 2 upload to widgets, whose verdicts go to GitHub, one run every 0.3 s or so
# (GitHub's stand-in takes 3 requests a run); 3 and 4 to gadgets, as fast as they can.
CLIENTS=()
for c in 1 2 3 4; do
  if [[ $c -le 2 ]]; then
    upload_client "$c" "$ADMIN" widgets 50 up 0.3 &
  else
    upload_client "$c" "$ADMIN" gadgets 50 up &
  fi
  CLIENTS+=($!)
done
enqueuer &
CLIENTS+=($!)
PIDS+=("${AGENTS[@]}" "${CLIENTS[@]}") # stopped on exit, as the server is

# ---- the kills ----
# probe_ready: asks GET /readyz every 10 ms until the server answers 200; writes the time.
probe_ready() {
  local end=$((SECONDS + 15))
  until [[ $(curl -s -o /dev/null -m 1 -w '%{http_code}' "http://$LISTEN/readyz") == 200 ]]; do
    [[ $SECONDS -lt $end ]] || break
    sleep 0.01
  done
  date +%s%N >"$TMP/ready_ns"
}
: >"$TMP/restart_ms"
for k in $(seq 1 "$KILLS"); do
  sleep_ms $((700 + RANDOM % 600))
  case $((RANDOM % 3)) in
  0) kind=any && sleep_ms $((RANDOM % 300)) ;;
  1) kind=lease && grows "$TMP/leases" 5 && sleep_ms $((RANDOM % 30)) ;;
  2) kind=delivery && grows "$LOG" 5 ;;
  esac
  stop_server KILL
  t0=$(date +%s%N)
  probe_ready &
  PROBE=$!
  serve
  t1=$(date +%s%N)
  wait "$PROBE"
  echo $((($(cat "$TMP/ready_ns") - t0) / 1000000)) >>"$TMP/restart_ms"
  echo "$kind $(((t1 - t0) / 1000000)) $((($(cat "$TMP/ready_ns") - t0) / 1000000))" >>"$TMP/timeline"
  echo "$kind" >>"$TMP/kinds"
done
for kind in any lease delivery; do metric "kills_$kind" "$(grep -c "^$kind$" "$TMP/kinds")"; done

# ---- the drain ----
sleep 1
touch "$TMP/stop"
wait "${CLIENTS[@]}"
open_jobs() { sqlite3 "$DB" "SELECT count(*) FROM jobs WHERE state IN ('queued','leased','running')"; }
t0=$SECONDS
while [[ $(open_jobs) != 0 && $SECONDS -lt $((t0 + 60)) ]]; do sleep 0.2; done
metric drain_jobs_s $((SECONDS - t0))
touch "$TMP/agents.stop"
wait "${AGENTS[@]}"
pending() { sqlite3 "$DB" "SELECT count(*) FROM outbox WHERE state = 'pending'"; }
t0=$SECONDS
while [[ $(pending) != 0 && $SECONDS -lt $((t0 + 120)) ]]; do sleep 0.2; done
metric drain_outbox_s $((SECONDS - t0))
curl -s "$GH/_stub/state" >"$TMP/stub_state.json"
stop_server
rc=$?
check "the server stops on SIGTERM after the kills with exit 0 ($rc)" test "$rc" = 0

# ---- the checks ----
integrity=$(sqlite3 "$DB" 'PRAGMA integrity_check')
check "PRAGMA integrity_check: $integrity" test "$integrity" = ok
expect_exit 0 "benchgated check finds nothing wrong" -- "$SERVER" check --db "$DB"
cat "$TMP"/acked.* >"$TMP/acked_all" 2>/dev/null
"$PY" "$(dirname "$0")/crash_check.py" "$DB" "$LOG" "$TMP/stub_state.json" "$TMP/acked_all" \
  "$TMP/jobs_acked" "$KILLS" >"$TMP/checks" || bad "crash_check.py failed"
while read -r word rest; do
  case $word in
  ok) ok "$rest" ;;
  FAIL) bad "$rest" ;;
  metric) metric "${rest%% *}" "${rest#* }" ;;
  esac
done <"$TMP/checks"

# ---- what it measured ----
attempted=$(cat "$TMP"/codes.* | wc -l)
metric uploads_attempted "$attempted"
metric uploads_201 "$(cat "$TMP"/codes.* | grep -c '^201$')"
metric uploads_no_answer "$(cat "$TMP"/codes.* | grep -c '^000$')"
metric uploads_other "$(cat "$TMP"/codes.* | grep -vc '^201$\|^000$')"
metric leases "$(lines "$TMP/leases")"
metric leases_lost "$(lines "$TMP/leases_lost")"
metric kills_done "$(lines "$TMP/restart_ms")"
sort -n "$TMP/restart_ms" >"$TMP/restart_sorted"
n=$(lines "$TMP/restart_sorted")
if [[ $n -gt 0 ]]; then
  metric restart_ms_min "$(head -1 "$TMP/restart_sorted")"
  metric restart_ms_median "$(sed -n "$(((n + 1) / 2))p" "$TMP/restart_sorted")"
  metric restart_ms_max "$(tail -1 "$TMP/restart_sorted")"
fi
finish
