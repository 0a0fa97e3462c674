#!/usr/bin/env bash
# Installs everything naq needs to build, test and benchmark, from Debian 12 apt only.
# Idempotent: packages already present are skipped; safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  nats-server libnats-dev libssl-dev
  libasio-dev libspdlog-dev libfmt-dev libyaml-cpp-dev
  libcereal-dev rapidjson-dev nlohmann-json3-dev
  catch2 libcli11-dev libhowardhinnant-date-dev libcpp-httplib-dev
  libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
