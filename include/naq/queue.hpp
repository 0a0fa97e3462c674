// naq::Queue — the producer side: put jobs on a queue, inspect and purge it.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "naq/batch.hpp"
#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/queue_control.hpp"
#include "naq/schedule.hpp"

namespace naq {

namespace detail {
class Batches;
}

/// What enqueueing one job did.
struct EnqueueResult {
    std::string id;
    bool duplicate = false;  ///< nothing was enqueued: `id` is the job that already exists
    /// The duplicate is a unique job's: `id` holds the key (EnqueueOptions::unique_for), rather
    /// than a repeat of the same job id within the server's duplicate window.
    bool unique = false;
};

/// One job of a batch for enqueue_many().
struct JobSpec {
    std::string task;
    Json args = Json::object();
    EnqueueOptions options{};
};

/// What enqueue_many() did; every job is either in `ids` (acked or duplicate) or in `failures`.
struct BatchResult {
    struct Failure {
        std::size_t index;  ///< position in the input
        std::string id;
        std::string error;
    };
    std::vector<std::string> ids;  ///< by input position; empty string where it failed
    /// Ids the server had already seen, and the ids of jobs holding a unique job's key (that
    /// job's id is then in `ids` at the unique job's position).
    std::vector<std::string> duplicates;
    std::vector<Failure> failures;
    std::string batch_id;  ///< with BatchOptions::on_complete: the batch (naq batch ID)
    bool ok() const { return failures.empty(); }
};

/// How enqueue_many() publishes, and what runs when every job of it is final.
struct BatchOptions {
    std::size_t window = 4096;  ///< at most this many publishes unacknowledged at once
    /// Runs once when every job of the batch has reached a final state (succeeded, dead,
    /// cancelled, dependency_failed), with the counts (docs/queue-control.md#batches). At most
    /// kMaxBatchJobs jobs.
    std::optional<BatchCallback> on_complete;
};

/// Live counts of a queue.
struct QueueCounts {
    std::string queue;
    uint64_t pending = 0;   ///< stored, not yet delivered to a worker
    int64_t in_flight = 0;  ///< delivered, not yet acknowledged
    int64_t redelivered = 0;
    uint64_t stored = 0;        ///< messages in the stream for this queue (pending + in flight + waiting retry)
    bool has_consumer = false;  ///< a worker has ever attached
    uint64_t pending_high = 0;  ///< of `pending`, jobs of priority high (Priority::high)
    uint64_t pending_low = 0;   ///< of `pending`, jobs of priority low
};

/// A producer's handle on one queue. Cheap to keep: it holds a copy of the Config and uses the
/// process's pooled connection; one Queue may be used from several threads.
class Queue {
public:
    /// `name`: 1-64 of [A-Za-z0-9_-]. Creates the jobs and dead-letter streams on first use.
    explicit Queue(std::string name, const Config& config = default_config());

    /// Enqueues one job; returns once the server has stored it (publish ack). A unique job
    /// (options.unique_for) whose key another job holds is not enqueued: that job's id is returned.
    /// Throws ApiError when the stream refuses it (e.g. full), ConnectionError, Timeout.
    std::string enqueue(const std::string& task, const Json& args = Json::object(), const EnqueueOptions& options = {});

    /// Enqueues a fully built job (see make_job); reports duplicates, and unique jobs whose key
    /// another job holds (EnqueueResult::unique).
    EnqueueResult submit(const Job& job);

    /// Builds the envelope enqueue() would send, with the Config's defaults filled in.
    Job make_job(const std::string& task, const Json& args, const EnqueueOptions& options) const;

    /// Publishes every job without waiting for each ack (at most `window` unacked at once),
    /// then waits for all acks. Per-job failures are reported, never thrown.
    BatchResult enqueue_many(const std::vector<JobSpec>& jobs, std::size_t window = 4096);
    /// As above; with options.on_complete the jobs form a batch whose callback job runs once when
    /// every one of them is final. Throws InvalidArgument for a bad callback or too many jobs.
    BatchResult enqueue_many(const std::vector<JobSpec>& jobs, const BatchOptions& options);

    // ---- delayed and recurring jobs (fired by `naq scheduler`; src/queue/queue_schedule.cpp)

