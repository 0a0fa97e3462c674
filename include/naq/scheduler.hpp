// naq::Scheduler — the service behind `naq scheduler`: fires delayed, interval and cron
// schedules (schedule.hpp) from an in-memory timer heap kept current by a KV watch.
// Several may run; one leads (a lease in the scheduler_lock bucket) and the others are hot
// standbys. docs/scheduler.md describes timing, missed runs, failover and guarantees.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "naq/config.hpp"

namespace naq {

/// Tuning of one Scheduler; everything else comes from the Config's scheduler section.
struct SchedulerOptions {
    std::string name;                       ///< id prefix; empty = host name
    std::optional<MissedRuns> missed_runs;  ///< none = scheduler.missed_runs from the config
    /// A run due no longer than this ago fires as it is (e.g. the runs of a failover gap);
    /// an older backlog is "missed" and handled by missed_runs. Capped below
    /// jetstream.duplicate_window so that a run fired twice is always deduplicated.
    Millis catch_up{60'000};
    Millis standby_poll{250};      ///< how often a standby checks whether the lease is free
    std::size_t max_batch = 4096;  ///< runs published per batch before watch changes are applied
};

/// Firing lateness (actual fire time - due time) of the runs this scheduler fired.
struct LatenessStats {
    uint64_t count = 0;
    double p50_ms = 0;
    double p99_ms = 0;
    double max_ms = 0;
};

/// Counters since start.
struct SchedulerStats {
    bool leader = false;
    uint64_t schedules = 0;     ///< schedules in the timer heap's view (paused ones included)
    uint64_t fired = 0;         ///< runs published and acknowledged (duplicates included)
    uint64_t duplicates = 0;    ///< runs the server had already stored (fired by an earlier leader)
    uint64_t missed_fired = 0;  ///< backlogs older than catch_up fired once (policy once)
    uint64_t skipped = 0;       ///< missed runs not fired
    uint64_t failures = 0;      ///< publish failures
    uint64_t conflicts = 0;     ///< advances that lost a compare-and-set (changed meanwhile)
    uint64_t leader_terms = 0;  ///< times this scheduler became leader
    LatenessStats lateness;     ///< over the last 1,000,000 runs fired on time or caught up
};

/// One scheduler instance (the engine of `naq scheduler`). Run two or three for failover.
class Scheduler {
public:
    /// Holds a copy of `config`; connects in run().
    explicit Scheduler(const Config& config, SchedulerOptions options = {});
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    /// Runs until stop(): watches the schedules, competes for the lease, fires while leader.
    /// On return the lease is released (a standby takes over at once). Throws ConnectionError
    /// etc. when it cannot set up.
    void run();

    /// Asks run() to return. Thread-safe; returns at once.
    void stop();

    /// Blocks until run() has loaded every schedule and made its first bid for the lease
    /// (or has failed: then rethrows the error).
    void wait_started() const;

    /// Whether this scheduler holds the lease now.
    bool is_leader() const;
    /// "<name or host>-<pid>-<6 hex>", also in the lease record.
    const std::string& id() const;
    SchedulerStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace naq
