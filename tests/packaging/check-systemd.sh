#!/usr/bin/env bash
# The systemd units as `cmake --install` writes them: `systemd-analyze verify` (skipped, exit 77,
# where systemd-analyze is missing) and what docs/deploy.md promises: the instance name is the
# queue list, the naq user, the config file, restart on failure, SIGTERM, and a stop timeout
# longer than the worker's shutdown grace.
#   check-systemd.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
seconds() {  # a systemd / naq duration (45s, 1min, 2m, 30) in seconds
    local v=$1
    case $v in
        *min) echo $(( ${v%min} * 60 )) ;; *m) echo $(( ${v%m} * 60 )) ;;
        *s) echo "${v%s}" ;; *) echo "$v" ;;
    esac
}

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" || { cat "$tmp/install.log"; fail "cmake --install"; }
units=$prefix/lib/systemd/system
worker=$units/naq-worker@.service
scheduler=$units/naq-scheduler.service
dashboard=$units/naq-dashboard.service
[ -f "$worker" ] && [ -f "$scheduler" ] && [ -f "$dashboard" ] || fail "units not installed in lib/systemd/system"

key() { sed -n "s/^$2=//p" "$1" | tail -1; }
grep -qx "ExecStart=$prefix/bin/naq --config $prefix/etc/naq/naq.yaml worker %i" "$worker" \
    || fail "worker ExecStart: $(key "$worker" ExecStart)"
grep -qx "ExecStart=$prefix/bin/naq --config $prefix/etc/naq/naq.yaml scheduler" "$scheduler" \
    || fail "scheduler ExecStart: $(key "$scheduler" ExecStart)"
grep -qx "ExecStart=$prefix/bin/naq --config $prefix/etc/naq/naq.yaml dashboard --listen 127.0.0.1:8080" "$dashboard" \
    || fail "dashboard ExecStart: $(key "$dashboard" ExecStart)"
grace=$(sed -n 's/^ *shutdown_grace: *\([0-9]*[a-z]*\).*/\1/p' "$src/config/naq.yaml")
[ -n "$grace" ] || fail "no worker.shutdown_grace in config/naq.yaml"
for unit in "$worker" "$scheduler" "$dashboard"; do
    [ "$(key "$unit" User)" = naq ] || fail "$(basename "$unit"): User is not naq"
    [ "$(key "$unit" Restart)" = on-failure ] || fail "$(basename "$unit"): Restart is not on-failure"
    [ "$(key "$unit" KillSignal)" = SIGTERM ] || fail "$(basename "$unit"): KillSignal is not SIGTERM"
done
stop=$(key "$worker" TimeoutStopSec)
[ "$(seconds "$stop")" -gt "$(seconds "$grace")" ] \
    || fail "worker TimeoutStopSec=$stop is not longer than worker.shutdown_grace=$grace"
# The binary accepts the unit's command line (comma-separated queues included).
"$prefix/bin/naq" --config "$prefix/etc/naq/naq.yaml" worker --help >/dev/null || fail "naq worker --help"
"$prefix/bin/naq" --config "$prefix/etc/naq/naq.yaml" dashboard --help >/dev/null || fail "naq dashboard --help"
"$prefix/bin/naq" --config "$prefix/etc/naq/naq.yaml" config validate "$prefix/etc/naq/naq.yaml" >/dev/null \
    || fail "the installed /etc/naq/naq.yaml does not validate"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    echo "skipped: systemd-analyze not installed (the unit contents were checked)"
    exit 77
fi
# A template is verified as a copy named like an instance. (systemd-analyze verify reads
# "FILE:NAME" as an alias, so the documented list instance default:emails is checked for a
# valid unit name with systemd-escape instead: it must need no escaping.)
[ "$(systemd-escape --template naq-worker@.service default:emails)" = "naq-worker@default:emails.service" ] \
    || fail "naq-worker@default:emails.service is not a valid unit name"
mkdir -p "$tmp/verify"
cp "$worker" "$tmp/verify/naq-worker@default.service"
cp "$scheduler" "$dashboard" "$tmp/verify/"
(cd "$tmp/verify" && systemd-analyze verify --man=no "$tmp/verify/naq-worker@default.service" \
    "$tmp/verify/naq-scheduler.service" "$tmp/verify/naq-dashboard.service") >"$tmp/verify.log" 2>&1 || { cat "$tmp/verify.log"; fail "systemd-analyze verify"; }
if grep -i "naq-\(worker\|scheduler\|dashboard\)" "$tmp/verify.log"; then fail "systemd-analyze verify reported problems"; fi
echo "systemd units OK"