    /// Runs the job at `when` (a one-shot schedule). Returns the job id, which is also the
    /// schedule id (options.job_id when given: a repeat with the same id is a no-op).
    /// Throws InvalidArgument when `when` is in the past.
    std::string enqueue_at(std::chrono::system_clock::time_point when, const std::string& task,
                           const Json& args = Json::object(), const EnqueueOptions& options = {});
    /// Runs the job `delay` from now (see enqueue_at). Throws InvalidArgument for a negative delay.
    std::string enqueue_in(Millis delay, const std::string& task, const Json& args = Json::object(),
                           const EnqueueOptions& options = {});
    /// Runs the job on a cron schedule in its time zone; returns the schedule id. Each run's job
    /// id is "<schedule id>_<due Unix ms>". With schedule.id given and already stored, the
    /// stored schedule is kept as it is (use ScheduleStore::modify to change it).
    /// Throws InvalidArgument for a bad expression or an unknown time zone.
    std::string schedule(const Cron& cron, const std::string& task, const Json& args = Json::object(),
                         const EnqueueOptions& options = {}, const ScheduleOptions& schedule = {});
    /// Runs the job every `every.interval` (at least 100 ms); see the cron overload.
    std::string schedule(const Every& every, const std::string& task, const Json& args = Json::object(),
                         const EnqueueOptions& options = {}, const ScheduleOptions& schedule = {});

    /// Removes every waiting job of this queue; returns how many.
    uint64_t purge();

    // ---- queue control (src/queue/queue_control.cpp; docs/queue-control.md)

    /// Stops every worker of this queue from fetching it, within a second and across restarts;
    /// jobs already running finish, enqueueing still works. Publishes queue_paused. False when
    /// the queue was already paused (nothing changed).
    bool pause(const std::string& reason = "");
    /// Lets the workers fetch the queue again; publishes queue_resumed. False when not paused.
    bool resume();
    /// Sets the queue's limits across all of its workers: at most `rate_max` jobs start per
    /// `rate_period`, at most `concurrency` run at once (0 = none). Workers apply it within a
    /// second; jobs already fetched are not held back. Publishes queue_limits_changed. False when
    /// the limits already were these. Throws InvalidArgument for limits out of range.
    bool set_limits(const QueueLimits& limits);
    /// The queue's control record (not paused when it has none).
    QueueControl control() const;

    /// Pending / in-flight counts of this queue (two JetStream API requests).
    QueueCounts counts() const;

    /// The queue name given to the constructor.
    const std::string& name() const { return name_; }
    /// The Config this queue was built with (its defaults fill unset EnqueueOptions).
    const Config& config() const { return config_; }

private:
    /// make_job() with `generated_id` as the id when the options name none (enqueue_many's
    /// batch ids); with an empty `generated_id` a fresh UUIDv7.
    Job make_job(const std::string& task, const Json& args, const EnqueueOptions& options,
                 std::string generated_id) const;
    /// Checks a batch's callback and stores its record; returns the batch id.
    std::string start_batch(const detail::Batches& batches, std::size_t jobs, const BatchCallback& callback) const;
    /// Counts the jobs not enqueued (failures, `skipped`) and seals the batch; a seal that fails
    /// is a failure of the whole batch (index = jobs).
    void seal_batch(const detail::Batches& batches, BatchResult& result, std::vector<uint32_t> skipped) const;
    /// A unique job not enqueued because `holder` holds its key: logs, publishes `deduplicated`.
    EnqueueResult turned_away(const Job& job, const std::string& holder) const;

    /// The subject of the queue's jobs of `priority`.
    const std::string& subject(Priority priority) const { return subjects_[static_cast<std::size_t>(priority)]; }

    std::string name_;
    Config config_;
    std::array<std::string, 3> subjects_;  // by Priority
};

/// What cancel_job() found and did.
struct CancelResult {
    JobState state_before = JobState::queued;
    bool requested = false;  ///< false when the job had already finished
};

/// Cancels a job by id. A job that has not started never runs (state `cancelled`); a running
/// job's worker is told at once through a KV watch: its handler sees ctx.cancelled() and exec
/// tasks are killed (SIGTERM, then SIGKILL). Finished jobs are left alone.
/// Throws NotFound when no status record exists for the id.
CancelResult cancel_job(const std::string& job_id, const Config& config = default_config());

/// The control record of every queue that has one (paused or not), by queue name: one KV
/// watch of the queues bucket. A record that cannot be read is logged and skipped.
std::map<std::string, QueueControl> queue_controls(const Config& config = default_config());

/// The record of a batch with a completion callback (enqueue_many with BatchOptions::on_complete).
/// Throws NotFound when there is none (unknown, or older than results.ttl).
BatchState batch_state(const std::string& batch_id, const Config& config = default_config());

/// Counts for every queue that has jobs or a worker consumer, sorted by name.
std::vector<QueueCounts> list_queues(const Config& config = default_config());

/// Creates (or checks) the jobs and dead-letter streams for `config`. Idempotent and cached.
void ensure_job_streams(const Config& config);

}  // namespace naq
