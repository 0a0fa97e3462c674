// Jobs with depends_on: run once every dependency succeeded; fail (transitively) when one
// ended any other way. A job whose dependencies are unfinished is parked: it holds no handler
// slot, its lease is kept alive, and a subscription on each unfinished dependency's status key
// wakes it — no polling. Private to src/worker.
#pragma once

#include <asio/thread_pool.hpp>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/jetstream.hpp"
#include "naq/job.hpp"
#include "results/job_records.hpp"
#include "worker_log.hpp"

namespace naq {

enum class Dependencies { ready, pending, failed };

class DependencyParking {
public:
    /// A parked job's dependencies are settled (ready or failed, with `failure` saying which and
    /// how); called on a pool thread, which may run the job.
    using Resume = std::function<void(Message& msg, const Job& job, Dependencies state, const std::string& failure)>;

    /// `records` (null: results off) gets the "waiting" record of parked jobs.
    DependencyParking(const Config& config, const WorkerLog& log, detail::JobRecords* records, asio::thread_pool& pool,
                      const std::atomic<bool>& stopping, Resume resume)
        : config_(config),
          log_(log),
          records_(records),
          lookup_(config),
          pool_(pool),
          stopping_(stopping),
          resume_(std::move(resume)) {}
    DependencyParking(const DependencyParking&) = delete;
    DependencyParking& operator=(const DependencyParking&) = delete;

    /// Looks up the dependencies' status records. `pending` gets the unfinished ones; `failure`
    /// says why when failed. Throws Error when the records cannot be read.
    Dependencies check(const Job& job, std::vector<std::string>& pending, std::string& failure);
    /// Keeps the job until its `pending` dependencies are settled, then resumes it.
    void park(const std::string& queue, Message msg, Job job, const std::vector<std::string>& pending);
    /// Extends the leases of parked jobs (called by the lease thread).
    void extend_leases();
    /// Shutdown: naks every parked job (a running recheck hands its job back itself).
    void hand_back_all();

private:
    struct Parked {
        std::string queue;
        Message msg;
        Job job;
        std::vector<Subscription> watches;
        bool checking = false;  // a recheck is running (guarded by mutex_)
        bool dirty = false;     // a dependency changed during that recheck: look again
    };

    void recheck(uint64_t token);

    const Config& config_;
    const WorkerLog& log_;
    detail::JobRecords* records_;
    detail::JobRecords lookup_;  // the dependencies' records are read even with results off
    asio::thread_pool& pool_;
    const std::atomic<bool>& stopping_;
    Resume resume_;

    std::mutex mutex_;
    std::map<uint64_t, std::unique_ptr<Parked>> parked_;
    uint64_t next_token_ = 0;
};

}  // namespace naq
