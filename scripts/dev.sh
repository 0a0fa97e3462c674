#!/usr/bin/env bash
# Sets up and runs naq's main job on a fresh Debian 12 machine: installs dependencies (apt),
# builds the naq binary, and runs `naq dev` — a private nats-server, a worker, a demo batch of
# jobs, and their results. Extra arguments go to `naq dev` (e.g. --keep, --jobs 50).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target naq_cli
exec ./build/src/naq dev "$@"
