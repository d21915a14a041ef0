#!/usr/bin/env bash
# Installs the Debian packages and the npm packages that benchgate builds, runs and tests
# with, but only those missing: on a machine that has them all this takes a fraction of a
# second and needs no network. npm packages: uPlot in web/ (served to the browser), and
# playwright-core and ESLint in tests/browser/ (the browser tests and the linter of web/).
set -euo pipefail

packages=(
  valgrind  # instructions without a PMU (callgrind)
  build-essential cmake pkg-config git curl ca-certificates
  libmicrohttpd-dev libsqlite3-dev libcjson-dev libcurl4-openssl-dev libyaml-dev libssl-dev
  libcmocka-dev sqlite3 python3 clang libclang-rt-14-dev g++ libbenchmark-dev
  time  # GNU time: the reference max RSS in test_runner and test_agent_cli
  python3-yaml  # tests/integration/test_config_doc.sh reads the examples of docs/config.md
  openssl  # the fake GitHub of test_github.sh checks a GitHub App's JWTs with openssl dgst
  chromium  # the browser tests/browser drives (through playwright-core) against benchgated
  docker-compose  # tests/integration/test_compose.sh validates docker-compose.yml (no engine needed)
  man-db  # test_install.sh renders docs/man/*.1 with man -l and finds them with man -w
  groff-base  # ... and checks them with groff -ww
)
# Node.js from Debian only when no node is installed at all: a newer one from elsewhere stays
# (playwright-core needs Node >= 20; test_dashboard.sh says so when the one found is older).
if ! command -v node >/dev/null; then
  packages+=(nodejs npm)
fi
if [ "${BG_DEPS_EXTRA:-}" != "" ]; then
  read -r -a extra <<<"$BG_DEPS_EXTRA"
  packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# npm_ci DIR: `npm ci` in DIR when its node_modules is missing or older than its lock file.
npm_ci() {
  local dir=$1
  [ -f "$dir/package-lock.json" ] || return 0
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules" ]; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$dir/node_modules" # npm ci may leave the directory's mtime older than the lock's
  fi
}

root=$(cd "$(dirname "$0")/.." && pwd)
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "deps: node $(node --version 2>/dev/null) is older than 20: playwright-core needs" \
    "Node >= 20, so tests/integration/test_dashboard.sh fails here" >&2
fi
npm_ci "$root/web"
npm_ci "$root/tests/browser"
