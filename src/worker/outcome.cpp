// The outcome decision (see outcome.hpp). No I/O: everything it needs is passed in.
#include "outcome.hpp"

namespace naq {

WhatHappened handler_returned(std::optional<std::string> error, bool cancelled_by_request, bool past_deadline) {
    // A result that arrives after `naq cancel` or after the deadline does not count.
    if (cancelled_by_request) return {Happened::cancelled, {}};
    if (past_deadline) return {Happened::timed_out, {}};
    if (error) return {Happened::failed, std::move(*error)};
    return {Happened::succeeded, {}};
}

OutcomeDecision decide_outcome(const WhatHappened& what, const Job& job, int attempt, int64_t now_ms,
                               double unit_random) {
    OutcomeDecision d;
    d.at_ms = now_ms;
    switch (what.kind) {
        case Happened::succeeded: d.attempted = true; return d;
        case Happened::cancelled_before_start:
            d.state = JobState::cancelled;
            d.error = "cancelled by request";
            return d;
        case Happened::dependency_failed:
            d.state = JobState::dependency_failed;
            d.error = what.error;
            d.records_attempt_error = true;
            d.dead_letter_reason = "dependency_failed";
            return d;
        case Happened::undecodable:
            d.state = JobState::dead;
            d.error = what.error;
            d.dead_letter_reason = "undecodable";
            return d;
        case Happened::delivery_limit:
            // Not an attempt: the earlier deliveries never reached an outcome the server stored.
            d.state = JobState::dead;
            d.error = what.error;
            d.records_attempt_error = true;
            d.keeps_earlier_errors = true;
            d.dead_letter_reason = "max_deliveries";
            d.record_may_fail = true;
            return d;
        case Happened::cancelled:
        case Happened::unknown_task:
        case Happened::failed:
        case Happened::timed_out: break;
    }
    // The attempt ran (or tried to) and did not succeed.
    d.attempted = true;
    d.counts_failed_attempt = true;
    d.records_attempt_error = true;
    d.keeps_earlier_errors = true;
    switch (what.kind) {
        case Happened::cancelled:
            d.state = JobState::cancelled;
            d.error = "cancelled by request";
            return d;
        case Happened::unknown_task:
            // Retrying cannot help: dead at once, whatever attempts are left.
            d.state = JobState::dead;
            d.error = "unknown task '" + job.task + "' (not registered in this worker)";
            d.dead_letter_reason = "unknown_task";
            return d;
        case Happened::timed_out: d.error = "timed out after " + std::to_string(job.timeout.count()) + " ms"; break;
        default: d.error = what.error; break;
    }
    // A failure or a timeout: retried while attempts are left, then dead-lettered with its history.
    if (attempt < job.max_attempts) {
        d.state = JobState::retrying;
        d.action = MessageAction::nak;
        d.retry_delay = job.backoff.delay_after(attempt, unit_random);
        d.next_attempt_at_ms = now_ms + d.retry_delay.count();
        return d;
    }
    d.state = JobState::dead;
    d.dead_letter_reason = "failed";
    return d;
}

}  // namespace naq
