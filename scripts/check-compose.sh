#!/usr/bin/env bash
# Validates docker-compose.yml with `docker compose config` when a compose client is installed.
# Exit 77 (reported by ctest as skipped) when there is none: no Docker engine is needed either way.
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
if docker compose version >/dev/null 2>&1; then
    exec docker compose -f "$root/docker-compose.yml" config --quiet
elif command -v docker-compose >/dev/null 2>&1; then
    exec docker-compose -f "$root/docker-compose.yml" config --quiet
fi
echo "skipped: no docker compose client installed"
exit 77
