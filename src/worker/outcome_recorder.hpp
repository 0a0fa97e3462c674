// Recording an outcome: the one place where a decided outcome (outcome.hpp) becomes a dead
// letter, the job's record, and the message's ack or nak — in that order, so a job leaves its
// queue only once the server confirmed what it ended with. Private to src/worker.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "batch_counter.hpp"
#include "naq/config.hpp"
#include "naq/jetstream.hpp"
#include "naq/job.hpp"
#include "outcome.hpp"
#include "queue/unique_claims.hpp"
#include "record_breaker.hpp"
#include "results/job_records.hpp"
#include "telemetry.hpp"
#include "worker_log.hpp"

namespace naq {

/// The longest error text a record keeps of one attempt (longer ones are cut, saying so).
inline constexpr std::size_t kMaxErrorBytes = 4096;

/// How long a job whose succeeded record was not stored waits before it runs again.
inline constexpr Millis kUnrecordedRetryDelay{1000};
class OutcomeRecorder {
public:
    /// `records` is null when the worker stores no records (worker.store_results off).
    OutcomeRecorder(const Config& config, const WorkerLog& log, JetStream& js, detail::JobRecords* records,
                    WorkerCounters& counters, WorkerTelemetry& telemetry, RecordBreaker& breaker);

    /// Carries out `decision` for `job`: dead letter, the job's record, then ack or nak.
    /// `status` is the attempt's record so far (id, attempt, started_at, ...); `result` is the
    /// handler's on success; `observed` is the attempt's telemetry, null when the job did not
    /// run. On success the record is published and `msg` moves into its confirmation: the ack
    /// follows once the server stored it; a record the server refuses or does not confirm hands
    /// the job back (it runs again). Never throws: what cannot be recorded is left unacked and
    /// comes back after the ack wait, and false is returned.
    bool record(Message& msg, const Job& job, JobStatus& status, const OutcomeDecision& decision, Json result,
                JobObservation* observed);
    /// Dead-letters a message that is not a job, then acks it. False when it cannot: the message
    /// is left as it is, for the caller to hand back or terminate. Never throws.
    bool record_undecodable(const std::string& queue, Message& msg, const OutcomeDecision& decision);
    /// The last resort for a message over its delivery limit that could not be dead-lettered:
    /// the server is told never to deliver it again (error log, naq_jobs_terminated_total).
    /// Never throws.
    void terminate(const std::string& queue, Message& msg, const std::string& job_id, const std::string& why);
    /// Waits up to `timeout` for the confirmations still pending, then hands their jobs back.
    void drain(Millis timeout);

private:
    void record_success(Message& msg, const Job& job, JobStatus& status, Json result);
    /// A batch job's success: once its record is confirmed it goes to the batch counter, which
    /// acks it once counted (nothing waits on this thread).
    void record_batch_success(Message& msg, const Job& job, JobStatus& status);
    /// What the batch counter did with a succeeded job: ack it, or hand it back to count again.
    void counted(Message& msg, const std::string& job_id, const std::string& error) noexcept;
    /// The server answered a succeeded record's publish (`error` empty: stored); tells the
    /// breaker, once per record. Returns the fetching pause that began (0: none).
    Millis answered(const std::string& error) noexcept;
    /// The publish-ack of a succeeded record: ack the job, or hand it back (`pause`: what
    /// answered() began, for the log).
    void confirmed(Message& msg, const std::string& job_id, const std::string& error, Millis pause) noexcept;
    void retry(Message& msg, const Job& job, const JobStatus& status, const OutcomeDecision& decision,
               JobObservation* observed);
    void dead_letter(Message& msg, const Job& job, const JobStatus& status, const std::string& reason);
    /// The final record, before the ack: jobs that depend on this one wake on it.
    void put_final(const Job& job, const JobStatus& status, const OutcomeDecision& decision);
    /// The largest record the server takes (its max_payload, less room for headers).
    std::size_t record_limit() const;
    void announce_final(const Job& job, const JobStatus& status, JobObservation* observed);
    /// Gives a finished unique job's key back (UniqueUntil::finished), so the next enqueue with
    /// that key takes it at once instead of finding out that its holder finished.
    void give_back_unique(const Job& job);
    /// Counts a final job in its batch and waits until it is (before it is acked: a crash in
    /// between redelivers it, and the batch counts it once). Throws when it could not be counted.
    void count_in_batch(const Job& job, JobState state);
    /// The unique bucket, bound at the first unique job; throws what binding it throws.
    const detail::UniqueClaims& unique_claims();
    /// The batch counter, started at the first batch job.
    BatchCounter& batch_counter();

    const Config& config_;
    const WorkerLog& log_;
    JetStream& js_;
    detail::JobRecords* records_;
    WorkerCounters& counters_;
    WorkerTelemetry& telemetry_;
    RecordBreaker& breaker_;  // told of every record stored or refused; the fetcher reads it
    // Made at their feature's first job, so deployments that do not use it bind nothing.
    std::mutex features_mutex_;
    std::unique_ptr<detail::UniqueClaims> unique_claims_;
    std::unique_ptr<BatchCounter> batch_counter_;
};

}  // namespace naq
