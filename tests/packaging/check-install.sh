#!/usr/bin/env bash
# `cmake --install` of the current build into a temp prefix (no rebuild), then what a user does
# with it: a CMake project (examples/consumer-project) built with find_package(naq) and run
# against a private nats-server and the installed `naq worker`, and a one-file program built
# with `pkg-config --cflags --libs naq`.
#   check-install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../support/nats.sh"

if grep -q "^NAQ_SANITIZE:BOOL=ON" "$build/CMakeCache.txt" 2>/dev/null; then
    # A sanitized libnaq needs the ASan runtime loaded first in every program that links it;
    # installs are for normal builds, and this test runs in those.
    echo "skipped: sanitizer build"
    exit 77
fi
make_scratch
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }

version=$(sed -n 's/^project(naq VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
lib=$(find "$prefix" -name 'libnaq.so' | head -1)
[ -n "$lib" ] || fail "libnaq.so not installed"
libdir=$(dirname "$lib")
for f in bin/naq include/naq/naq.hpp include/naq/queue.hpp include/naq/worker.hpp \
         lib/systemd/system/naq-worker@.service lib/systemd/system/naq-scheduler.service \
         lib/systemd/system/naq-dashboard.service \
         etc/naq/naq.yaml; do
    [ -e "$prefix/$f" ] || fail "$f not installed"
done
for f in "$libdir/cmake/naq/naqConfig.cmake" "$libdir/cmake/naq/naqConfigVersion.cmake" \
         "$libdir/pkgconfig/naq.pc" "$libdir/libnaq.so.$version"; do
    [ -e "$f" ] || fail "${f#"$prefix"/} not installed"
done
[ "$("$prefix/bin/naq" --version)" = "$version" ] || fail "installed naq --version is not $version"
# The units were rewritten for this prefix.
grep -q "^ExecStart=$prefix/bin/naq --config $prefix/etc/naq/naq.yaml worker %i\$" \
    "$prefix/lib/systemd/system/naq-worker@.service" || fail "worker unit paths not rewritten for the prefix"

# find_package(naq) from a separate project.
cmake -S "$src/examples/consumer-project" -B "$tmp/consumer" -DCMAKE_PREFIX_PATH="$prefix" \
      -DCMAKE_BUILD_TYPE=Debug >"$tmp/consumer-configure.log" 2>&1 \
    || { cat "$tmp/consumer-configure.log"; fail "consumer project does not configure against the install"; }
grep -q "naq_DIR:PATH=$libdir/cmake/naq" "$tmp/consumer/CMakeCache.txt" \
    || fail "consumer project found a naq other than the one just installed"
cmake --build "$tmp/consumer" >"$tmp/consumer-build.log" 2>&1 \
    || { cat "$tmp/consumer-build.log"; fail "consumer project does not build against the install"; }
# The version file refuses an incompatible request.
mkdir -p "$tmp/wrongver"
printf 'cmake_minimum_required(VERSION 3.25)\nproject(w LANGUAGES CXX)\nfind_package(naq 99 REQUIRED)\n' \
    >"$tmp/wrongver/CMakeLists.txt"
if cmake -S "$tmp/wrongver" -B "$tmp/wrongver/b" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null 2>&1; then
    fail "find_package(naq 99) succeeded: naqConfigVersion.cmake does not check"
fi

# pkg-config, one file, plain compiler command line.
export PKG_CONFIG_PATH=$libdir/pkgconfig
[ "$(pkg-config --modversion naq)" = "$version" ] || fail "pkg-config --modversion naq"
cat >"$tmp/hello.cpp" <<'CPP'
#include <naq/config.hpp>
#include <naq/job.hpp>
#include <naq/version.hpp>
#include <iostream>
int main() {
    naq::Config cfg;
    cfg.set("worker.concurrency", "4", "test");
    cfg.validate();
    std::cout << naq::kVersion << " " << cfg.worker.concurrency << " " << naq::new_job_id().size() << "\n";
}
CPP
# shellcheck disable=SC2046
c++ -std=c++20 "$tmp/hello.cpp" -o "$tmp/hello" $(pkg-config --cflags --libs naq) \
    || fail "a program does not build with pkg-config --cflags --libs naq"
out=$(LD_LIBRARY_PATH=$libdir "$tmp/hello")
[ "$out" = "$version 4 36" ] || fail "pkg-config program printed '$out'"

# The installed binary, library and consumer work together against a real server.
if command -v nats-server >/dev/null 2>&1; then
    start_nats "$tmp"
    "$prefix/bin/naq" --url "$NATS_URL" --log-level warn worker hello >"$tmp/worker.log" 2>&1 &
    worker_pid=$!
    out=$(timeout 60 "$tmp/consumer/enqueue_hello" "$NATS_URL" --wait 2>&1) \
        || { echo "$out"; cat "$tmp/worker.log"; fail "consumer job did not succeed"; }
    grep -q "\"greeting\":\"hello from naq $version\"" <<<"$out" || { echo "$out"; fail "unexpected result"; }
    kill "$worker_pid"; wait "$worker_pid" || fail "installed naq worker did not stop gracefully"
    worker_pid=""
else
    echo "note: nats-server not installed; the consumer was built but not run"
fi
echo "install, find_package(naq) and pkg-config OK ($prefix)"
