// What to do with a job once its attempt is over (or it could not start): which state to record,
// whether to ack, nak with which delay or dead-letter with which reason. A pure function of what
// happened, the job and the time, so every branch is unit-tested without a server; the runner
// only carries the decision out (outcome_recorder.hpp). Private to src/worker.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "naq/job.hpp"

namespace naq {

/// How an attempt ended, or why the job never ran.
enum class Happened {
    succeeded,               ///< the handler returned a result in time
    failed,                  ///< the handler threw
    timed_out,               ///< the handler returned or threw after the job's deadline
    cancelled,               ///< `naq cancel` arrived while the handler ran
    cancelled_before_start,  ///< `naq cancel` arrived before the job started
    unknown_task,            ///< no handler is registered for the job's task
    undecodable,             ///< the envelope is not a job
    dependency_failed,       ///< a job it depends on ended other than succeeded
    delivery_limit,          ///< delivered more than worker.max_deliveries times: not run again
};

struct WhatHappened {
    Happened kind = Happened::succeeded;
    /// failed: the handler's error; dependency_failed: which dependency and how it ended;
    /// undecodable: the decoder's error; delivery_limit: how often it was delivered. The other kinds' texts are made by decide_outcome().
    std::string error;
};

/// What a handler's return amounts to. A result or error counts only if the job was neither
/// cancelled by request nor past its deadline when the handler returned; a cancel request wins
/// over the deadline. `error` is empty when the handler returned a result.
WhatHappened handler_returned(std::optional<std::string> error, bool cancelled_by_request, bool past_deadline);

/// What happens to the job's message.
enum class MessageAction {
    ack,  ///< the job leaves its queue
    nak,  ///< redelivered after OutcomeDecision::retry_delay
};

/// The decision, carried out by OutcomeRecorder::record().
struct OutcomeDecision {
    /// The state to record: succeeded, retrying, dead, cancelled or dependency_failed.
    JobState state = JobState::succeeded;
    MessageAction action = MessageAction::ack;
    Millis retry_delay{0};           ///< nak: wait this long before the next attempt
    int64_t next_attempt_at_ms = 0;  ///< retrying: at_ms + retry_delay
    /// Empty: no dead letter. Else the dead letter's reason: "failed", "unknown_task",
    /// "dependency_failed", "undecodable" or "max_deliveries"; the dead letter is stored before
    /// the ack.
    std::string dead_letter_reason;
    std::string error;                   ///< the status record's error; empty on success
    bool records_attempt_error = false;  ///< append {attempt, error, at_ms} to the record's errors
    bool keeps_earlier_errors = false;   ///< ... after those of earlier attempts (from the stored record)
    bool counts_failed_attempt = false;  ///< WorkerStats::failed
    bool attempted = false;              ///< the job was taken to run: its attempt's events and metrics apply
    /// The dead letter alone must be stored before the ack; a record the server refuses is
    /// logged, not retried (what kept failing may be that very record).
    bool record_may_fail = false;
    int64_t at_ms = 0;  ///< when it was decided: the record's finished_at / updated_at
};

/// The decision for `what` happening to attempt `attempt` (1-based, the delivery count) of `job`
/// at `now_ms`. `unit_random` in [0,1) drives the backoff's jitter. For `undecodable` only
/// `what` and `now_ms` matter.
OutcomeDecision decide_outcome(const WhatHappened& what, const Job& job, int attempt, int64_t now_ms,
                               double unit_random);

}  // namespace naq
