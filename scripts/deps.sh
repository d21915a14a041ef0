#!/usr/bin/env bash
# Installs the Debian packages (and, once the dashboard needs them, npm packages) that
# benchgate builds, runs and tests with, but only those missing: on a machine that has them
# all this takes a fraction of a second and needs no network.
set -euo pipefail

packages=(
  valgrind  # instructions without a PMU (callgrind)
  build-essential cmake pkg-config git curl ca-certificates
  libmicrohttpd-dev libsqlite3-dev libcjson-dev libcurl4-openssl-dev libyaml-dev libssl-dev
  libcmocka-dev sqlite3 python3 clang libclang-rt-14-dev g++ libbenchmark-dev
  time  # GNU time: the reference max RSS in test_runner and test_agent_cli
  python3-yaml  # tests/integration/test_config_doc.sh reads the examples of docs/config.md
  openssl  # the fake GitHub of test_github.sh checks a GitHub App's JWTs with openssl dgst
)
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
