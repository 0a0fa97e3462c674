# Sourced by the script tests: a private nats-server -js on a random loopback port with its
# store in a temp dir, as tests/support/test_env does for the C++ tests.
#   start_nats DIR    sets NATS_URL and NATS_PID (fails after 10 s without "Server is ready")
#   stop_nats         SIGTERM and wait (call it from the EXIT trap)

start_nats() {
    local dir=$1
    mkdir -p "$dir/nats-store"
    rm -f "$dir/nats.log"
    nats-server -js -a 127.0.0.1 -p -1 -sd "$dir/nats-store" -l "$dir/nats.log" &
    NATS_PID=$!
    local port="" i
    for i in $(seq 1 200); do
        if grep -q "Server is ready" "$dir/nats.log" 2>/dev/null; then
            port=$(sed -n 's/.*Listening for client connections on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/nats.log" | head -1)
            break
        fi
        kill -0 "$NATS_PID" 2>/dev/null || break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "nats-server did not start:" >&2
        cat "$dir/nats.log" >&2 || true
        return 1
    fi
    NATS_URL="nats://127.0.0.1:$port"
}

stop_nats() {
    if [ -n "${NATS_PID:-}" ]; then
        kill "$NATS_PID" 2>/dev/null || true
        wait "$NATS_PID" 2>/dev/null || true
        NATS_PID=""
    fi
}

# make_scratch: sets tmp to a fresh temp dir; on exit, stops $worker_pid (if set) and the
# server and removes the dir.
make_scratch() {
    tmp=$(mktemp -d)
    worker_pid=""
    trap cleanup_scratch EXIT
}

cleanup_scratch() {
    if [ -n "${worker_pid:-}" ]; then
        kill "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    stop_nats
    rm -rf "$tmp"
}
