// Concurrency limits per task (QueueLimits::tasks): before a job of a limited task runs, its
// worker takes room in the task's claims record (limits bucket, "<queue>.<SHA-256 of task>.running",
// by compare-and-set, as QueueLimiter does for a whole queue). A job that gets none waits here:
// it holds no handler slot, its lease is kept alive, and it runs as soon as a claim frees — one
// of this worker's jobs of the task finishing, or a change of the record (a KV watch, not
// polling). Private to src/worker.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "naq/config.hpp"
#include "naq/jetstream.hpp"
#include "naq/job.hpp"
#include "naq/kv_store.hpp"
#include "queue_limiter.hpp"
#include "worker_log.hpp"

namespace naq {

class TaskGates {
public:
    /// Runs a job that waited once it has room (on a thread of the gates; post it to the pool).
    /// The job's `queue` is the queue it was fetched from; call leave() when it is done.
    using Resume = std::function<void(Message msg, Job job)>;

    TaskGates(const Config& config, const WorkerLog& log, std::vector<std::string> queues, Resume resume);
    ~TaskGates() { stop(); }
    TaskGates(const TaskGates&) = delete;
    TaskGates& operator=(const TaskGates&) = delete;

    /// The task limits of `queue` (from its control record).
    void set(const std::string& queue, const std::map<std::string, int>& limits);
    /// True when jobs of `task` in `queue` have a limit (cheap when no queue has any).
    bool limited(const std::string& queue, const std::string& task) const;
    /// Takes room for one job of the task; false when there is none now (or it cannot be read).
    bool enter(const std::string& queue, const std::string& task);
    /// A job that entered has finished: its room goes back.
    void leave(const std::string& queue, const std::string& task);
    /// Keeps a job that could not enter until it can; then hands it to `resume` (entered).
    void wait(const std::string& queue, Message msg, Job job);

    /// Starts the watch of the task claim records and the thread that lets waiting jobs in.
    void start();
    /// Extends the leases of waiting jobs (called by the lease thread).
    void extend_leases();
    /// Shutdown: naks every waiting job.
    void hand_back_all();
    /// Stops the thread and the watch, removes this worker's claims (after the handlers ended).
    void stop();

private:
    struct Gate {
        std::unique_ptr<QueueLimiter> limiter;
        std::mutex op;                                // one enter or leave at a time: the claim always counts `running`
        int running = 0;                              // this worker's jobs of the task that entered (guarded by op)
        std::deque<std::pair<Message, Job>> waiting;  // guarded by mutex_; first come, first in
    };

    /// The gate of (queue, task), created when missing (mutex_ held). Gates are never removed.
    Gate& gate(const std::string& queue, const std::string& task);
    bool try_enter(Gate& gate);
    void loop();

    const Config& config_;
    const WorkerLog& log_;
    std::vector<std::string> queues_;
    Resume resume_;

    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::string, std::map<std::string, int>> limits_;   // queue → task → K
    std::map<std::pair<std::string, std::string>, Gate> gates_;  // (queue, task)
    std::atomic<bool> any_{false};
    bool changed_ = false;  // a claim record changed or a job left: look at the waiting jobs
    bool stopping_ = false;

    std::optional<KvWatcher> watcher_;
    std::thread watch_thread_;
    std::thread thread_;
};

}  // namespace naq
