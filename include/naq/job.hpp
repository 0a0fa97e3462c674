// Jobs: what a producer enqueues and a worker runs, and the records that describe them.
// docs/wire-format.md is the normative description of the JSON forms.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/job_args.hpp"
#include "naq/json.hpp"

namespace naq {

/// Wire format version written into every envelope and record ("v": 1).
inline constexpr int kWireVersion = 1;

/// Delay before retry attempt n+1 after attempt n failed.
struct Backoff {
    BackoffKind kind = BackoffKind::exponential;
    Millis base{1000};    ///< fixed: every delay; linear: base * n; exponential: base * 2^(n-1)
    Millis max{300'000};  ///< cap on any delay
    bool jitter = true;   ///< spread delays uniformly over [delay/2, delay]

    /// The delay after failed attempt `attempt` (1-based). `unit_random` in [0,1) drives jitter.
    Millis delay_after(int attempt, double unit_random) const;
};

/// A job's priority within its queue (docs/queue-control.md#priorities): a worker starts the
/// queue's high jobs before its normal ones, and those before its low ones. Each level is a
/// subject of its own ("<prefix>.queue.<queue>", ".high", ".low") with its own consumer.
enum class Priority { high, normal, low };
inline constexpr Priority kPriorities[] = {Priority::high, Priority::normal, Priority::low};

/// How long a unique job keeps other jobs with its key out (EnqueueOptions::unique_for).
enum class UniqueUntil {
    finished,  ///< while it is queued, waiting, running or retrying, and at most unique_for
    expiry,    ///< for the whole unique_for, also after it has finished
};

/// A unique job's claim on its key (docs/queue-control.md#unique-jobs): the key's record in the
/// unique bucket names this job until `until_ms`, or until the job is final (UniqueUntil::finished).
struct UniqueClaim {
    std::string key;       ///< "<queue>.<64 hex digits>": the KV key, a SHA-256 of the unique key
    int64_t until_ms = 0;  ///< Unix ms when the claim lapses whatever the job's state
    UniqueUntil until = UniqueUntil::finished;
};

/// A job's place in a batch with a completion callback (Queue::enqueue_many with
/// BatchOptions::on_complete; docs/queue-control.md#batches).
struct BatchMember {
    std::string id;      ///< the batch (its record's key in the batches bucket)
    uint32_t index = 0;  ///< the job's position in the batch
};

/// Per-job options; unset fields take the Config's queue defaults.
struct EnqueueOptions {
    std::string job_id;               ///< empty = generated; set it to make enqueue idempotent
    std::optional<int> max_attempts;  ///< 1 = no retry
    std::optional<Backoff> backoff;
    std::optional<Millis> timeout;        ///< 0 = none
    std::optional<Millis> result_ttl;     ///< informational; the bucket TTL applies
    std::vector<std::string> depends_on;  ///< job ids that must succeed first
    /// Unique job: while another job of this queue with the same unique key holds its claim,
    /// enqueueing returns that job's id instead (docs/queue-control.md#unique-jobs).
    std::optional<Millis> unique_for;
    std::string unique_key;  ///< empty = the task and its args; any text up to 1,024 bytes
    UniqueUntil unique_until = UniqueUntil::finished;
    Priority priority = Priority::normal;
};

/// A job envelope as it travels on the wire. Producers normally let Queue::make_job() build it.
struct Job {
    std::string id;
    std::string queue;
    std::string task;
    JobArgs args;                ///< as sent; parsed when first read (naq/job_args.hpp)
    int64_t enqueued_at_ms = 0;  ///< Unix milliseconds
    int max_attempts = 1;
    Backoff backoff;
    Millis timeout{0};
    std::optional<Millis> result_ttl;
    std::vector<std::string> depends_on;
    std::optional<UniqueClaim> unique;  ///< set by enqueue for a unique job
    std::optional<BatchMember> batch;   ///< set by enqueue_many for a batch with a callback
    Priority priority = Priority::normal;
    /// Errors of earlier lives of this job (kept when a dead job is requeued).
    Json history = Json::array();
};

/// Where a job is in its life.
enum class JobState { queued, waiting, running, retrying, succeeded, failed, dead, cancelled, dependency_failed };

/// One failed attempt.
struct AttemptError {
    int attempt = 0;
    std::string error;
    int64_t at_ms = 0;
    std::string worker;
};

/// How far a running job has got, as its handler last reported it (JobContext::progress).
struct JobProgress {
    double fraction = 0;  ///< 0 to 1
    std::string message;  ///< what it is doing ("rendered 4/10 pages"), at most 1,024 bytes
    int64_t at_ms = 0;    ///< Unix ms of the report
};

/// The job's record in the job_status bucket, key = job id: one per job, moving through its
/// states; once the job succeeded it carries the handler's result too, and it keeps every
/// attempt's error whatever the outcome (docs/wire-format.md).
struct JobStatus {
    std::string id;
    std::string queue;
    std::string task;
    JobState state = JobState::queued;
    int attempt = 0;
    int max_attempts = 1;
    std::string worker;
    std::string error;
    int64_t enqueued_at_ms = 0;
    int64_t started_at_ms = 0;
    int64_t finished_at_ms = 0;
    int64_t updated_at_ms = 0;
    int64_t next_attempt_at_ms = 0;
    std::vector<AttemptError> errors;
    Json result;                           ///< state succeeded: the handler's return value (null otherwise)
    std::vector<std::string> depends_on;   ///< the jobs that must succeed first (the job's option)
    std::optional<JobProgress> progress;   ///< the handler's last progress report, if it made one
    std::optional<UniqueClaim> unique;     ///< a unique job's claim (the job's option)
    std::optional<BatchMember> batch;      ///< the batch it belongs to (the job's option)
    Priority priority = Priority::normal;  ///< the job's option
};

/// What a finished job ended with: a view of its record (result_of), as ResultStore returns it.
struct JobResult {
    std::string id;
    bool ok = false;    ///< "status": "succeeded" | "failed"
    Json result;        ///< the handler's return value when ok
    std::string error;  ///< the last error when !ok
    int attempt = 0;
    std::string worker;
    int64_t started_at_ms = 0;
    int64_t finished_at_ms = 0;
};

/// "queued", "running", ... as in the status record.
const char* to_string(JobState state);
/// Throws SerializationError for an unknown name.
JobState job_state_from_string(const std::string& name);
/// True for states a job never leaves (succeeded, dead, cancelled, dependency_failed).
bool is_final(JobState state);

/// The result view of a finished job's record: ok when it succeeded, else its last error.
/// nullopt while the job is not final.
std::optional<JobResult> result_of(const JobStatus& status);

/// One record of the dead-letter stream, decoded.
struct DeadLetter {
    uint64_t sequence = 0;  ///< position in the dead-letter stream
    std::string id;         ///< job id (empty for undecodable messages)
    std::string queue;
    std::string task;
    std::string reason;  ///< failed | unknown_task | undecodable | dependency_failed | max_deliveries
    std::string error;   ///< the last error
    int64_t failed_at_ms = 0;
    Json record;  ///< the whole record (docs/wire-format.md)
};

/// "high" | "normal" | "low"; priority_from_string throws SerializationError for any other name.
const char* to_string(Priority priority);
Priority priority_from_string(std::string_view name);

/// "finished" | "expiry"; unique_until_from_string throws SerializationError for any other name.
const char* to_string(UniqueUntil until);
UniqueUntil unique_until_from_string(const std::string& name);

/// "fixed" | "linear" | "exponential"; backoff_kind_from_string throws SerializationError
/// for any other name.
BackoffKind backoff_kind_from_string(const std::string& name);

/// A new time-sortable job id (UUIDv7, 36 characters).
std::string new_job_id();

/// Unix milliseconds now.
int64_t now_ms();

}  // namespace naq
