#!/usr/bin/env bash
# The programs docs/library.md quotes work as described: naq_example_worker serves 'reports',
# naq_example_producer's job gets its result, and SIGTERM stops the worker gracefully (exit 0).
#   check-library-examples.sh PRODUCER WORKER
set -euo pipefail
producer=$(realpath "$1")
worker=$(realpath "$2")
source "$(cd "$(dirname "$0")" && pwd)/../support/nats.sh"
command -v nats-server >/dev/null 2>&1 || { echo "FAIL: nats-server is not installed" >&2; exit 1; }
make_scratch
fail() { echo "FAIL: $*" >&2; cat "$tmp/worker.log" >&2 || true; exit 1; }
cd "$tmp"  # no ./naq.yaml here: the examples load the built-in defaults

start_nats "$tmp"
"$worker" "$NATS_URL" >"$tmp/worker.log" 2>&1 &
worker_pid=$!
code=0
timeout 90 "$producer" "$NATS_URL" >"$tmp/producer.log" 2>&1 || code=$?
[ "$code" = 0 ] || { cat "$tmp/producer.log"; fail "producer exited $code"; }
cat "$tmp/producer.log"
grep -q 'second enqueue of report-2026-11: duplicate = true' "$tmp/producer.log" || fail "idempotent enqueue"
grep -q 'batch: 100 jobs enqueued, 0 failed' "$tmp/producer.log" || fail "enqueue_many"
grep -q 'report .*: {"month":11,"pages":3,"attempt":1}' "$tmp/producer.log" || fail "render_report result"
kill -TERM "$worker_pid"
wait "$worker_pid" || fail "worker did not stop gracefully on SIGTERM"
worker_pid=""
grep -q "stopped: [0-9]* succeeded" "$tmp/worker.log" || fail "worker did not report its counters"
cat "$tmp/worker.log" | tail -3
echo "examples/library OK"
