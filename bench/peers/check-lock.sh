#!/usr/bin/env bash
# Checks that bench/peers/package-lock.json is in sync with package.json, so that `npm ci`
# (bench/run.sh --install-peers) accepts it: `npm ci --dry-run` on a temp copy of the two files,
# so nothing is written next to them (ctest rule "bench/peers package-lock.json installs").
# Exit 0: in sync; 1: npm refuses the lock (its message is printed); 77 (ctest: skipped): no npm,
# or npm could not reach the registry (npm 11 checks the lock offline, an older one may ask).
#   bench/peers/check-lock.sh [dir]   # dir: where package.json and package-lock.json are
set -euo pipefail
dir="${1:-$(cd "$(dirname "$0")" && pwd)}"
if ! command -v npm >/dev/null 2>&1; then
  echo "skipped: npm is not installed"
  exit 77
fi
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
cp "$dir/package.json" "$dir/package-lock.json" "$copy/"

status=0
out="$(cd "$copy" && timeout 120 npm ci --dry-run --no-audit --no-fund --loglevel=error 2>&1)" || status=$?
if [ "$status" = 0 ]; then
  echo "ok: $dir/package-lock.json installs (npm ci --dry-run)"
  exit 0
fi
# A registry out of reach says nothing about the lock (124: timeout gave up on npm).
if [ "$status" = 124 ] || grep -qE 'E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH)' <<<"$out"; then
  echo "skipped: npm could not reach the registry"
  exit 77
fi
# npm appends the whole usage text of `npm ci` to the refusal: print only the reason.
sed '/^npm error Clean install a project/,$d' <<<"$out" >&2
echo "check-lock: npm ci refuses $dir/package-lock.json; regenerate it with" \
     "(cd bench/peers && npm install --package-lock-only)" >&2
exit 1
