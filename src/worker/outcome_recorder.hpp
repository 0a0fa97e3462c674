// Recording an outcome: the one place where a decided outcome (outcome.hpp) becomes a dead
// letter, status and result records, and the message's ack or nak — in that order, so a job
// leaves its queue only once what it ended with is written. Private to src/worker.
#pragma once

#include <string>

#include "naq/config.hpp"
#include "naq/connection.hpp"
#include "naq/job.hpp"
#include "outcome.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

class OutcomeRecorder {
public:
    /// `status_kv` and `results_kv` are null when the worker stores no results.
    OutcomeRecorder(const Config& config, const WorkerLog& log, JetStream& js, KvStore* status_kv,
                    KvStore* results_kv, WorkerCounters& counters, WorkerTelemetry& telemetry)
        : config_(config), log_(log), js_(js), status_kv_(status_kv), results_kv_(results_kv),
          counters_(counters), telemetry_(telemetry) {}

    /// Carries out `decision` for `job`: dead letter, status and result records, then ack or
    /// nak. `status` is the attempt's record so far (id, attempt, started_at, ...); `result` is
    /// the handler's on success; `observed` is the attempt's telemetry, null when the job did
    /// not run. Never throws: what cannot be recorded is left unacked and comes back after the
    /// ack wait.
    void record(Message& msg, const Job& job, JobStatus& status, const OutcomeDecision& decision, Json result,
                JobObservation* observed);
    /// Dead-letters a message that is not a job, then acks it; naks it when it cannot.
    void record_undecodable(const std::string& queue, Message& msg, const OutcomeDecision& decision);

private:
    void write_success(const Job& job, JobStatus& status, Json result);
    /// The errors of earlier attempts, from the stored status record.
    std::vector<AttemptError> earlier_errors(const std::string& job_id);
    void retry(Message& msg, const Job& job, const JobStatus& status, const OutcomeDecision& decision,
               JobObservation* observed);
    void dead_letter(Message& msg, const Job& job, const JobStatus& status, const std::string& reason);
    /// A final failed state: its status synchronously, its result in the background.
    void write_final_failure(const Job& job, const JobStatus& status);
    void announce_final(const Job& job, const JobStatus& status, JobObservation* observed);

    const Config& config_;
    const WorkerLog& log_;
    JetStream& js_;
    KvStore* status_kv_;
    KvStore* results_kv_;
    WorkerCounters& counters_;
    WorkerTelemetry& telemetry_;
};

}  // namespace naq
