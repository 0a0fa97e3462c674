#!/usr/bin/env bash
# The whole fault suite (tests/fault): server restarts and 15 s and 60 s outages, a 3-node
# cluster losing leaders and quorum, network cuts and stalls through a proxy, workers killed
# mid-job, scheduler failover. Each test prints `fault: … acked=… succeeded=… lost=…
# duplicates=… recovery_ms=…`. CI runs the same tests without the 60 s outages
# (NAQ_FAULT_FULL unset); this adds them (about 10 minutes on 2 cores).
#
#   ./scripts/fault.sh               # build/ (run ./scripts/test.sh once first)
#   ./scripts/fault.sh build-asan    # the same under the sanitizers
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build}"
cmake --build "$build_dir" -j"$(nproc)" --target naq_cli naq_fault_tests naq_record_plugin
export NAQ_FAULT_FULL=1
log="$build_dir/fault-suite.log"
status=0
ctest --test-dir "$build_dir" -L fault --timeout 900 -V >"$log" 2>&1 || status=$?
grep -E "^[0-9]+: fault:" "$log" | sed 's/^[0-9]*: //'
grep -E "tests passed|tests failed" "$log"
echo "full log: $log"
exit "$status"
