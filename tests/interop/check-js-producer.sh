#!/usr/bin/env bash
# Any language can enqueue: examples/js (the official NATS JavaScript clients, naq's wire
# format) enqueues jobs that a C++ `naq worker` runs, reads their results from the results
# bucket, and the C++ side reads the status records it wrote. Against a private nats-server.
# Exit 77 (skipped) only when node or examples/js/node_modules is missing.
#   check-js-producer.sh NAQ_BINARY SOURCE_DIR
set -euo pipefail
naq=$1
src=$2
js=$src/examples/js
source "$(cd "$(dirname "$0")" && pwd)/../support/nats.sh"

if ! command -v node >/dev/null 2>&1; then
    echo "skipped: node is not installed (scripts/install-deps.sh installs nodejs and npm)"
    exit 77
fi
if [ ! -d "$js/node_modules/@nats-io/jetstream" ]; then
    echo "skipped: $js/node_modules is missing (run: npm ci --prefix $js)"
    exit 77
fi
command -v nats-server >/dev/null 2>&1 || { echo "FAIL: nats-server is not installed" >&2; exit 1; }

make_scratch
fail() { echo "FAIL: $*" >&2; [ -f "$tmp/worker.log" ] && cat "$tmp/worker.log" >&2; exit 1; }
# field FILE EXPR: a value from a JSON file, e.g. field r.json '.result.n'
field() { node -e "const o = JSON.parse(require('fs').readFileSync(process.argv[1], 'utf8')); \
                   const v = (function () { return this$2; }).call(o); console.log(typeof v === 'object' ? JSON.stringify(v) : v)" "$1"; }
enqueue() { (cd "$js" && node enqueue.mjs --url "$NATS_URL" --prefix jsinterop "$@"); }
naq_cmd() { "$naq" --url "$NATS_URL" --prefix jsinterop --log-level warn "$@"; }

start_nats "$tmp"
"$naq" --url "$NATS_URL" --prefix jsinterop --log-level warn worker jsq >"$tmp/worker.log" 2>&1 &  # not naq_cmd: $! must be naq
worker_pid=$!

# 1. A job from JS, run by the C++ worker; JS waits for the result record.
enqueue --queue jsq --task echo --args '{"from":"js","n":7}' --max-attempts 2 --wait 60 >"$tmp/result.json" \
    || fail "JS enqueue --wait: $(cat "$tmp/result.json")"
[ "$(field "$tmp/result.json" .status)" = succeeded ] || fail "result: $(cat "$tmp/result.json")"
[ "$(field "$tmp/result.json" .result)" = '{"from":"js","n":7}' ] || fail "result: $(cat "$tmp/result.json")"
[ "$(field "$tmp/result.json" .v)" = 1 ] || fail "result has no v: 1"
id=$(field "$tmp/result.json" .id)
# ... and the C++ side agrees: status record (written first by JS, then by the worker) and result.
naq_cmd --json job "$id" >"$tmp/status.json" || fail "naq job $id"
[ "$(field "$tmp/status.json" .state)" = succeeded ] || fail "status: $(cat "$tmp/status.json")"
[ "$(field "$tmp/status.json" .max_attempts)" = 2 ] || fail "max_attempts lost: $(cat "$tmp/status.json")"
[ "$(field "$tmp/status.json" .task)" = echo ] || fail "status: $(cat "$tmp/status.json")"
naq_cmd result "$id" >/dev/null || fail "naq result $id"

# 2. A job nobody serves: the "queued" status record JS wrote is what naq reads.
enqueue --queue jsidle --task send_email --args '{"to":"a@b.c"}' --job-id js-job-1 >"$tmp/id" || fail "JS enqueue"
[ "$(cat "$tmp/id")" = js-job-1 ] || fail "enqueue printed '$(cat "$tmp/id")'"
naq_cmd --json job js-job-1 >"$tmp/queued.json" || fail "naq job js-job-1 (status record)"
[ "$(field "$tmp/queued.json" .state)" = queued ] || fail "status: $(cat "$tmp/queued.json")"
[ "$(field "$tmp/queued.json" .queue)" = jsidle ] || fail "status: $(cat "$tmp/queued.json")"
[ "$(field "$tmp/queued.json" .task)" = send_email ] || fail "status: $(cat "$tmp/queued.json")"
naq_cmd queues --json >"$tmp/queues.json" || fail "naq queues"
grep -q '"jsidle"' "$tmp/queues.json" || fail "naq queues does not list jsidle: $(cat "$tmp/queues.json")"
# Nats-Msg-Id: the same id again is a duplicate, not a second job.
enqueue --queue jsidle --task send_email --job-id js-job-1 >"$tmp/dup" || fail "JS enqueue (repeat)"
grep -q "js-job-1 (duplicate)" "$tmp/dup" || fail "repeat enqueue was not a duplicate: $(cat "$tmp/dup")"

# 3. A failing job: the result record says failed, exit 1 as `naq enqueue --wait`.
set +e
enqueue --queue jsq --task fail --args '{"message":"from js"}' --wait 60 >"$tmp/failed.json"
code=$?
set -e
[ "$code" = 1 ] || fail "failed job: exit $code, $(cat "$tmp/failed.json")"
[ "$(field "$tmp/failed.json" .status)" = failed ] || fail "failed job: $(cat "$tmp/failed.json")"

kill "$worker_pid"
wait "$worker_pid" || fail "naq worker did not stop gracefully"
worker_pid=""
echo "JavaScript producer interoperates with the C++ worker"
