#!/usr/bin/env bash
# The benchmark suite in one command (docs/performance.md): builds naq in Release, runs bench_naq
# (raw cnats JetStream and naq side by side on a private nats-server it starts on loopback) and,
# with --peers, BullMQ on a private redis-server through the same workload; prints one table.
#
#   bench/run.sh                      # N = 100k, backlogs 10k / 100k
#   bench/run.sh --peers              # + BullMQ (needs redis-server, node, npm: --install-peers)
#   bench/run.sh --install-peers      # apt-get install what is missing of redis-server, redis-tools,
#                                     # nodejs, npm (a node already there is kept); npm ci in bench/peers
#   bench/run.sh --backlog-1m         # + the 1M backlog row (slow: ~2 min more)
#   bench/run.sh --rounds 5           # throughput figures: median of 5 rounds (default 3)
#   bench/run.sh --n 20000 -- --no-rss   # anything after -- goes to bench_naq (see bench_naq --help)
#   bench/run.sh --no-build           # run bench_naq (and naq) as already built in the build dir
#
# Environment: NAQ_BENCH_BUILD_DIR (default build-bench), NAQ_BENCH_PEER_CONCURRENCY (BullMQ
# worker concurrency, default 30: the best of 10-300 here), NAQ_BENCH_JSON (where the JSON goes).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build_dir="${NAQ_BENCH_BUILD_DIR:-$root/build-bench}"
json="${NAQ_BENCH_JSON:-$build_dir/bench-results.json}"
peer_concurrency="${NAQ_BENCH_PEER_CONCURRENCY:-30}"
n=100000
rounds=3
peers=0
install_peers=0
build=1
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --peers) peers=1 ;;
    --install-peers) install_peers=1 ;;
    --no-build) build=0 ;;
    --backlog-1m) bench_args+=(--backlog-1m) ;;
    --n) n="$2"; shift ;;
    --rounds) rounds="$2"; shift ;;
    --) shift; bench_args+=("$@"); break ;;
    -h|--help) sed -n '2,/^set /{/^#/p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

if [ "$install_peers" = 1 ]; then
  # Optional and separate from scripts/install-deps.sh: only the peer comparison needs these.
  # Only what is missing, as install-deps.sh does: Debian's npm package conflicts with a node
  # that bundles its own npm (NodeSource, nvm), so a node already there is kept as it is.
  peer_missing=()
  command -v redis-server >/dev/null 2>&1 || peer_missing+=(redis-server)
  command -v redis-cli >/dev/null 2>&1 || peer_missing+=(redis-tools)
  command -v node >/dev/null 2>&1 || peer_missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || peer_missing+=(npm)
  if [ ${#peer_missing[@]} -gt 0 ]; then
    echo "run.sh: installing ${peer_missing[*]}" >&2
    sudo_cmd=""
    [ "$(id -u)" = 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${peer_missing[@]}" >/dev/null
  fi
  (cd "$root/bench/peers" && npm ci --no-audit --no-fund --silent)
fi

if [ "$build" = 1 ]; then
  configure=(-S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DNAQ_BUILD_BENCH=ON -DNAQ_WARNINGS_AS_ERRORS=ON)
  [ -f "$build_dir/CMakeCache.txt" ] || configure+=(-DNAQ_BUILD_TESTS=OFF)
  cmake "${configure[@]}" >/dev/null
  cmake --build "$build_dir" -j"$(nproc)" --target bench_naq naq_cli >/dev/null
fi
bench_naq="$build_dir/bench/bench_naq"
[ -x "$bench_naq" ] || { echo "run.sh: $bench_naq is missing (run without --no-build to build it)" >&2; exit 2; }

peer_json=()
if [ "$peers" = 1 ]; then
  peer_out="$build_dir/bench-peers.json"
  echo "run.sh: BullMQ peer run (N = $n, concurrency $peer_concurrency)..." >&2
  "$root/bench/peers/run.sh" --n "$n" --concurrency "$peer_concurrency" --json "$peer_out" >/dev/null
  peer_json=(--peer-json "$peer_out")
fi
"$bench_naq" --n "$n" --rounds "$rounds" --json "$json" "${peer_json[@]}" "${bench_args[@]}"
echo "(JSON: $json)"
