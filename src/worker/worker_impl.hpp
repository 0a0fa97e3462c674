// Worker internals shared by worker.cpp (fetching, leases, shutdown) and job_runner.cpp
// (running one job and recording its outcome). Private to src/worker.
#pragma once

#include <spdlog/spdlog.h>

#include <asio/thread_pool.hpp>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>
#include <string>

#include "naq/connection.hpp"
#include "naq/job.hpp"
#include "naq/worker.hpp"
#include "telemetry.hpp"

namespace naq {

/// A job being run: the message whose lease we extend and the job's cancellation.
struct InFlight {
    Message* msg = nullptr;
    std::shared_ptr<CancelState> cancel;
    std::string job_id;
    bool handed_back = false;  // shutdown nak'ed it: the handler's outcome must not ack
    // The "running" status, written by the lease loop only once the job has run for
    // kRunningStatusDelay (nullptr: nothing to write, or written already).
    const JobStatus* running_status = nullptr;
    std::chrono::steady_clock::time_point started{};
};

/// A job that finishes sooner than this gets no "running" status write, only its final one.
inline constexpr Millis kRunningStatusDelay{50};

/// A job waiting for its dependencies: it holds no handler slot; its lease is kept alive and a
/// subscription on each unfinished dependency's status key wakes it.
struct Parked {
    std::string queue;
    Message msg;
    Job job;
    std::vector<Subscription> watches;
    bool checking = false;  // a recheck is running (guarded by parked_mutex)
    bool dirty = false;     // a dependency changed during that recheck: look again
};

enum class Dependencies { ready, pending, failed };

struct Worker::Impl {
    Impl(const Config& config, const TaskRegistry& tasks, WorkerOptions options);

    Config config;
    const TaskRegistry& tasks;
    WorkerOptions options;
    std::string id;  // "<host>-<pid>-<6 hex>": host and pid in every log line

    std::atomic<bool> stopping{false};

    // Handler slots: a fetch asks for at most as many messages as there are free slots.
    std::mutex slot_mutex;
    std::condition_variable slot_cv;
    int free_slots = 0;
    // Prefetched jobs waiting for a handler, and the pool tasks free to run them (worker.cpp).
    struct Prefetched {
        const std::string* queue;  // an element of options.queues
        Message msg;
    };
    std::deque<Prefetched> ready;
    // Pull subscriptions outlive their fetch loops: jobs still running at shutdown are acked or
    // handed back (nak) through them, and cnats reads the subscription when it does so.
    std::mutex subs_mutex;
    std::vector<PullSubscription> retired_subs;
    int idle_runners = 0;
    int fetching = 0;                          // asked for by fetches under way
    // Moving average of handler time, which sets the prefetch depth. It starts high (no
    // prefetching) and falls as short jobs are seen, within ~100 jobs.
    std::atomic<int64_t> recent_job_us{10'000'000};

    std::mutex lease_mutex;
    std::condition_variable lease_cv;
    bool leases_done = false;

    std::mutex inflight_mutex;
    std::map<uint64_t, InFlight> inflight;
    uint64_t next_token = 0;

    std::mutex parked_mutex;
    std::map<uint64_t, std::unique_ptr<Parked>> parked;

    // Cancel requests, fed by a watch on the cancellations bucket.
    std::mutex cancel_mutex;
    std::set<std::string> cancel_requests;
    std::optional<KvWatcher> cancel_watcher;
    std::thread cancel_thread;

    std::unique_ptr<asio::thread_pool> pool;
    std::optional<JetStream> js;
    std::optional<KvStore> status_kv;
    std::optional<KvStore> results_kv;

    std::atomic<uint64_t> succeeded{0}, failed{0}, retried{0}, dead{0};

    mutable std::mutex started_mutex;
    mutable std::condition_variable started_cv;
    bool started = false;
    std::exception_ptr start_error;

    // Last member: destroyed first, so its heartbeat thread never outlives what it reads.
    std::unique_ptr<WorkerTelemetry> telemetry;  // events, metrics, status heartbeat (telemetry.cpp)

    void run();
    void fetch_loop(const std::string& queue);
    void lease_loop();
    void hand_back_inflight();
    void write_running_statuses();  ///< for jobs running longer than kRunningStatusDelay
    // Prefetching (worker.cpp); the first three need slot_mutex held.
    int prefetch_depth() const;
    int fetch_room() const;
    int fetch_threshold() const;
    void run_ready();        ///< a pool task: runs ready jobs until none is left
    void hand_back_ready();  ///< naks the prefetched jobs that did not start

    // job_runner.cpp
    /// Runs one fetched job. `msg` is left empty when the job was parked (it took the message).
    void process(const std::string& queue, Message& msg);
    void run_job(Message& msg, const Job& job);
    void dead_letter_undecodable(const std::string& queue, Message& msg, const std::string& error);
    void dead_letter(Message& msg, const Job& job, const JobStatus& status, const std::string& reason);
    /// Records a job's final failed state: its status synchronously, its result in the background.
    void record_failure(const Job& job, const JobStatus& status);
    /// Ends a job that will not run (cancelled, dependency failed): status, result, ack.
    void finish_unrun(Message& msg, const Job& job, JobState state, const std::string& error);

    // cancellations.cpp
    void start_cancel_watch();
    void stop_cancel_watch();
    bool cancel_requested(const std::string& job_id);

    // dependencies.cpp
    Dependencies check_dependencies(const Job& job, std::vector<std::string>& pending, std::string& failure);
    void park(const std::string& queue, Message msg, Job job, const std::vector<std::string>& pending);
    void recheck_parked(uint64_t token);
    void hand_back_parked();

    template <class... Args>
    void log(spdlog::level::level_enum level, spdlog::format_string_t<Args...> fmt, Args&&... args) {
        spdlog::log(level, "[worker {}] {}", id, fmt::format(fmt, std::forward<Args>(args)...));
    }
};

}  // namespace naq
