// naq::Worker — pulls jobs from one or more queues and runs their tasks.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/task_registry.hpp"

namespace naq {

/// What a Worker serves; the rest of its behaviour comes from the Config's worker section.
///
/// Several queues share the handlers by weight: with weights 6, 3 and 1 and every queue
/// holding jobs, 60 %, 30 % and 10 % of the jobs started come from each (no queue starves).
/// `strict` instead starts a queue's jobs only when every queue before it has none waiting.
/// Within each queue, high-priority jobs start before normal ones, and those before low ones
/// (EnqueueOptions::priority). docs/queue-control.md#priorities.
struct WorkerOptions {
    std::vector<std::string> queues;  ///< empty = the config's default queue
    int concurrency = 0;              ///< handlers at once; 0 = worker.concurrency from the config
    std::string name;                 ///< id prefix; empty = host name
    std::vector<int> weights;         ///< per queue, 1 to 1,000; empty = 1 each
    bool strict = false;              ///< queues in the order given, not by weight
};

/// The largest weight WorkerOptions::weights takes.
inline constexpr int kMaxQueueWeight = 1000;

/// Counters since start.
struct WorkerStats {
    uint64_t succeeded = 0;
    uint64_t failed = 0;  ///< attempts that failed (retried or not)
    uint64_t retried = 0;
    uint64_t dead = 0;  ///< jobs dead-lettered
    int64_t in_flight = 0;
};

/// A worker process's engine: pulls jobs of its queues from their durable consumers, runs each
/// on a thread pool of `concurrency` handlers, records status and results, retries with backoff
/// or dead-letters, and stops gracefully. Several Workers (threads or processes) may serve one
/// queue: they share its consumer, and every job goes to one of them.
class Worker {
public:
    /// `tasks` must outlive the worker and not change while it runs.
    Worker(const Config& config, const TaskRegistry& tasks, WorkerOptions options = {});
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Runs until stop(): fetches, runs handlers, acks. Returns after the graceful shutdown.
    /// Throws ConnectionError etc. when it cannot set up its consumers, and ConnectionError
    /// (after the same graceful shutdown) when the connection closed for good — cnats gave up
    /// after nats.max_reconnect_attempts — so that `naq worker` exits 5 for its supervisor.
    void run();

    /// Asks run() to stop: no new fetches, in-flight jobs get worker.shutdown_grace to finish,
    /// the rest are handed back (nak) for immediate redelivery. Thread-safe; returns at once.
    void stop();

    /// Blocks until run() has set up its consumers and is fetching (or has failed).
    void wait_started() const;

    /// "<name or host>-<pid>-<6 hex>": the key of its heartbeat record and the `worker` of its results.
    const std::string& id() const;
    /// Counters since start; thread-safe.
    WorkerStats stats() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace naq
