#!/usr/bin/env bash
# test_cli_help.sh: `benchgate --help`, `--version` and `benchgate COMMAND --help` exit 0 and
# explain everything the code accepts. The lists to check are read from the sources, so the
# test fails when a flag, a command or an environment variable is added without help:
# - every agent/cmd_VERB.c is a command listed by `benchgate --help`, and both
#   `benchgate VERB --help` and `benchgate help VERB` exit 0 with its usage;
# - every long option in a getopt table ({"name", ..._argument}) or a "--name" literal of
#   cmd_VERB.c appears as --name in `benchgate VERB --help` (--help itself is explained once,
#   by `benchgate --help`);
# - every environment variable the agent reads (getenv("X"), and the BENCHGATE_/GITHUB_
#   names it looks up by string) appears in `benchgate --help`, but PATH and HOME;
# - `benchgate --version` prints the version of the top CMakeLists.txt's project().
# And for the server: `benchgated --help` (and -h), `benchgated token --help` and the --help
# of each token subcommand, of backup and of check exit 0 with text on stdout; every "--flag"
# literal of server/main.c and server/cmd_check.c appears in the help that covers it, every
# environment variable the server reads in `benchgated --help`, and `benchgated --version`
# prints the same version.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
SRC=$BG_SOURCE/agent

# run_help NAME ARGS...: benchgate ARGS, stdout in $TMP/out; passes on exit 0 with output.
run_help() {
  local name=$1
  shift
  "$AGENT" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" = 0 ] && [ -s "$TMP/out" ]; then ok "$name: exit 0"; else
    bad "$name: exit $got, stdout $(wc -c <"$TMP/out") bytes"
    show err
  fi
}

run_help "--help" --help
cp "$TMP/out" "$TMP/main_help"
run_help "-h" -h
check "-h prints the same as --help" cmp -s "$TMP/out" "$TMP/main_help"
run_help "help" help
check "help prints the same as --help" cmp -s "$TMP/out" "$TMP/main_help"

verbs=$(cd "$SRC" && ls cmd_*.c | sed 's/^cmd_\(.*\)\.c$/\1/')
check "found the commands in agent/cmd_*.c" test "$(echo "$verbs" | wc -w)" -ge 5
for verb in $verbs; do
  if grep -qE "^  $verb " "$TMP/main_help"; then ok "--help lists $verb"; else
    bad "--help does not list $verb"
  fi
  run_help "$verb --help" "$verb" --help
  cp "$TMP/out" "$TMP/help_$verb"
  check "$verb --help starts with its usage" grep -q "^usage: benchgate $verb" "$TMP/help_$verb"
  run_help "help $verb" help "$verb"
  check "help $verb prints the same as $verb --help" cmp -s "$TMP/out" "$TMP/help_$verb"
  flags=$( (grep -oE '\{"[a-z][a-z0-9-]*", *(required|no|optional)_argument' "$SRC/cmd_$verb.c" |
    sed -E 's/^\{"([a-z0-9-]+)".*/\1/'
    grep -oE '"--[a-z][a-z0-9-]*' "$SRC/cmd_$verb.c" | sed 's/^"--//') | grep -vx help | sort -u)
  check "$verb: found its flags in the source" test -n "$flags"
  for flag in $flags; do
    if grep -qE -- "--$flag([^a-z0-9-]|$)" "$TMP/help_$verb"; then ok "$verb --help explains --$flag"
    else bad "$verb --help does not mention --$flag"; fi
  done
done

envs=$(grep -ohE 'getenv\("[A-Z_]+"\)|"(BENCHGATE|GITHUB|XDG)_[A-Z_]+"' "$SRC"/*.c |
  grep -oE '[A-Z][A-Z_]+' | grep -vxE 'PATH|HOME' | sort -u)
check "found the environment variables the agent reads" test "$(echo "$envs" | wc -w)" -ge 8
for v in $envs; do
  if grep -qw -- "$v" "$TMP/main_help"; then ok "--help explains \$$v"; else
    bad "--help does not mention \$$v"
  fi
done

want=$(sed -nE 's/^project\(benchgate VERSION ([0-9.]+).*/\1/p' "$BG_SOURCE/CMakeLists.txt")
check "CMakeLists.txt names a version" test -n "$want"
run_help "--version" --version
check "--version prints 'benchgate $want'" test "$(cat "$TMP/out")" = "benchgate $want"
run_help "version" version
check "version prints 'benchgate $want'" test "$(cat "$TMP/out")" = "benchgate $want"

"$AGENT" help nosuch >"$TMP/out" 2>"$TMP/err"
check "help of an unknown command exits 2" test $? = 2
"$AGENT" >"$TMP/out" 2>"$TMP/err"
check "no command at all exits 2 with the help on stderr" grep -q "^usage: benchgate" "$TMP/err"


# ---- benchgated ----
SSRC=$BG_SOURCE/server
# run_shelp NAME ARGS...: benchgated ARGS, as run_help.
run_shelp() {
  local name=$1
  shift
  "$SERVER" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  if [ "$got" = 0 ] && [ -s "$TMP/out" ]; then ok "benchgated $name: exit 0"; else
    bad "benchgated $name: exit $got, stdout $(wc -c <"$TMP/out") bytes"
    show err
  fi
}
run_shelp "--help" --help
cp "$TMP/out" "$TMP/server_help"
run_shelp "-h" -h
check "benchgated -h prints the same as --help" cmp -s "$TMP/out" "$TMP/server_help"
for cmd in "token" "token create" "token list" "token revoke" "backup" "check"; do
  # shellcheck disable=SC2086 # the command's words are separate arguments
  run_shelp "$cmd --help" $cmd --help
  check "benchgated $cmd --help prints a usage" grep -q "usage: benchgated" "$TMP/out"
  if grep -qE "^  $cmd( |$)" "$TMP/server_help"; then ok "benchgated --help lists $cmd"; else
    bad "benchgated --help does not list $cmd"
  fi
done
cp "$TMP/out" "$TMP/server_check_help"
sflags() { grep -oE '"--[a-z][a-z0-9-]*' "$@" | sed 's/^"--//' | grep -vx help | sort -u; }
flags=$(sflags "$SSRC/main.c")
check "found the server's flags in server/main.c" test "$(echo "$flags" | wc -w)" -ge 15
for flag in $flags; do
  if grep -qE -- "--$flag([^a-z0-9-]|$)" "$TMP/server_help"; then
    ok "benchgated --help explains --$flag"
  else bad "benchgated --help does not mention --$flag"; fi
done
for flag in $(sflags "$SSRC/cmd_check.c"); do
  if grep -qE -- "--$flag([^a-z0-9-]|$)" "$TMP/server_check_help"; then
    ok "benchgated check --help explains --$flag"
  else bad "benchgated check --help does not mention --$flag"; fi
done
senvs=$(grep -ohE 'getenv\("[A-Z_]+"\)' "$SSRC"/*.c | grep -oE '[A-Z][A-Z_]+' | sort -u)
check "found the environment variables the server reads" test "$(echo "$senvs" | wc -w)" -ge 2
for v in $senvs; do
  if grep -qw -- "$v" "$TMP/server_help"; then ok "benchgated --help explains \$$v"; else
    bad "benchgated --help does not mention \$$v"
  fi
done
run_shelp "--version" --version
check "benchgated --version prints 'benchgated $want'" test "$(cat "$TMP/out")" = "benchgated $want"
"$SERVER" nosuch >"$TMP/out" 2>"$TMP/err"
check "benchgated with an unknown command exits 2" test $? = 2

finish
