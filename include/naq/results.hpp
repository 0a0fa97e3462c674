// Results and job status: read what workers recorded, or wait for it.
#pragma once

#include <optional>
#include <string>

#include "naq/config.hpp"
#include "naq/job.hpp"

namespace naq {

/// The results bucket (key = job id) and the job status bucket, through scoped KV handles.
class ResultStore {
public:
    /// Holds a copy of `config`; buckets are bound (and created if missing) per call.
    explicit ResultStore(const Config& config = default_config());

    /// Stores a result (synchronously). Workers use their own asynchronous path.
    void store(const JobResult& result) const;

    /// The result of a finished job. Throws NotFound when there is none (yet, or expired).
    JobResult get(const std::string& job_id) const;
    /// As get(), but nullopt instead of NotFound.
    std::optional<JobResult> try_get(const std::string& job_id) const;

    /// Waits for the job's result through a KV watch (no polling). Throws Timeout.
    JobResult wait(const std::string& job_id, Millis timeout) const;

    /// The job's status record. Throws NotFound.
    JobStatus status(const std::string& job_id) const;
    /// As status(), but nullopt instead of NotFound.
    std::optional<JobStatus> try_status(const std::string& job_id) const;

    /// Waits until the job's status is final (succeeded, dead, cancelled, dependency_failed),
    /// through a KV watch. Throws Timeout.
    JobStatus wait_final(const std::string& job_id, Millis timeout) const;

    /// Deletes results whose job finished more than `max_age` ago; returns how many.
    /// (The bucket TTL expires them anyway; this is for a shorter horizon on demand.)
    std::size_t cleanup_old_results(Millis max_age) const;

    /// Removes a job's result and status.
    void erase(const std::string& job_id) const;

private:
    Config config_;
};

}  // namespace naq
