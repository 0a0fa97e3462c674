#!/usr/bin/env bash
# bench_connection's smoke test (ctest label bench-smoke): runs it with a tiny N and checks that it
# exits 0, prints every section of its table and writes its JSON. Asserts no timing.
#   bench/smoke_connection.sh path/to/bench_connection
set -euo pipefail
bench="$1"
json=$(mktemp)
trap 'rm -f "$json"' EXIT
out=$("$bench" --ops 40 --acquire-ops 2000 --handles 5 --rounds 1 --json "$json")
echo "$out"
for expected in "naq connection benchmark" "A  core publish" "B  JetStream publish" "C  KV get" \
                "connect per operation" "acquire + release" "resident memory" "naq::kv_store() + get"; do
  if ! grep -q "$expected" <<<"$out"; then
    echo "smoke: the table lacks '$expected'" >&2
    exit 1
  fi
done
if ! grep -q '"kv_get_scoped_vs_open"' "$json"; then
  echo "smoke: --json did not write the figures" >&2
  exit 1
fi
echo "smoke: ok"
