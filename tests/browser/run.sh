#!/usr/bin/env bash
# The web dashboard in a real browser: headless Chromium (Debian's, driven by puppeteer-core)
# signs in, reads every page and uses its buttons, against a private nats-server with a
# `naq worker`, a `naq scheduler`, a `naq dashboard` and a second one with --read-only.
# dashboard.test.mjs does the checks; this script starts and stops the processes.
# Exit 77 (skipped) only when chromium, node or tests/browser/node_modules is missing.
#   run.sh NAQ_BINARY SOURCE_DIR BUILD_DIR
# Screenshots go to BUILD_DIR/dashboard-screenshots/; NAQ_UPDATE_SCREENSHOTS=1 also copies the
# overview and job ones to SOURCE_DIR/docs/images/ (docs/dashboard.md shows them).
set -euo pipefail
naq=$1
src=$2
build=$3
here=$src/tests/browser
source "$src/tests/support/nats.sh"

if ! command -v node >/dev/null 2>&1; then
    echo "skipped: node is not installed (scripts/install-deps.sh installs nodejs and npm)"
    exit 77
fi
chromium=/usr/bin/chromium
[ -x "$chromium" ] || chromium=$(command -v chromium || true)
if [ -z "$chromium" ]; then
    echo "skipped: chromium is not installed (scripts/install-deps.sh installs Debian's chromium)"
    exit 77
fi
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
    echo "skipped: $here/node_modules is missing (run: npm ci --prefix $here)"
    exit 77
fi
command -v nats-server >/dev/null 2>&1 || { echo "FAIL: nats-server is not installed" >&2; exit 1; }
[ -x "$naq" ] || { echo "FAIL: $naq is not an executable" >&2; exit 1; }

tmp=$(mktemp -d)
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    stop_nats
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*" >&2
    local log
    for log in "$tmp"/*.log; do [ -s "$log" ] && { echo "--- $log" >&2; tail -n 30 "$log" >&2; }; done
    exit 1
}

prefix=naqbrowser
start_nats "$tmp" || fail "nats-server did not start"
naq_args=(--url "$NATS_URL" --prefix "$prefix" --log-level warn)

# The worker serves only "work"; nobody serves "idle" (its pending count stays put).
"$naq" "${naq_args[@]}" worker work --name browser-worker >"$tmp/worker.log" 2>&1 &
pids+=($!)
"$naq" "${naq_args[@]}" scheduler --name browser-scheduler >"$tmp/scheduler.log" 2>&1 &
pids+=($!)

# A token of at least 16 characters, in a file (never on the command line).
token=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
printf '%s\n' "$token" >"$tmp/token"
chmod 600 "$tmp/token"

# start_dashboard NAME [ARGS...]: starts `naq dashboard` on a free port, sets url_NAME from the
# line it prints (naq dashboard: http://127.0.0.1:PORT/).
start_dashboard() {
    local name=$1 i url=""
    shift
    "$naq" "${naq_args[@]}" dashboard --listen 127.0.0.1:0 --token-file "$tmp/token" "$@" \
        >"$tmp/$name.out" 2>"$tmp/$name.log" &
    local pid=$!
    pids+=("$pid")
    for i in $(seq 1 200); do
        url=$(sed -n 's|^naq dashboard: \(http://[^ ]*/\).*|\1|p' "$tmp/$name.out" | head -1)
        [ -n "$url" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    [ -n "$url" ] || fail "naq dashboard $* did not print its address: $(cat "$tmp/$name.out")"
    printf -v "url_$name" '%s' "$url"
}
start_dashboard dashboard
start_dashboard readonly --read-only
grep -q '(read-only)' "$tmp/readonly.out" || fail "naq dashboard --read-only did not say read-only: $(cat "$tmp/readonly.out")"

# Not NAQ_*: naq reads those as settings (and warns about unknown ones).
export DASHTEST_NAQ=$naq DASHTEST_NATS_URL=$NATS_URL DASHTEST_PREFIX=$prefix DASHTEST_TOKEN_FILE=$tmp/token
export DASHTEST_URL=$url_dashboard DASHTEST_READONLY_URL=$url_readonly DASHTEST_CHROMIUM=$chromium
export DASHTEST_SCREENSHOTS=$build/dashboard-screenshots DASHTEST_SOURCE_DIR=$src
mkdir -p "$DASHTEST_SCREENSHOTS"
rm -f "$DASHTEST_SCREENSHOTS"/failure-*.png  # from an earlier failed run

set +e
node "$here/dashboard.test.mjs"
code=$?
set -e
[ "$code" = 0 ] || fail "dashboard.test.mjs exited $code"
