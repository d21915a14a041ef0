#!/usr/bin/env bash
# test_web_lint.sh: ESLint (recommended rules, the browser globals of web/eslint.config.mjs,
# ES modules) finds nothing in the dashboard's scripts, web/**/*.js but node_modules. Skipped
# (exit 77) only without node or without tests/browser/node_modules (scripts/deps.sh installs
# both). index.html preloads the shared modules; app.js loads every view.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

ESLINT="$BG_SOURCE/tests/browser/node_modules/.bin/eslint"
command -v node >/dev/null || { echo "skipped: no node (scripts/deps.sh installs it)"; exit 77; }
[ -x "$ESLINT" ] || { echo "skipped: no $ESLINT (run scripts/deps.sh)"; exit 77; }

cd "$BG_SOURCE" || exit 1
files=$(find web -name node_modules -prune -o -name '*.js' -print)
check "web/ has scripts to lint" test -n "$files"
expect_exit 0 "eslint finds nothing in web/**/*.js" -- \
  node "$ESLINT" --config web/eslint.config.mjs --max-warnings 0 --no-error-on-unmatched-pattern \
  'web/**/*.js'

# index.html preloads the shared modules, so the browser fetches them in one round rather than
# one level of imports after another; app.js loads each view (and the trend its chart) when it
# is first shown.
for f in web/app.js web/js/*.js; do
  [ "$f" = web/js/trendchart.js ] && continue
  check "index.html preloads ${f#web/}" grep -q "rel=\"modulepreload\" href=\"${f#web/}\"" web/index.html
done
for f in web/views/*.js; do
  check "app.js loads ${f#web/}" grep -q "import('./${f#web/}')" web/app.js
done

# The linter itself works: a module with an undeclared global and an unused variable fails
# (given on stdin under a name inside web/, so that the config applies to it).
printf 'const unused = 1;\nundeclared();\n' >"$TMP/bad.js"
expect_exit 1 "eslint fails a module with an undeclared global" -- \
  node "$ESLINT" --config web/eslint.config.mjs --stdin --stdin-filename web/js/bad.js <"$TMP/bad.js"
has out "'undeclared' is not defined" "the undeclared global is named"
has out "'unused' is assigned a value but never used" "the unused variable is named"
finish
