#!/usr/bin/env bash
# Sets up and runs naq's tests on a fresh Debian 12 machine:
# installs dependencies (apt), configures, builds, runs ctest (unit + integration against a
# real nats-server the tests start themselves).
#
#   ./scripts/test.sh              # build/ , warnings as errors
#   ./scripts/test.sh --sanitize   # build-asan/ , ASan + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=OFF
build_dir=build
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=ON
  build_dir=build-asan
fi

bash scripts/install-deps.sh
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DNAQ_WARNINGS_AS_ERRORS=ON -DNAQ_SANITIZE="$sanitize" \
      -DNAQ_BUILD_TESTS=ON -DNAQ_BUILD_EXAMPLES=ON -DNAQ_BUILD_BENCH=ON
cmake --build "$build_dir" -j"$(nproc)"
# Leak checking is off for now: cnats keeps process-lifetime allocations, and a worker that
# hits its shutdown grace deliberately leaves stuck handler threads to process exit. Turn it on
# with ASAN_OPTIONS=detect_leaks=1 to audit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir "$build_dir" --output-on-failure -j2 --timeout 300
