// Running one job: decode, honour cancel requests and dependencies, run the handler, decide
// the outcome (outcome.hpp) and have it recorded (outcome_recorder.hpp). Private to src/worker.
#pragma once

#include <memory>
#include <string>

#include "cancel_watch.hpp"
#include "dependency_parking.hpp"
#include "lease_keeper.hpp"
#include "naq/jetstream.hpp"
#include "naq/task_registry.hpp"
#include "outcome_recorder.hpp"
#include "task_gates.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

struct JobRunnerSettings {
    bool stores_records = true;  ///< false with worker.store_results off
    int max_deliveries = 100;    ///< worker.max_deliveries
};

class JobRunner {
public:
    JobRunner(const TaskRegistry& tasks, const WorkerLog& log, JobRunnerSettings settings, LeaseKeeper& leases,
              const CancelWatch& cancels, DependencyParking& parking, TaskGates& gates, OutcomeRecorder& recorder,
              WorkerTelemetry& telemetry)
        : tasks_(tasks),
          log_(log),
          settings_(settings),
          leases_(leases),
          cancels_(cancels),
          parking_(parking),
          gates_(gates),
          recorder_(recorder),
          telemetry_(telemetry) {}

    /// Runs one fetched job. `msg` is left empty when the job was parked (it took the message).
    void process(const std::string& queue, Message& msg);
    /// Runs a job whose dependencies (if any) succeeded, once its task has room (a job over its
    /// task's limit waits in the TaskGates, which took the message).
    void run_gated(const std::string& queue, Message& msg, const Job& job);
    /// Runs a job (its task's room, if limited, taken).
    void run(Message& msg, const Job& job);
    /// Ends a job that will not run (cancelled before it started, dependency failed).
    void finish_unrun(Message& msg, const Job& job, const WhatHappened& what);

private:
    /// A message delivered more than worker.max_deliveries times: dead-lettered without running,
    /// or terminated when even that fails.
    void give_up(const std::string& queue, Message& msg, uint64_t delivered);
    /// Runs the handler; `result` gets its return value.
    WhatHappened run_handler(const Job& job, int attempt, const std::shared_ptr<CancelState>& cancel,
                             ProgressBox& progress, Json& result);

    const TaskRegistry& tasks_;
    const WorkerLog& log_;
    JobRunnerSettings settings_;
    LeaseKeeper& leases_;
    const CancelWatch& cancels_;
    DependencyParking& parking_;
    TaskGates& gates_;
    OutcomeRecorder& recorder_;
    WorkerTelemetry& telemetry_;
};

}  // namespace naq
