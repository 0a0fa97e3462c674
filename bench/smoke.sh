#!/usr/bin/env bash
# The benchmark's smoke test (ctest label bench-smoke): runs bench_naq with a tiny N and checks
# that it exits 0 and prints its table. Asserts no timing.
#   bench/smoke.sh path/to/bench_naq
set -euo pipefail
bench="$1"
out=$("$bench" --n 200 --n-single 50 --latency-samples 20 --rss-in-flight 10 --rounds 2)
echo "$out"
for expected in "naq benchmark" "median of 2 round(s)" "raw cnats JetStream" "enqueue_many" "drain no-op"; do
  if ! grep -q "$expected" <<<"$out"; then
    echo "smoke: the table lacks '$expected'" >&2
    exit 1
  fi
done
echo "smoke: ok"
