#!/usr/bin/env bash
# Installs everything naq needs to build, test and benchmark, from Debian 12 apt (and, best
# effort, Debian's chromium and the npm packages of examples/js and tests/browser from the npm
# registry).
# Idempotent: packages already present are skipped; safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git python3
  nats-server libnats-dev libssl-dev openssl
  libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev nlohmann-json3-dev libsimdjson-dev rapidjson-dev
  catch2 libcli11-dev libhowardhinnant-date-dev libcpp-httplib-dev
  clang-format-14 clang-14 libclang-rt-14-dev docker-compose
)
# Only what the build and the tests use (clang-format-14: the rule "sources are
# clang-formatted"; clang-14 and its libFuzzer runtime: scripts/fuzz.sh; rapidjson-dev: bench/bench_codec
# only; docker-compose: the rule that validates docker-compose.yml, no Docker engine needed). cereal and google-benchmark are not used (docs/performance.md).

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
updated=0
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
else
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  updated=1
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Node.js for examples/js (the JavaScript producer and its test) and tests/browser (the
# dashboard in headless Chromium), best effort: a machine without them, or without the npm
# registry, still builds and tests naq (those tests are skipped). NAQ_SKIP_NODE=1 leaves them
# out (the Docker image). A node that is already there (from any source) is kept: Debian's npm
# package would conflict with a node that bundles its own npm.

# npm_ci DIR MARKER: `npm ci` in DIR (of the repository) unless its node_modules/MARKER is
# there and node_modules is newer than package-lock.json; a warning when it fails.
npm_ci() {
  local dir="$root/$1" marker=$2
  command -v npm >/dev/null 2>&1 && [ -f "$dir/package-lock.json" ] || return 0
  if [ -e "$dir/node_modules/$marker" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "install-deps: $1 packages present"
  elif (cd "$dir" && timeout 180 npm ci --no-audit --no-fund --loglevel=error); then
    echo "install-deps: $1 packages installed (npm ci)"
  else
    echo "install-deps: warning: npm ci failed in $1 (no registry?); its test will be skipped" >&2
  fi
}

# apt_best_effort WHAT PACKAGE...: installs the packages (none: does nothing); a warning (the
# tests of WHAT are then skipped) when that fails.
apt_best_effort() {
  local what=$1
  shift
  [ $# -gt 0 ] || return 0
  echo "install-deps: installing $* (for $what)"
  { [ "$updated" = 1 ] || { $SUDO apt-get update -qq && updated=1; }; } &&
    $SUDO apt-get install -y -qq --no-install-recommends "$@" ||
    echo "install-deps: warning: could not install $*; the tests of $what will be skipped" >&2
}

if [ "${NAQ_SKIP_NODE:-0}" != 1 ]; then
  root="$(cd "$(dirname "$0")/.." && pwd)"
  node_missing=()
  command -v node >/dev/null 2>&1 || node_missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || node_missing+=(npm)
  apt_best_effort "examples/js and tests/browser" "${node_missing[@]}"
  # Debian's chromium for tests/browser: puppeteer-core drives it and downloads no browser.
  command -v chromium >/dev/null 2>&1 || apt_best_effort tests/browser chromium
  npm_ci examples/js @nats-io/jetstream
  npm_ci tests/browser puppeteer-core
fi
