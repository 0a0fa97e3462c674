// The scheduler's leader lease: one key in the scheduler_lock bucket, whose bucket TTL
// (scheduler.lock_ttl) expires the key of a leader that stopped renewing. Acquire with create()
// (or, when the last leader released it, update() on the released record's revision); renew with
// update() on our last revision. Private to src/scheduler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "core/lease_record.hpp"
#include "naq/config.hpp"
#include "naq/kv_store.hpp"

namespace naq {

class LeaderLease {
public:
    LeaderLease(const Config& config, std::string holder);

    /// One step: renew when held, else try to acquire. Returns whether the lease is held now.
    /// Never throws for NATS errors: a leader that cannot renew keeps the lease only until
    /// valid_until(), a standby just tries again later.
    bool tick();

    /// Steps down: marks the record released (compare-and-set) so a standby takes over at once.
    void release();

    /// Whether the lease is held and not past valid_until(). Thread-safe.
    bool held() const;
    /// The current holder's record, if any (one KV get).
    std::optional<LeaseRecord> current();

private:
    LeaseRecord record(bool released) const;

    const KvStore& kv();

    Config config_;
    std::optional<KvStore> kv_;  // bound on first use: constructing a lease needs no server
    std::string holder_;
    uint64_t revision_ = 0;
    int64_t since_ms_ = 0;
    bool holding_ = false;
    // Steady-clock nanoseconds until which our lease is certainly still ours: the send time of
    // the last successful write plus 90% of the TTL (the server counts the TTL from its receipt).
    std::atomic<int64_t> valid_until_ns_{0};
};

}  // namespace naq
