// Every NATS name naq uses, derived from the config's prefix (default "naq"), so that two
// deployments can share one server. docs/wire-format.md lists them.
#pragma once

#include <string>
#include <string_view>

#include "naq/config.hpp"

namespace naq {
enum class Priority;  // naq/job.hpp
}  // namespace naq

namespace naq::names {

/// Stream of pending jobs (work-queue retention), subjects "<prefix>.queue.<queue>".
std::string jobs_stream(const Config& config);
std::string queue_subject(const Config& config, std::string_view queue);
/// The subject of `queue`'s jobs of `priority`: queue_subject() for normal, "<that>.high" / ".low".
std::string queue_subject(const Config& config, std::string_view queue, Priority priority);
/// The jobs stream's subjects of the high and low levels: "<prefix>.queue.*.*".
std::string all_queue_levels_subject(const Config& config);
/// "<prefix>.queue.*": every queue.
std::string all_queues_subject(const Config& config);
/// Durable pull consumer shared by every worker of `queue`: "<prefix>-worker-<queue>".
std::string worker_consumer(const Config& config, std::string_view queue);
/// The consumer of `queue`'s jobs of `priority`: worker_consumer() for normal, else
/// "<prefix>-high-<queue>" / "<prefix>-low-<queue>" (never a worker consumer's name).
std::string worker_consumer(const Config& config, std::string_view queue, Priority priority);

/// Dead letters: stream "<prefix>_failed_jobs", subjects "<prefix>.failed.<queue>".
std::string failed_stream(const Config& config);
std::string failed_subject(const Config& config, std::string_view queue);
std::string all_failed_subject(const Config& config);

/// Events: stream "<prefix>_events", subjects "<prefix>.events.<queue>.<type>.<job id>".
std::string events_stream(const Config& config);
std::string event_subject(const Config& config, std::string_view queue, std::string_view type, std::string_view id);
std::string all_events_subject(const Config& config);
/// Worker and scheduler events sit beside job events under reserved pseudo-queues:
/// "<prefix>.events._worker.<type>.<worker id>", "<prefix>.events._scheduler.<type>.<schedule id>".
inline constexpr std::string_view kWorkerEventsQueue = "_worker";
inline constexpr std::string_view kSchedulerEventsQueue = "_scheduler";
std::string worker_event_subject(const Config& config, std::string_view type, std::string_view worker_id);
std::string scheduler_event_subject(const Config& config, std::string_view type, std::string_view schedule_id);
/// A filter on the events stream; an empty part matches anything ("*").
std::string events_filter(const Config& config, std::string_view queue, std::string_view type, std::string_view id);
/// `text` made into one subject token (and KV key): characters outside [A-Za-z0-9_-] become '_'.
std::string to_token(std::string_view text);

/// The subject a KV put of `key` in `bucket` is published on: "$KV.<bucket>.<key>".
inline std::string kv_subject(std::string_view bucket, std::string_view key) {
    std::string s;
    s.reserve(5 + bucket.size() + key.size());
    s.append("$KV.").append(bucket).append(".").append(key);
    return s;
}

/// The workers bucket key of a worker id: to_token(id).
inline std::string worker_key(std::string_view worker_id) { return to_token(worker_id); }

/// Control messages to running workers (cancel a running job): "<prefix>.control.cancel".
std::string cancel_subject(const Config& config);

/// KV bucket names: "<prefix>_results", "<prefix>_job_status", "<prefix>_workers",
/// "<prefix>_scheduled_jobs", "<prefix>_scheduler_lock", "<prefix>_cancellations".
std::string results_bucket(const Config& config);
std::string job_status_bucket(const Config& config);
std::string workers_bucket(const Config& config);
std::string scheduled_jobs_bucket(const Config& config);
std::string scheduler_lock_bucket(const Config& config);
/// Cancel requests (key = job id), watched by every worker.
std::string cancellations_bucket(const Config& config);
/// Queue control records (key = queue name: pause / resume), watched by every worker:
/// "<prefix>_queues".
std::string queues_bucket(const Config& config);
/// Batches with a completion callback (key = batch id): "<prefix>_batches".
std::string batches_bucket(const Config& config);
/// Rate windows and running-job counts of limited queues (Queue::set_limits): "<prefix>_limits".
std::string limits_bucket(const Config& config);
/// The limits bucket's keys of `queue`: "<queue>.rate" and "<queue>.running".
std::string rate_window_key(std::string_view queue);
std::string running_jobs_key(std::string_view queue);
/// The limits bucket's key of `task`'s running jobs in `queue`: "<queue>.<SHA-256 of task>.running".
std::string task_running_key(std::string_view queue, std::string_view task);
/// Unique-job claims (key = unique_claim_key), read and written by producers, released by
/// workers: "<prefix>_unique".
std::string unique_bucket(const Config& config);
/// The unique bucket's key for `unique_key` in `queue`: "<queue>.<SHA-256 of unique_key, 64
/// lowercase hex digits>", so any text (wildcards, dots, spaces, any length) makes a safe key.
std::string unique_claim_key(std::string_view queue, std::string_view unique_key);
/// True when `key` has the form unique_claim_key() gives.
bool valid_unique_claim_key(std::string_view key);

/// True when `name` can be a queue or task name: 1-64 of [A-Za-z0-9_-].
bool valid_token(std::string_view name);
/// Throws InvalidArgument naming `what` when !valid_token(name).
void check_token(std::string_view name, std::string_view what);

/// The longest job id: it becomes a KV key, a subject token and a Nats-Msg-Id.
inline constexpr std::size_t kMaxJobIdLength = 128;
/// True when `id` can be a job id: 1-128 of [A-Za-z0-9_-] (never a wildcard, dot or space).
bool valid_job_id(std::string_view id);
/// Throws InvalidArgument when !valid_job_id(id); the message shows at most 64 characters of it.
void check_job_id(std::string_view id);

}  // namespace naq::names
