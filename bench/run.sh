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
# One run at a time: a second bench/run.sh refuses to start while one runs (flock on
# /tmp/naq-bench.lock, exit 1). The load average is printed before and after the run, and a
# WARNING after the table when other processes used more than 10 % of the machine's CPU meanwhile.
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

# One run at a time on this machine: two runs share the cores and spoil each other's figures
# with no sign of it in the tables. flock on a fixed file (not per build dir, the cores are shared
# by all); it is released when this script and its children have exited.
lock_file=/tmp/naq-bench.lock
touch "$lock_file" 2>/dev/null || true # may be another user's: flock needs only read access
exec 9<"$lock_file"
if ! flock --nonblock 9; then
  echo "run.sh: another bench/run.sh holds $lock_file; refusing to run: two runs at once spoil each other's figures" >&2
  exit 1
fi

# What else ran during the measurement: the machine's CPU ticks from /proc/stat less this
# script's own, its children's included (/proc/$$/stat utime stime cutime cstime: nats-server,
# the naq workers and redis-server are waited for by their parents, so they count as ours).
machine_ticks() { # prints "busy total"
  local _cpu user nice system idle iowait irq softirq steal _rest
  read -r _cpu user nice system idle iowait irq softirq steal _rest </proc/stat
  local busy=$((user + nice + system + irq + softirq + steal))
  echo "$busy $((busy + idle + iowait))"
}
own_ticks() {
  local stat fields
  stat="$(</proc/$$/stat)"
  read -ra fields <<<"${stat##*) }" # the fields after the command name (field 3 on)
  echo $((fields[11] + fields[12] + fields[13] + fields[14]))
}
load_average() { # 1, 5 and 15 min
  local one five fifteen _rest
  read -r one five fifteen _rest </proc/loadavg
  echo "$one $five $fifteen (1, 5, 15 min; $(nproc) cores)"
}
others_cpu_limit_percent=10

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

echo "run.sh: load average before the run: $(load_average)"
read -r busy_before total_before < <(machine_ticks)
own_before="$(own_ticks)"

peer_json=()
if [ "$peers" = 1 ]; then
  peer_out="$build_dir/bench-peers.json"
  echo "run.sh: BullMQ peer run (N = $n, concurrency $peer_concurrency)..." >&2
  "$root/bench/peers/run.sh" --n "$n" --concurrency "$peer_concurrency" --json "$peer_out" >/dev/null
  peer_json=(--peer-json "$peer_out")
fi
"$bench_naq" --n "$n" --rounds "$rounds" --json "$json" "${peer_json[@]}" "${bench_args[@]}"

read -r busy_after total_after < <(machine_ticks)
own_after="$(own_ticks)"
echo "(JSON: $json)"
echo "run.sh: load average after the run: $(load_average)"
others=$(( (busy_after - busy_before) - (own_after - own_before) ))
others_permille=$(( others > 0 ? others * 1000 / (total_after - total_before) : 0 ))
others_percent="$((others_permille / 10)).$((others_permille % 10)) %"
if [ "$others_permille" -gt $((others_cpu_limit_percent * 10)) ]; then
  echo "run.sh: WARNING: other processes used $others_percent of the machine's CPU during the run" \
       "(over $others_cpu_limit_percent %): the figures above are disturbed, rerun on a quiet machine"
else
  echo "run.sh: other processes used $others_percent of the machine's CPU during the run"
fi
