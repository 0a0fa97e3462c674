#include "leader_lease.hpp"
#include "core/instance_id.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

namespace {

int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

LeaderLease::LeaderLease(const Config& config, std::string holder) : config_(config), holder_(std::move(holder)) {}

const KvStore& LeaderLease::kv() {
    if (!kv_) kv_.emplace(kv_store(Bucket::scheduler_lock, config_));
    return *kv_;
}

LeaseRecord LeaderLease::record(bool released) const {
    LeaseRecord r;
    r.holder = holder_;
    r.pid = ::getpid();
    r.host = detail::host_name();
    r.since_ms = since_ms_;
    r.renewed_ms = now_ms();
    r.released = released;
    return r;
}

bool LeaderLease::tick() {
    const int64_t sent = steady_ns();
    const int64_t safe =
        std::chrono::duration_cast<std::chrono::nanoseconds>(config_.scheduler.lock_ttl).count() / 10 * 9;
    try {
        if (holding_) {
            revision_ = kv().update(kLeaseKey, encode_lease(record(false)), revision_);
        } else {
            auto entry = kv().try_get(kLeaseKey);
            since_ms_ = now_ms();
            if (!entry) {
                revision_ = kv().create(kLeaseKey, encode_lease(record(false)));
            } else if (LeaseRecord current = decode_lease(entry->value);
                       current.released || current.holder == holder_) {
                // Released, or our own: a write of ours that timed out during an outage can still
                // reach the server after the reconnect; it must not look like another leader.
                revision_ = kv().update(kLeaseKey, encode_lease(record(false)), entry->revision);
            } else {
                return false;  // someone else leads
            }
            holding_ = true;
        }
        valid_until_ns_.store(sent + safe);
        // A write that took longer than the safe part of the TTL (sent while disconnected, answered
        // after a reconnect) proves nothing about now: the next tick, a quick renewal, does.
        return held();
    } catch (const Conflict&) {
        if (holding_) spdlog::warn("[scheduler {}] lost the leader lease to another scheduler", holder_);
        holding_ = false;
        valid_until_ns_.store(0);
        return false;
    } catch (const Error& e) {
        if (holding_ && steady_ns() >= valid_until_ns_.load()) {
            spdlog::warn("[scheduler {}] could not renew the leader lease in time ({}): stepping down", holder_,
                         e.what());
            holding_ = false;
            valid_until_ns_.store(0);
        } else {
            spdlog::debug("[scheduler {}] lease: {}", holder_, e.what());
        }
        return held();
    }
}

void LeaderLease::release() {
    if (!holding_) return;
    holding_ = false;
    valid_until_ns_.store(0);
    try {
        kv().update(kLeaseKey, encode_lease(record(true)), revision_);
        spdlog::info("[scheduler {}] released the leader lease", holder_);
    } catch (const Error& e) {
        spdlog::debug("[scheduler {}] release lease: {}", holder_, e.what());  // it expires anyway
    }
}

bool LeaderLease::held() const { return steady_ns() < valid_until_ns_.load(); }

std::optional<LeaseRecord> LeaderLease::current() {
    auto entry = kv().try_get(kLeaseKey);
    if (!entry) return std::nullopt;
    return decode_lease(entry->value);
}

}  // namespace naq
