#!/usr/bin/env bash
# test_install.sh: `cmake --install` (what `make install` runs) puts both programs in bin/,
# their man pages in share/man/man1/ and the dashboard in share/benchgate/web, under --prefix
# and under DESTDIR; the installed programs run and the installed benchgated serves the
# installed dashboard. Both man pages render without a warning (man -l and groff -ww, and
# mandoc -T lint where it is installed), `man` finds them by name under the prefix, and every
# command, long flag and environment variable that the programs' --help texts print is in
# the page, so that the two cannot drift apart.
#
# Needs BG_BUILD, man (man-db) and groff (groff-base): make deps installs them.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

for tool in man groff; do
  command -v "$tool" >/dev/null || { echo "$tool missing (make deps installs it)"; exit 1; }
done
ROOT="$TMP/root"
expect_exit 0 "cmake --install --prefix exits 0" -- cmake --install "$BG_BUILD" --prefix "$ROOT"
for f in bin/benchgated bin/benchgate; do
  check "installs $f, executable" test -x "$ROOT/$f"
done
for f in share/man/man1/benchgated.1 share/man/man1/benchgate.1; do
  check "installs $f" test -f "$ROOT/$f"
done
WEB="$ROOT/share/benchgate/web"
missing=$(cd "$BG_SOURCE/web" && find . -path ./node_modules -prune -o -type f \
  \( -name '*.html' -o -name '*.js' -o -name '*.css' -o -name '*.svg' \) \
  ! -name 'eslint.config.*' -print | while read -r f; do [ -f "$WEB/$f" ] || echo "$f"; done)
check "installs every file of web/ the browser loads${missing:+ (missing: $missing)}" \
  test -z "$missing"
check "installs uPlot's module and style sheet" \
  test -f "$WEB/node_modules/uplot/dist/uPlot.esm.js" -a \
  -f "$WEB/node_modules/uplot/dist/uPlot.min.css"
check "installs no npm or linter files" \
  test ! -e "$WEB/package.json" -a ! -e "$WEB/package-lock.json" -a ! -e "$WEB/eslint.config.mjs"
DESTDIR="$TMP/stage" cmake --install "$BG_BUILD" --prefix /usr/local >"$TMP/out" 2>"$TMP/err"
check "DESTDIR stages under DESTDIR/PREFIX" \
  test -x "$TMP/stage/usr/local/bin/benchgated" -a -f "$TMP/stage/usr/local/share/man/man1/benchgate.1"
grep -q '^install:' "$BG_SOURCE/Makefile" && ok "the Makefile has an install target" ||
  bad "the Makefile has no install target"

# ---- the installed programs ----
expect_exit 0 "the installed benchgated runs" -- "$ROOT/bin/benchgated" --version
expect_exit 0 "the installed benchgate runs" -- "$ROOT/bin/benchgate" --version
SERVER="$ROOT/bin/benchgated" start_server "$TMP/bg.db" --web "$WEB"
req GET /
expect "the installed server serves the installed dashboard" 200 '<html'
req GET /node_modules/uplot/dist/uPlot.esm.js
expect "and uPlot from it" 200
stop_server

# ---- the man pages ----
for page in benchgated benchgate; do
  file="$ROOT/share/man/man1/$page.1"
  MANWIDTH=80 man --warnings -E UTF-8 -l "$file" >"$TMP/$page.txt" 2>"$TMP/err"
  check "man -l renders $page.1 without warnings" test ! -s "$TMP/err" || show err
  check "$page.1 renders to text with its name" grep -q "^NAME" "$TMP/$page.txt"
  groff -man -Tutf8 -ww -z "$file" 2>"$TMP/err"
  check "groff -ww finds nothing to warn about in $page.1" test ! -s "$TMP/err" || show err
  if command -v mandoc >/dev/null; then
    mandoc -T lint -W warning "$file" >"$TMP/err" 2>&1
    check "mandoc -T lint finds nothing in $page.1" test ! -s "$TMP/err" || show err
  fi
  found=$(MANPATH="$ROOT/share/man" man -w "$page" 2>/dev/null)
  check "man finds $page under the prefix ($found)" test "$found" = "$file"
  # The page's text with roff's escapes undone, for the checks below.
  sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$file" >"$TMP/$page.src"
done

# in_page PAGE WHAT HELP-FILE: every long flag of HELP-FILE is in PAGE's text.
in_page() {
  local page=$1 what=$2 flag n=0
  for flag in $(grep -oE -- '--[a-z][a-z0-9-]*' "$TMP/$3" | sort -u); do
    n=$((n + 1))
    if grep -qE -- "$flag([^a-z0-9-]|$)" "$TMP/$page.src"; then ok "$page.1 has $flag ($what)"
    else bad "$page.1 lacks $flag, which $what prints"; fi
  done
  check "found flags in $what" test "$n" -gt 0
}

"$SERVER" --help >"$TMP/h_server" 2>&1
in_page benchgated "benchgated --help" h_server
"$SERVER" check --help >"$TMP/h_check" 2>&1
in_page benchgated "benchgated check --help" h_check
for sub in "token create" "token list" "token revoke" backup check; do
  if grep -qE "^\.SS $sub$" "$TMP/benchgated.src"; then ok "benchgated.1 has a section for $sub"
  else bad "benchgated.1 has no section for $sub"; fi
done
for v in $(grep -oE '\bBENCHGATE_[A-Z_]+' "$TMP/h_server" | sort -u); do
  if grep -qw "$v" "$TMP/benchgated.src"; then ok "benchgated.1 has \$$v"; else
    bad "benchgated.1 lacks \$$v"
  fi
done

"$AGENT" --help >"$TMP/h_agent" 2>&1
cmds=$(sed -n '/^commands:/,/^$/s/^  \([a-z]*\) .*/\1/p' "$TMP/h_agent")
check "found the agent's commands in benchgate --help" test "$(echo "$cmds" | wc -w)" -ge 5
for c in $cmds; do
  if grep -qE "^\.SS $c$" "$TMP/benchgate.src"; then ok "benchgate.1 has a section for $c"
  else bad "benchgate.1 has no section for $c"; fi
  [ "$c" = help ] || [ "$c" = version ] && continue
  "$AGENT" "$c" --help >"$TMP/h_$c" 2>&1
  in_page benchgate "benchgate $c --help" "h_$c"
done
for v in $(sed -n '/^environment:/,/^configuration:/p' "$TMP/h_agent" |
  grep -oE '\b[A-Z][A-Z_]{1,}\b' | sort -u); do
  if grep -qw "$v" "$TMP/benchgate.src"; then ok "benchgate.1 has \$$v"; else
    bad "benchgate.1 lacks \$$v"
  fi
done
for code in 0 1 2 3; do
  if sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$TMP/benchgate.src" | grep -qx "\.B $code"; then
    ok "benchgate.1 explains exit code $code"
  else bad "benchgate.1 does not explain exit code $code"; fi
done
for code in 0 1 2; do
  if sed -n '/^\.SH EXIT STATUS/,/^\.SH /p' "$TMP/benchgated.src" | grep -qx "\.B $code"; then
    ok "benchgated.1 explains exit code $code"
  else bad "benchgated.1 does not explain exit code $code"; fi
done

finish
