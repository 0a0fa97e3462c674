// The worker's composition root: it owns the parts, wires them together and runs the start-up
// and shutdown sequence. Private to src/worker.
//
//   RecordBreaker      whether the server stores job records (fetching stops while it does not)
//   Fetcher            handler slots, prefetched jobs, fetch loops, pull subscriptions
//   LeaseKeeper        running jobs: in-progress acks, "running" statuses, hand-back at shutdown
//   DependencyParking  jobs waiting for their dependencies
//   TaskGates          jobs waiting for room under their task's concurrency limit
//   CancelWatch        cancel requests
//   ControlWatch       paused queues and their limits (Queue::pause / resume / set_limits)
//   QueueLimiters      rate and concurrency limits shared with the queues' other workers
//   JobRunner          one job: handler, outcome decision (outcome.hpp)
//   OutcomeRecorder    dead letters, status and result records, ack / nak
//   WorkerTelemetry    events, metrics, status heartbeat
#pragma once

#include <asio/thread_pool.hpp>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "cancel_watch.hpp"
#include "control_watch.hpp"
#include "dependency_parking.hpp"
#include "fetcher.hpp"
#include "job_runner.hpp"
#include "lease_keeper.hpp"
#include "naq/jetstream.hpp"
#include "naq/worker.hpp"
#include "outcome_recorder.hpp"
#include "queue_limiter.hpp"
#include "record_breaker.hpp"
#include "results/job_records.hpp"
#include "task_gates.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

struct Worker::Impl {
    Impl(const Config& config, const TaskRegistry& tasks, WorkerOptions options);

    void run();
    /// A fetch loop bound its consumer (null) or failed to: wait_started() returns.
    void on_bound(std::exception_ptr error);
    /// One of the queues' control records changed (the ControlWatch saw it).
    void on_control(const QueueControl& control);
    /// A parked job's dependencies are settled: run it in a handler slot, or fail it.
    void resume_parked(Message& msg, const Job& job, Dependencies state, const std::string& failure);
    /// A job that waited for its task's room has it: run it in a handler slot.
    void resume_waiting(Message msg, Job job);

    Config config;
    const TaskRegistry& tasks;
    WorkerOptions options;
    WorkerLog log;  // its id: "<host>-<pid>-<6 hex>"
    std::atomic<bool> stopping{false};
    WorkerCounters counters;

    mutable std::mutex started_mutex;
    mutable std::condition_variable started_cv;
    bool started = false;
    std::exception_ptr start_error;

    // Parts that exist before run(): stop(), stats() and the heartbeat may reach them any time.
    RecordBreaker breaker;  // whether records are stored: the recorder tells, the fetcher reads
    Fetcher fetcher;
    LeaseKeeper leases;
    CancelWatch cancels;
    QueueLimiters limiters;
    TaskGates gates;
    ControlWatch controls;

    // Set up by run(), in this order.
    std::optional<JetStream> js;
    std::optional<detail::JobRecords> records;  // none with worker.store_results off
    std::unique_ptr<asio::thread_pool> pool;
    std::optional<DependencyParking> parking;
    std::optional<OutcomeRecorder> recorder;
    std::optional<JobRunner> runner;
    // Last member: destroyed first, so its heartbeat thread never outlives what it reads.
    std::unique_ptr<WorkerTelemetry> telemetry;

private:
    void set_up();
    void shut_down();
    detail::JobRecords* job_records() { return records ? &*records : nullptr; }
};

}  // namespace naq
