// The job records (bucket naq_job_status): the one place that reads and writes them. The queue
// (queued, requeued, cancelled), the worker (waiting, running, outcomes) and the result store all
// go through here, so how sure each kind of write must be — unacknowledged, acknowledged in the
// background, acknowledged before the caller goes on, or acknowledged before the job is — is
// decided once, by which method a producer calls. Private to libnaq.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/kv_store.hpp"

namespace naq {
class ConfirmedPublisher;
}

namespace naq::detail {

struct StoredStatus {
    JobStatus status;
    uint64_t revision = 0;  ///< of the job's own record; 0 when it comes from its batch's record
};

/// A job's record in `state` at `at_ms`, with nothing else that happened to it yet (no
/// attempt, error or result): queued, waiting, or the start of a run.
JobStatus status_for(const Job& job, JobState state, int64_t at_ms);

class JobRecords {
public:
    /// Opens the bucket. With `confirmed_window` > 0 it can also publish_succeeded(), at most
    /// that many records waiting for their acknowledgement at once.
    explicit JobRecords(const Config& config, int64_t confirmed_window = 0);
    ~JobRecords();
    JobRecords(JobRecords&&) noexcept;
    JobRecords& operator=(JobRecords&&) noexcept;

    // Reads.

    /// The job's status: its own record, or (for a job enqueue_many put on a queue no worker has
    /// started yet) the one in its batch's record; nullopt when it has none (unknown, expired or
    /// erased). Throws SerializationError for an unreadable record.
    std::optional<StoredStatus> find(const std::string& job_id) const;
    /// The errors of the job's earlier attempts; empty when it has no readable record.
    std::vector<AttemptError> earlier_errors(const std::string& job_id) const;
    /// The subject every write of the job's record is published on (to wait for a change).
    std::string subject(const std::string& job_id) const;
    /// The bucket itself, for the result store's watch and clean-up.
    const KvStore& store() const { return kv_; }

    // Writes, from the least to the most sure.

    /// A new job's first record, sent without waiting for an acknowledgement: the job, published
    /// next on the same connection, is stored after it. Create-only, so a repeated enqueue of a
    /// job that already ran keeps the record of that run.
    void create_first(const JobStatus& status) const;
    /// A record the next write replaces anyway (running): unacknowledged.
    void note(const JobStatus& status) const;
    /// Acknowledged in the background, failures logged and counted: waiting, a retry scheduled.
    void put_async(const JobStatus& status) const;
    /// The shared `queued` record of a batch of jobs (enqueue_many), as put_async.
    void put_batch_async(const std::string& batch_key, std::string_view manifest) const;
    /// Acknowledged before it returns: a record others act on at once (a final failure wakes the
    /// jobs that depend on it; a requeued job starts a new life).
    void put(const JobStatus& status) const;
    /// `now` replaces the record `found` was read from, unless it changed since; false then.
    bool replace(const StoredStatus& found, const JobStatus& now) const;
    /// A succeeded record; `done` runs once, when the server stored it (empty error) or did not.
    /// The caller acks the job from there. A result too big for the server is replaced by a note
    /// saying so (returns false then), so the record fits and the job does not run forever.
    /// Needs a `confirmed_window`.
    bool publish_succeeded(JobStatus& status, std::function<void(const std::string& error)> done);
    /// Removes the job's record and its history.
    void purge(const std::string& job_id) const;

    /// Waits up to `timeout` for the put_async writes so far.
    void flush(Millis timeout) const;
    /// Waits up to `timeout` for the publish_succeeded confirmations; the rest are reported failed.
    void drain(Millis timeout);
    /// Reports failed the publish_succeeded confirmations past nats.request_timeout (at most
    /// once a second). Publishing does it too; a timer must, for when publishing stops.
    void sweep_unconfirmed();

private:
    KvStore kv_;
    std::unique_ptr<ConfirmedPublisher> confirmed_;
};

}  // namespace naq::detail
