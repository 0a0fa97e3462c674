// Results and job status: read what workers recorded, or wait for it.
#pragma once

#include <optional>
#include <string>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/kv_store.hpp"

namespace naq {

/// A live view of one job's record (ResultStore::watch): its current version first, then each
/// change as it is written — state changes and progress reports — through a KV watch.
class JobWatch {
public:
    /// The next version of the record, or nullopt when none arrives within `timeout`.
    /// Throws SerializationError for a record it cannot read.
    std::optional<JobStatus> next(Millis timeout);
    /// Makes a blocked next() return (throwing Cancelled); safe from another thread.
    void stop() { watcher_.stop(); }

private:
    friend class ResultStore;
    explicit JobWatch(KvWatcher watcher) : watcher_(std::move(watcher)) {}
    KvWatcher watcher_;
};

/// Job records (the job_status bucket, key = job id): each job's one record of its state, every
/// attempt's error and, once it succeeded, its result. Read through scoped KV handles.
class ResultStore {
public:
    /// Holds a copy of `config`; buckets are bound (and created if missing) per call.
    explicit ResultStore(const Config& config = default_config());

    /// The result of a finished job (result_of its record). Throws NotFound when there is none
    /// (not finished yet, unknown, or expired).
    JobResult get(const std::string& job_id) const;
    /// As get(), but nullopt instead of NotFound.
    std::optional<JobResult> try_get(const std::string& job_id) const;

    /// Waits for the job to finish through a KV watch on its record (no polling). Throws Timeout.
    JobResult wait(const std::string& job_id, Millis timeout) const;

    /// The job's status record. Throws NotFound.
    JobStatus status(const std::string& job_id) const;
    /// As status(), but nullopt instead of NotFound.
    std::optional<JobStatus> try_status(const std::string& job_id) const;

    /// Waits until the job's status is final (succeeded, dead, cancelled, dependency_failed),
    /// through a KV watch. Throws Timeout.
    JobStatus wait_final(const std::string& job_id, Millis timeout) const;

    /// Follows the job's record as it changes (no polling). A job with no record yet is
    /// followed too: its first version comes when it is written.
    JobWatch watch(const std::string& job_id) const;

    /// Deletes the records of jobs that finished more than `max_age` ago; returns how many.
    /// (The bucket TTL, results.ttl, expires them anyway; this is a shorter horizon on demand.)
    std::size_t cleanup_old_results(Millis max_age) const;

    /// Removes a job's record.
    void erase(const std::string& job_id) const;

private:
    Config config_;
};

}  // namespace naq
