#!/usr/bin/env bash
# demo.sh BUILD_DIR: what `make run` does after building. Starts benchgated on a fresh demo
# database under ./var/demo (on BG_LISTEN, default 127.0.0.1:8080; port 0 picks a free one),
# lets scripts/demo_history.sh create the project and run the real agent with the gate on the
# eight commits of a throwaway repository of examples/wordcount (the gate fails the seventh,
# which costs some 13 % more instructions, and passes the revert; those two go through the job
# queue to a bench agent in serve mode), prints where to look, and keeps the server and the
# agent running until Ctrl-C.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$root" && cd "${1:-build}" && pwd)
bin=$build/bin
var=$root/var/demo
listen=${BG_LISTEN:-127.0.0.1:8080}

say() { printf 'demo: %s\n' "$*"; }

rm -rf "$var"
mkdir -p "$var"
db=$var/benchgate.db

# The files exist before the server starts: the loop below reads server.out at once, and
# under load the background shell may not have opened it yet.
: >"$var/server.out"
: >"$var/server.log"
"$bin/benchgated" --db "$db" --listen "$listen" --web "$root/web" >>"$var/server.out" \
  2>>"$var/server.log" &
server=$!
# The agent demo_history.sh starts is stopped with the server: SIGTERM lets it finish a job.
stop_all() {
  [ -f "$var/agent.pid" ] && kill "$(cat "$var/agent.pid")" 2>/dev/null
  kill "$server" 2>/dev/null
  wait 2>/dev/null || true
}
trap stop_all EXIT
trap 'say "stopping"; exit 0' INT TERM

url=""
for _ in $(seq 100); do
  url=$(sed -n 's/^benchgated listening on \(http[^ ]*\).*/\1/p' "$var/server.out")
  [ -n "$url" ] && break
  kill -0 "$server" 2>/dev/null || { cat "$var/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { say "server did not start; see $var/server.log"; exit 1; }
say "server at $url (log: $var/server.log)"

"$root/scripts/demo_history.sh" "$bin" "$url" "$db" "$var" ||
  say "an agent run ended without a verdict; see $var/agent-*.log"

cat <<MSG

benchgate demo is running.
  dashboard:  $url/
  API:        $url/api/v1/projects
              $url/api/v1/projects/demo/commits?branch=main
              $url/api/v1/projects/demo/benchmarks
              $url/api/v1/projects/demo/series?benchmark=count-500k&measure=instructions&testbed=dev-vm
              $url/api/v1/projects/demo/jobs
              $url/api/v1/agents
  database:   $db
  agent logs: $var/agent-*.log (the serving agent: $var/agent-serve.log)
The bench agent 'demo-bench' keeps serving jobs. Commit to $var/repo and enqueue it:
  BENCHGATE_TOKEN=\$(cat $var/ci.token) $bin/benchgate gate --server $url \\
    --project demo --commit \$(git -C $var/repo rev-parse HEAD) --enqueue --branch main
Press Ctrl-C to stop.
MSG
wait "$server"
