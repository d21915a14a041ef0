#!/usr/bin/env bash
# demo.sh BUILD_DIR: what `make run` does after building. Starts benchgated on a fresh demo
# database under ./var/demo, creates the demo project and its tokens, builds a throwaway git
# repository of examples/wordcount with eight commits (the seventh makes it slower, the eighth
# reverts it), runs the real agent on each commit with the gate, prints where to look, and
# keeps the server in the foreground until Ctrl-C.
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

"$bin/benchgated" --db "$db" --listen "$listen" --web "$root/web" >"$var/server.out" \
  2>"$var/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true' EXIT
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

admin=$("$bin/benchgated" token create --db "$db" --role admin --name demo-admin)
curl -fsS -X POST "$url/api/v1/projects" -H "Authorization: Bearer $admin" \
  -H 'Content-Type: application/json' \
  -d '{"slug":"demo","github_repo":"example/wordcount","default_branch":"main"}' >/dev/null
agent=$("$bin/benchgated" token create --db "$db" --project demo --role agent --name demo-agent)
say "project 'demo' created"

repo=$var/repo
mkdir -p "$repo"
cp "$root/examples/wordcount/wordcount.c" "$root/examples/wordcount/benchgate.yml" "$repo/"
git -C "$repo" init -q -b main
git -C "$repo" config user.name "Demo Dev"
git -C "$repo" config user.email "dev@example.org"

# Commits an hour apart: six that keep the speed, one that costs about 15 % CPU (the gate fails
# it), and the revert (the gate passes it again).
step=0
commit() {
  step=$((step + 1))
  local when
  when=$(date -u -d "2026-11-20T08:00:00Z + $step hour" +%Y-%m-%dT%H:%M:%SZ)
  git -C "$repo" add -A
  GIT_AUTHOR_DATE=$when GIT_COMMITTER_DATE=$when git -C "$repo" commit -q -m "$1"
  local verdict
  # --gate exits 1 on a failing verdict, which is what the demo wants to show, not an error.
  verdict=$(cd "$repo" && BENCHGATE_TOKEN=$agent CI=1 "$bin/benchgate" run --server "$url" \
    --testbed dev-vm --gate 2>"$var/agent-$step.log" | sed -n 's/^verdict: //p') || true
  say "commit $step: $1 -> ${verdict:-see $var/agent-$step.log}"
}

commit "Count word frequencies with an FNV hash table"
sed -i 's/i < 5 \&\& table/i < 10 \&\& table/' "$repo/wordcount.c"
commit "Print the ten most frequent words"
for what in "the hash table's size" "the probe sequence" "the vocabulary's skew" \
  "the output order"; do
  printf '/* Notes on %s. */\n' "$what" >>"$repo/wordcount.c"
  commit "Document $what"
done
cp "$repo/wordcount.c" "$var/wordcount.fast.c"
sed -i 's/#include <string.h>/#include <string.h>\n#include <strings.h>\n#include <ctype.h>/;
        s/h = (h ^ (unsigned char)\*w)/h = (h ^ (unsigned char)tolower((unsigned char)*w))/;
        s/strcmp(table\[i\].word, w)/strcasecmp(table[i].word, w)/' "$repo/wordcount.c"
commit "Count words case-insensitively"
cp "$var/wordcount.fast.c" "$repo/wordcount.c"
commit "Revert case-insensitive counting"

cat <<MSG

benchgate demo is running.
  dashboard:  $url/
  API:        $url/api/v1/projects
              $url/api/v1/projects/demo/commits?branch=main
              $url/api/v1/projects/demo/benchmarks
              $url/api/v1/projects/demo/series?benchmark=count-2M&measure=cpu_time&testbed=dev-vm
  database:   $db
  agent logs: $var/agent-*.log
Press Ctrl-C to stop.
MSG
wait "$server"
