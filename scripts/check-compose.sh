#!/usr/bin/env bash
# Validates docker-compose.yml, default services and the "cluster" and "dashboard" profiles, with `docker compose
# config` (Debian's docker-compose is installed by scripts/install-deps.sh). Exit 77 (reported by
# ctest as skipped) when no compose client is installed: no Docker engine is needed either way.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
if docker compose version >/dev/null 2>&1; then
    compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
    compose=(docker-compose)
else
    echo "skipped: no docker compose client installed"
    exit 77
fi
"${compose[@]}" -f "$root/docker-compose.yml" config --quiet
"${compose[@]}" -f "$root/docker-compose.yml" --profile cluster config --quiet
"${compose[@]}" -f "$root/docker-compose.yml" --profile dashboard config --quiet
echo "docker-compose.yml: default services and profiles cluster and dashboard are valid"
