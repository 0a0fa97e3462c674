// Limits on a queue across all of its workers (Queue::set_limits): before each fetch the fetch
// loop asks its queue's limiter how many jobs it may fetch. The limiter takes them, by
// compare-and-set on records of the "<prefix>_limits" bucket that every worker of the queue
// shares, as a lease of several jobs:
//   rate         a fixed window ("<queue>.rate"): jobs started in the current period
//   concurrency  this worker's claim in "<queue>.running": its jobs of the queue that are running
//                or about to; it lapses after worker.worker_ttl unless renewed (a crashed worker)
// A fetch loop that gets nothing waits (holding no handler slot) until the window ends, a
// claim changes (a KV watch, not polling) or one of its own jobs finishes. Private to src/worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "naq/queue_control.hpp"
#include "worker_log.hpp"

namespace naq {

class QueueLimiter {
public:
    /// What admit() allowed.
    struct Grant {
        int jobs = 0;                 ///< may be fetched now
        Millis retry_in{0};           ///< with 0 jobs: when to ask again at the latest
        uint64_t version = 0;         ///< version() when it was decided
        int64_t rate_window_ms = -1;  ///< the rate window the jobs were counted in; -1 = none
    };

    QueueLimiter(const Config& config, const WorkerLog& log, std::string queue);
    /// A limiter of concurrency only, on the claims record `running_key` (a task's limit in a
    /// queue); `what` names it in log lines.
    QueueLimiter(const Config& config, const WorkerLog& log, std::string what, std::string running_key);
    QueueLimiter(const QueueLimiter&) = delete;
    QueueLimiter& operator=(const QueueLimiter&) = delete;

    /// The limits from the queue's control record (thread-safe).
    void set(const QueueLimits& limits);
    QueueLimits limits() const;
    bool active() const { return active_.load(); }
    bool limits_concurrency() const;

    // The rest is called by the queue's fetch loops (one per priority level; they take turns).
    // `in_hand` is how many of the queue's jobs this worker has fetched and not finished.

    /// Takes rate tokens and concurrency room for up to `want` jobs.
    Grant admit(int want, int in_hand);
    /// After the fetch: `got` of grant.jobs came. Gives the rest back and sets the claim to `in_hand`.
    void fetched(const Grant& grant, int got, int in_hand);
    /// Keeps this worker's claim equal to `in_hand` and renewed (writes only when it is not).
    void keep(int in_hand);
    /// Removes this worker's claim (once its jobs of the queue are done, at shutdown).
    void release();

    /// Changes with every limit change and every change of the queue's running-jobs record.
    uint64_t version() const { return version_.load(); }
    /// A watch saw the running-jobs record change.
    void note_changed() { version_.fetch_add(1); }

private:
    /// The limits bucket, bound at the first use; throws when it cannot be.
    const KvStore& kv();
    /// The entry's record; a missing or unreadable one (logged) is the empty record.
    template <class Record>
    Record read_record(const std::optional<KvEntry>& entry, Record (*decode)(std::string_view), const char* what) const;
    int take_rate(int want, const QueueLimits& limits, Grant& grant);
    void give_back_rate(int64_t window_ms, int unused);
    /// Sets this worker's claim to `held` plus what is free of `want`; returns that part.
    int claim(int want, int held, const QueueLimits& limits, Grant* grant);
    void keep_locked(int in_hand);

    const Config& config_;
    const WorkerLog& log_;
    std::string queue_;
    std::string rate_key_;
    std::string running_key_;
    std::optional<KvStore> kv_;  // bound at the first use (kv()), under op_mutex_

    mutable std::mutex mutex_;
    QueueLimits limits_;
    std::atomic<bool> active_{false};
    std::atomic<uint64_t> version_{0};

    std::mutex op_mutex_;         // one fetch loop at a time takes room; held over its round trips
    int reserved_ = 0;            // granted to fetches under way, not yet in anyone's in_hand
    int64_t claimed_ = 0;         // what the running record says of this worker
    int64_t claim_until_ms_ = 0;  // when that lapses
};

/// The limiters of a worker's queues and the one watch that tells them of claim changes.
class QueueLimiters {
public:
    /// `wake` is called after a limiter's version changed (the fetch loops look again).
    QueueLimiters(const Config& config, const WorkerLog& log, const std::vector<std::string>& queues,
                  std::function<void()> wake);
    ~QueueLimiters() { stop(); }
    QueueLimiters(const QueueLimiters&) = delete;
    QueueLimiters& operator=(const QueueLimiters&) = delete;

    /// The queue's limiter (one of the worker's queues).
    QueueLimiter& of(const std::string& queue);
    /// A control record said these are the queue's limits.
    void set(const std::string& queue, const QueueLimits& limits);
    /// Starts the watch of the running-jobs records. Throws when it cannot.
    void start();
    /// Stops the watch and removes this worker's claims.
    void stop();

private:
    const Config& config_;
    const WorkerLog& log_;
    std::function<void()> wake_;
    std::map<std::string, std::unique_ptr<QueueLimiter>> limiters_;
    std::optional<KvWatcher> watcher_;
    std::thread thread_;
};

}  // namespace naq
