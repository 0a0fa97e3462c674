#!/usr/bin/env bash
# Installs everything naq needs to build, test and benchmark, from Debian 12 apt (and, best
# effort, the npm packages of examples/js from the npm registry).
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

# Node.js for examples/js (the JavaScript producer and its test), best effort: a machine
# without it, or without the npm registry, still builds and tests naq (that test is skipped).
# NAQ_SKIP_NODE=1 leaves it out (the Docker image). A node that is already there (from any
# source) is kept: Debian's npm package would conflict with a node that bundles its own npm.
if [ "${NAQ_SKIP_NODE:-0}" != 1 ]; then
  node_missing=()
  command -v node >/dev/null 2>&1 || node_missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || node_missing+=(npm)
  if [ ${#node_missing[@]} -gt 0 ]; then
    echo "install-deps: installing ${node_missing[*]} (for examples/js)"
    { [ "$updated" = 1 ] || $SUDO apt-get update -qq; } &&
      $SUDO apt-get install -y -qq --no-install-recommends "${node_missing[@]}" ||
      echo "install-deps: warning: could not install ${node_missing[*]}; the examples/js test will be skipped" >&2
  fi
  js_dir="$(cd "$(dirname "$0")/.." && pwd)/examples/js"
  if command -v npm >/dev/null 2>&1 && [ -f "$js_dir/package-lock.json" ]; then
    if [ -d "$js_dir/node_modules/@nats-io/jetstream" ] && [ "$js_dir/node_modules/.package-lock.json" -nt "$js_dir/package-lock.json" ]; then
      echo "install-deps: examples/js packages present"
    elif (cd "$js_dir" && timeout 180 npm ci --no-audit --no-fund --loglevel=error); then
      echo "install-deps: examples/js packages installed (npm ci)"
    else
      echo "install-deps: warning: npm ci failed in examples/js (no registry?); its test will be skipped" >&2
    fi
  fi
fi
