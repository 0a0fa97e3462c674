#!/usr/bin/env bash
# Runs the BullMQ peer benchmark: a private redis-server on a free loopback port (no persistence),
# then bullmq_bench.mjs (N no-op jobs: addBulk, then one worker drains them).
#   bench/peers/run.sh [--n 100000] [--concurrency 30] [--json out.json]
# Needs redis-server (apt) and node + npm; installs bullmq into bench/peers/node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v redis-server >/dev/null || { echo "peers: redis-server missing (bench/run.sh --install-peers)" >&2; exit 3; }
command -v node >/dev/null || { echo "peers: node missing (bench/run.sh --install-peers)" >&2; exit 3; }
if [ ! -d "$here/node_modules/bullmq" ]; then
  (cd "$here" && npm ci --no-audit --no-fund --silent)
fi

port=$(node -e "const s=require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })")
dir=$(mktemp -d)
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
             --logfile "$dir/redis.log" --daemonize no &
redis_pid=$!
cleanup() { kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
node "$here/bullmq_bench.mjs" --port "$port" "$@"
