#!/usr/bin/env bash
# `cpack -G DEB` from the current build (no rebuild) into a temp dir, then the package's control
# data and contents: name, version, Depends covering the Debian package of every library
# bin/naq and libnaq link (objdump NEEDED -> dpkg -S), Recommends nats-server, the conffile,
# the maintainer scripts, the files, and that the packaged binary runs.
#   check-deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
for tool in cpack dpkg-deb dpkg objdump; do
    command -v "$tool" >/dev/null 2>&1 || { echo "skipped: $tool not installed"; exit 77; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

version=$(sed -n 's/^project(naq VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
(cd "$build" && cpack -G DEB -B "$tmp/out" >"$tmp/cpack.log" 2>&1) || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$tmp/out" -maxdepth 1 -name '*.deb' | head -1)
[ -n "$deb" ] || { cat "$tmp/cpack.log"; fail "no .deb produced"; }
dpkg-deb -I "$deb" >"$tmp/info"
field() { dpkg-deb -f "$deb" "$1"; }

[ "$(field Package)" = naq ] || fail "Package is '$(field Package)'"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || fail "Architecture '$(field Architecture)'"
depends=$(field Depends)
echo "Depends: $depends"
field Recommends | grep -w nats-server >/dev/null || fail "nats-server is not in Recommends"

# Every library the binary and libnaq need is provided by a package in Depends.
dpkg-deb -x "$deb" "$tmp/root"
needed=$(for elf in "$tmp/root/usr/bin/naq" "$tmp"/root/usr/lib/libnaq.so.*.*; do
             objdump -p "$elf" | awk '$1 == "NEEDED" { print $2 }'
         done | sort -u)
for soname in $needed; do
    case $soname in libnaq.so*|libasan.so*|libubsan.so*) continue ;; esac  # sanitizer builds are not shipped
    # awk reads all its input (no early exit): with pipefail, a SIGPIPE'd ldconfig would fail.
    path=$(ldconfig -p | awk -v s="$soname" '$1 == s && /x86-64|x86_64|64bit/ && !p { p = $NF } END { print p }')
    [ -n "$path" ] || path=$(ldconfig -p | awk -v s="$soname" '$1 == s && !p { p = $NF } END { print p }')
    [ -n "$path" ] || fail "cannot resolve $soname"
    pkg=""
    for candidate in "$path" "$(readlink -f "$path")" "${path/#\/usr\/lib\//\/lib\/}" "${path/#\/lib\//\/usr\/lib\/}"; do
        pkg=$(dpkg -S "$candidate" 2>/dev/null | awk -F: 'NR == 1 { print $1 }') || pkg=""
        [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || fail "no Debian package owns $path ($soname)"
    echo "$depends" | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -x "$pkg" >/dev/null \
        || fail "$soname comes from $pkg, which is not in Depends"
done

# Files.
dpkg-deb -c "$deb" | awk '{ print $6 }' >"$tmp/files"
for f in ./usr/bin/naq "./usr/lib/libnaq.so.$version" ./usr/lib/libnaq.so ./usr/include/naq/naq.hpp \
         ./usr/include/naq/worker.hpp ./usr/lib/cmake/naq/naqConfig.cmake ./usr/lib/cmake/naq/naqConfigVersion.cmake \
         ./usr/lib/pkgconfig/naq.pc ./usr/lib/systemd/system/naq-worker@.service \
         ./usr/lib/systemd/system/naq-scheduler.service ./usr/lib/systemd/system/naq-dashboard.service \
         ./usr/lib/sysusers.d/naq.conf ./etc/naq/naq.yaml \
         ./usr/share/doc/naq/deploy.md; do
    grep -qxF "$f" "$tmp/files" || fail "$f is not in the package"
done
if grep -q '^\./usr/local/\|^\./opt/' "$tmp/files"; then fail "files outside /usr and /etc"; fi
grep -q "^ExecStart=/usr/bin/naq --config /etc/naq/naq.yaml worker %i\$" \
    "$tmp/root/usr/lib/systemd/system/naq-worker@.service" || fail "worker unit paths are not /usr, /etc"

# Control files: the config is a conffile; postinst creates the naq user.
dpkg-deb -e "$deb" "$tmp/control"
grep -qx /etc/naq/naq.yaml "$tmp/control/conffiles" || fail "/etc/naq/naq.yaml is not a conffile"
grep -q "adduser\|systemd-sysusers" "$tmp/control/postinst" || fail "postinst does not create the naq user"

# The packaged (stripped) binary runs.
[ "$(LD_LIBRARY_PATH=$tmp/root/usr/lib "$tmp/root/usr/bin/naq" --version)" = "$version" ] \
    || fail "packaged naq --version"
echo "$(basename "$deb") OK"
