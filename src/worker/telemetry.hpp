// Worker observability in one place: events, metrics and the status heartbeat, behind small
// calls the worker's parts make at their transition points. It reads the worker only through
// WorkerTelemetrySources. Nothing here throws into the job path or waits on the server.
// Private to src/worker.
#pragma once

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "naq/config.hpp"
#include "naq/events.hpp"
#include "naq/job.hpp"
#include "naq/metrics.hpp"
#include "naq/worker_status.hpp"
#include "worker/status/heartbeat.hpp"

namespace naq {

class WorkerTelemetry;
struct JobMetrics;

/// Counters since start: Worker::stats(), the worker_stopped event and the status heartbeat.
struct WorkerCounters {
    std::atomic<uint64_t> succeeded{0};
    std::atomic<uint64_t> failed{0};  ///< attempts that failed (retried or not)
    std::atomic<uint64_t> retried{0};
    std::atomic<uint64_t> dead{0};  ///< jobs dead-lettered
};

/// All the telemetry reads of its worker (the status record and the worker events).
struct WorkerTelemetrySources {
    std::string worker_id;
    std::vector<std::string> queues;
    int concurrency = 0;
    const WorkerCounters& counters;
    const std::atomic<bool>& stopping;
    std::function<std::vector<std::string>()> running_job_ids;  ///< jobs in flight, not handed back
    std::function<std::vector<std::string>()> paused_queues;    ///< of `queues`, the paused ones
};

/// One attempt of one job, from handler start to its outcome. The job counts as in flight while
/// this object lives, so every path out of the runner (including a hand-back at shutdown) ends it.
class JobObservation {
public:
    JobObservation() = default;  ///< observes nothing
    JobObservation(WorkerTelemetry* telemetry, const Job& job, int attempt);
    ~JobObservation();
    JobObservation(const JobObservation&) = delete;
    JobObservation& operator=(const JobObservation&) = delete;

    void succeeded();
    /// The attempt failed; retry_scheduled() or dead_lettered() follows.
    void failed(const std::string& error);
    /// Call before the nak: it sends the job's events so they precede the next attempt's.
    void retry_scheduled(Millis delay);
    void dead_lettered(const std::string& error);
    void cancelled(const std::string& reason);

private:
    int64_t elapsed_ms();

    WorkerTelemetry* t_ = nullptr;
    const Job* job_ = nullptr;
    int attempt_ = 0;
    JobMetrics* m_ = nullptr;
    std::chrono::steady_clock::time_point start_{};
    bool timed_ = false;
};

class WorkerTelemetry {
public:
    /// Starts the status heartbeat (state "starting"). Throws when NATS is unreachable.
    WorkerTelemetry(const Config& config, WorkerTelemetrySources sources);
    ~WorkerTelemetry();
    WorkerTelemetry(const WorkerTelemetry&) = delete;
    WorkerTelemetry& operator=(const WorkerTelemetry&) = delete;

    /// The worker is fetching: worker_started event, status record refreshed.
    void started();
    /// The worker has finished: worker_stopped event; when `online` (connected to the server),
    /// its status record removed and events flushed — without a server those can only time out.
    void stopped(bool online);

    /// A job's handler is about to run: started event, in-flight gauge.
    JobObservation observe(const Job& job, int attempt) { return JobObservation(this, job, attempt); }
    /// A job that ends without running: cancelled before it started (cancelled event) or a
    /// failed dependency (dead_lettered event).
    void job_unrun(const Job& job, int attempt, JobState state, const std::string& error);
    /// A message over its delivery limit was terminated without a dead letter.
    void terminated(const std::string& queue);
    /// A fetch that returned `count` jobs took `took`.
    void fetched(const std::string& queue, std::size_t count, std::chrono::steady_clock::duration took);
    /// Publishes `event` with this worker's id (never throws). Events are batched.
    void publish(Event event);
    /// Sends the buffered events now: before a job is handed to another worker.
    void send_now();

    JobMetrics& job_metrics(const std::string& queue, const std::string& task);
    /// Something the status record shows changed (a queue paused): rewrite it now.
    void status_changed();
    /// A job starts (+1) or ends (-1); refreshes the status record when idle / busy flips.
    void job_count(int delta);

private:
    WorkerStatus snapshot();

    WorkerTelemetrySources sources_;
    EventPublisher events_;
    std::string host_;
    int64_t started_at_ms_ = 0;
    std::atomic<bool> running_{false};
    std::atomic<int> running_jobs_{0};  // 0 <-> 1 flips idle / busy: the heartbeat is poked
    std::shared_mutex metrics_mutex_;
    std::unordered_map<std::string, std::unique_ptr<JobMetrics>> metrics_;
    std::unordered_map<std::string, std::unique_ptr<std::atomic<uint64_t>>> finished_;  // per queue
    struct Sample {
        int64_t at_ms;
        std::map<std::string, uint64_t> finished;
    };
    std::mutex history_mutex_;
    std::deque<Sample> history_;  // heartbeat samples of finished_ over the last minute
    uint64_t hook_ = 0;
    std::unique_ptr<WorkerHeartbeat> heartbeat_;  // last: its thread reads the members above
};

}  // namespace naq
