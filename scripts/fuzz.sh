#!/usr/bin/env bash
# Runs every libFuzzer target of tests/fuzz for a fixed time each.
#   scripts/fuzz.sh [SECONDS]     seconds per target (default 20); NAQ_FUZZ_TARGETS="job cron"
#                                 picks targets; NAQ_FUZZ_BUILD_DIR sets the build directory.
# Builds core/ and config/ with clang 14 (ASan + UBSan + fuzzer coverage) in build-fuzz/, starts
# each target from its seed corpus (tests/fuzz/corpus/<name>, not modified: new inputs go to a
# scratch copy) and its regressions. A crash input is copied to tests/fuzz/regressions/<name>/,
# where the ordinary build's ctest replays it from then on; the script exits 1 after running
# every target when any crashed.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-20}"
build="${NAQ_FUZZ_BUILD_DIR:-$root/build-fuzz}"
cxx=$(command -v clang++-14 || command -v clang++ || true)
[ -n "$cxx" ] || { echo "fuzz.sh: clang++-14 is not installed (scripts/install-deps.sh installs it)" >&2; exit 2; }

cmake -S "$root" -B "$build" -DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DNAQ_FUZZ=ON \
      -DNAQ_BUILD_TESTS=OFF -DNAQ_BUILD_BENCH=OFF -DNAQ_BUILD_EXAMPLES=OFF -DNAQ_PRECOMPILE_HEADERS=OFF >/dev/null
cmake --build "$build" --target naq_fuzz_all -j "$(nproc)" >/dev/null

targets="${NAQ_FUZZ_TARGETS:-$(sed -n 's/^set(NAQ_FUZZ_TARGETS \(.*\))$/\1/p' "$root/tests/fuzz/CMakeLists.txt")}"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
crashed=()
for name in $targets; do
  work="$scratch/$name"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -r "$root/tests/fuzz/corpus/$name/." "$work/corpus/"
  regressions="$root/tests/fuzz/regressions/$name"
  status=0
  (cd "$work" && "$build/fuzz/naq_fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len=65536 -artifact_prefix="$work/artifacts/" -print_final_stats=1 \
       "$work/corpus" "$regressions" >"$work/log" 2>&1) || status=$?
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  if [ "$status" -ne 0 ]; then
    mkdir -p "$regressions"
    for crash in "$work"/artifacts/*; do
      [ -e "$crash" ] || continue
      cp "$crash" "$regressions/"
      echo "fuzz $name: CRASH, input kept as tests/fuzz/regressions/$name/$(basename "$crash")"
    done
    grep -E "ERROR|SUMMARY|fuzz check failed|terminate called|==[0-9]+==" "$work/log" | head -n 8 || true
    crashed+=("$name")
  else
    echo "fuzz $name: ok, ${runs:-?} inputs in ${seconds}s"
  fi
done
if [ ${#crashed[@]} -gt 0 ]; then
  echo "fuzz: crashes in ${crashed[*]}: fix them; ctest replays the kept inputs" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds}s without a crash"
