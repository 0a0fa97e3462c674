#!/usr/bin/env bash
# The module rule test can fail: on a copy of the tree it passes, then fails naming the
# offending file:line for each planted bad include (a module reaching up, a cycle, a private
# header in a public one, an unlisted module).
set -euo pipefail
root="${1:-$(cd "$(dirname "$0")/../.." && pwd)}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
check() { python3 "$root/scripts/check-module-deps" "$scratch/tree"; }
fresh() { rm -rf "$scratch/tree"; mkdir -p "$scratch/tree"; cp -r "$root/src" "$root/include" "$scratch/tree/"; }

# expect_failure <what> <grep pattern the output must contain>
expect_failure() {
    local out
    if out=$(check 2>&1); then
        echo "FAIL: $1 was not reported:"; echo "$out"; exit 1
    fi
    if ! grep -qE -- "$2" <<<"$out"; then
        echo "FAIL: $1: output lacks /$2/:"; echo "$out"; exit 1
    fi
    echo "ok: $1 -> $(grep -E -- "$2" <<<"$out" | head -n 1 | sed 's/^ *//')"
}

fresh
check >/dev/null || { echo "FAIL: the unmodified tree does not pass"; check; exit 1; }

fresh  # a producer reaching up into the worker
sed -i '1a #include "naq/worker.hpp"' "$scratch/tree/src/queue/queue.cpp"
expect_failure "queue including the worker" '^  src/queue/queue\.cpp:2: queue -> worker is not allowed'

fresh  # core knowing NATS: core -> connection
sed -i '1a #include "naq/connection.hpp"' "$scratch/tree/src/core/codec.cpp"
expect_failure "core including connection" '^  src/core/codec\.cpp:2: core -> connection is not allowed'

fresh  # the cycle queue <-> scheduler coming back through a private header
echo '#include "scheduler/fire_plan.hpp"' >>"$scratch/tree/src/queue/queue_schedule.cpp"
expect_failure "queue including a scheduler header" 'src/queue/queue_schedule\.cpp:[0-9]+: queue -> scheduler is not allowed'

fresh  # internals leaking into the public API
sed -i '1a #include "core/json_fields.hpp"' "$scratch/tree/include/naq/job.hpp"
expect_failure "a private header in a public one" 'include/naq/job\.hpp:2: public header includes private core/json_fields\.hpp'

fresh  # a new directory nobody placed in the graph
mkdir "$scratch/tree/src/webhooks" && touch "$scratch/tree/src/webhooks/x.cpp"
expect_failure "an unlisted module" 'src/webhooks/: not a module'

fresh  # a new public header nobody owns
touch "$scratch/tree/include/naq/new_thing.hpp"
expect_failure "an unowned public header" 'include/naq/new_thing\.hpp: no owning module'
fresh  # a second writer of the job records, bypassing results/job_records.hpp
echo 'auto kv = kv_store(Bucket::job_status, config);' >>"$scratch/tree/src/queue/cancel.cpp"
expect_failure "a job-record writer outside results/" 'src/queue/cancel\.cpp:[0-9]+: Bucket::job_status is bound only in connection, results'
echo "ok: check-module-deps catches every planted bad include"
