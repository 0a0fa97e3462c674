// The worker's outcome decision (src/worker/outcome.hpp): every branch, without a server.
#include <catch2/catch.hpp>

#include "worker/outcome.hpp"

using namespace naq;

namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Job job_with(int max_attempts, Backoff backoff = {BackoffKind::fixed, Millis(1000), Millis(1000), false}) {
    Job j;
    j.id = "job-1";
    j.queue = "emails";
    j.task = "send_email";
    j.max_attempts = max_attempts;
    j.backoff = backoff;
    return j;
}

OutcomeDecision failed_attempt(const Job& job, int attempt, double unit_random = 0.0) {
    return decide_outcome({Happened::failed, "smtp down"}, job, attempt, kNow, unit_random);
}

void check_retry(const OutcomeDecision& d, Millis delay) {
    CHECK(d.state == JobState::retrying);
    CHECK(d.action == MessageAction::nak);
    CHECK(d.retry_delay == delay);
    CHECK(d.next_attempt_at_ms == kNow + delay.count());
    CHECK(d.dead_letter_reason.empty());
}

}  // namespace

TEST_CASE("outcome: success is acked and recorded as succeeded", "[outcome]") {
    auto d = decide_outcome({Happened::succeeded, {}}, job_with(3), 1, kNow, 0.7);
    CHECK(d.state == JobState::succeeded);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.retry_delay == Millis(0));
    CHECK(d.dead_letter_reason.empty());
    CHECK(d.error.empty());
    CHECK_FALSE(d.records_attempt_error);
    CHECK_FALSE(d.counts_failed_attempt);
    CHECK(d.attempted);
    CHECK(d.at_ms == kNow);
}

TEST_CASE("outcome: a failure with attempts left is nak'ed with the backoff delay", "[outcome]") {
    auto d = failed_attempt(job_with(3), 1);
    check_retry(d, Millis(1000));
    CHECK(d.error == "smtp down");
    CHECK(d.records_attempt_error);
    CHECK(d.keeps_earlier_errors);
    CHECK(d.counts_failed_attempt);
    CHECK(d.attempted);
    CHECK(d.at_ms == kNow);
}

TEST_CASE("outcome: fixed backoff waits the same every time", "[outcome]") {
    Backoff fixed{BackoffKind::fixed, Millis(250), Millis(10'000), false};
    check_retry(failed_attempt(job_with(5, fixed), 1), Millis(250));
    check_retry(failed_attempt(job_with(5, fixed), 4), Millis(250));
}

TEST_CASE("outcome: linear backoff grows by the base per attempt", "[outcome]") {
    Backoff linear{BackoffKind::linear, Millis(100), Millis(10'000), false};
    check_retry(failed_attempt(job_with(5, linear), 1), Millis(100));
    check_retry(failed_attempt(job_with(5, linear), 3), Millis(300));
}

TEST_CASE("outcome: exponential backoff doubles per attempt", "[outcome]") {
    Backoff expo{BackoffKind::exponential, Millis(100), Millis(10'000), false};
    check_retry(failed_attempt(job_with(9, expo), 1), Millis(100));
    check_retry(failed_attempt(job_with(9, expo), 2), Millis(200));
    check_retry(failed_attempt(job_with(9, expo), 4), Millis(800));
}

TEST_CASE("outcome: backoff delays are capped at max", "[outcome]") {
    Backoff expo{BackoffKind::exponential, Millis(100), Millis(500), false};
    check_retry(failed_attempt(job_with(99, expo), 8), Millis(500));
    Backoff linear{BackoffKind::linear, Millis(100), Millis(250), false};
    check_retry(failed_attempt(job_with(99, linear), 3), Millis(250));
}

TEST_CASE("outcome: jitter spreads the delay over [delay/2, delay] by the draw passed in", "[outcome]") {
    Backoff jittered{BackoffKind::exponential, Millis(1000), Millis(60'000), true};
    check_retry(failed_attempt(job_with(5, jittered), 2, 0.0), Millis(1000));  // 2000 / 2
    check_retry(failed_attempt(job_with(5, jittered), 2, 0.5), Millis(1500));
    check_retry(failed_attempt(job_with(5, jittered), 2, 0.999), Millis(1999));
    Backoff capped{BackoffKind::linear, Millis(1000), Millis(2000), true};
    check_retry(failed_attempt(job_with(9, capped), 5, 0.5), Millis(1500));  // cap first, then jitter
}

TEST_CASE("outcome: the last attempt's failure is dead-lettered and acked", "[outcome]") {
    auto d = failed_attempt(job_with(3), 3);
    CHECK(d.state == JobState::dead);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason == "failed");
    CHECK(d.error == "smtp down");
    CHECK(d.retry_delay == Millis(0));
    CHECK(d.next_attempt_at_ms == 0);
    CHECK(d.records_attempt_error);
    CHECK(d.keeps_earlier_errors);
    CHECK(d.counts_failed_attempt);
    // max_attempts 1: the first failure is the last
    CHECK(failed_attempt(job_with(1), 1).dead_letter_reason == "failed");
    // a redelivery past max_attempts (e.g. after a crash) is not retried again
    CHECK(failed_attempt(job_with(3), 4).state == JobState::dead);
}

TEST_CASE("outcome: a timeout counts as a failed attempt: retried, then dead", "[outcome]") {
    Job job = job_with(2, {BackoffKind::fixed, Millis(300), Millis(300), false});
    job.timeout = Millis(1500);
    auto retry = decide_outcome({Happened::timed_out, "ignored"}, job, 1, kNow, 0.0);
    check_retry(retry, Millis(300));
    CHECK(retry.error == "timed out after 1500 ms");
    CHECK(retry.counts_failed_attempt);
    CHECK(retry.records_attempt_error);
    auto dead = decide_outcome({Happened::timed_out, {}}, job, 2, kNow, 0.0);
    CHECK(dead.state == JobState::dead);
    CHECK(dead.action == MessageAction::ack);
    CHECK(dead.dead_letter_reason == "failed");
    CHECK(dead.error == "timed out after 1500 ms");
}

TEST_CASE("outcome: cancelled while running is acked as cancelled, never retried", "[outcome]") {
    auto d = decide_outcome({Happened::cancelled, "ignored"}, job_with(5), 1, kNow, 0.0);
    CHECK(d.state == JobState::cancelled);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason.empty());
    CHECK(d.error == "cancelled by request");
    CHECK(d.retry_delay == Millis(0));
    CHECK(d.records_attempt_error);
    CHECK(d.keeps_earlier_errors);
    CHECK(d.counts_failed_attempt);
    CHECK(d.attempted);
}

TEST_CASE("outcome: cancelled before it started is acked as cancelled with no attempt", "[outcome]") {
    auto d = decide_outcome({Happened::cancelled_before_start, {}}, job_with(5), 1, kNow, 0.0);
    CHECK(d.state == JobState::cancelled);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason.empty());
    CHECK(d.error == "cancelled by request");
    CHECK_FALSE(d.records_attempt_error);
    CHECK_FALSE(d.counts_failed_attempt);
    CHECK_FALSE(d.attempted);
}

TEST_CASE("outcome: an unknown task is dead at once, attempts left or not", "[outcome]") {
    auto d = decide_outcome({Happened::unknown_task, {}}, job_with(5), 1, kNow, 0.0);
    CHECK(d.state == JobState::dead);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason == "unknown_task");
    CHECK(d.error == "unknown task 'send_email' (not registered in this worker)");
    CHECK(d.records_attempt_error);
    CHECK(d.counts_failed_attempt);
    CHECK(d.attempted);
}

TEST_CASE("outcome: an undecodable envelope is dead-lettered and acked", "[outcome]") {
    auto d = decide_outcome({Happened::undecodable, "missing field 'task'"}, Job{}, 1, kNow, 0.0);
    CHECK(d.state == JobState::dead);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason == "undecodable");
    CHECK(d.error == "missing field 'task'");
    CHECK_FALSE(d.records_attempt_error);
    CHECK_FALSE(d.counts_failed_attempt);
    CHECK_FALSE(d.attempted);
}

TEST_CASE("outcome: a job over its delivery limit is dead-lettered with its history, not run", "[outcome]") {
    // Attempts left do not matter: the deliveries never reached a stored outcome.
    auto d = decide_outcome({Happened::delivery_limit, "delivered 101 times"}, job_with(5), 101, kNow, 0.0);
    CHECK(d.state == JobState::dead);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason == "max_deliveries");
    CHECK(d.record_may_fail);
    CHECK(d.error == "delivered 101 times");
    CHECK(d.records_attempt_error);
    CHECK(d.keeps_earlier_errors);
    CHECK_FALSE(d.counts_failed_attempt);
    CHECK_FALSE(d.attempted);
}

TEST_CASE("outcome: a failed dependency dead-letters the job without running it", "[outcome]") {
    auto d = decide_outcome({Happened::dependency_failed, "dependency a ended dead"}, job_with(5), 2, kNow, 0.0);
    CHECK(d.state == JobState::dependency_failed);
    CHECK(d.action == MessageAction::ack);
    CHECK(d.dead_letter_reason == "dependency_failed");
    CHECK(d.error == "dependency a ended dead");
    CHECK(d.records_attempt_error);
    CHECK_FALSE(d.keeps_earlier_errors);
    CHECK_FALSE(d.counts_failed_attempt);
    CHECK_FALSE(d.attempted);
    CHECK(d.at_ms == kNow);
}

TEST_CASE("outcome: a handler's return counts only if not cancelled and in time", "[outcome]") {
    CHECK(handler_returned(std::nullopt, false, false).kind == Happened::succeeded);
    auto failed = handler_returned("boom", false, false);
    CHECK(failed.kind == Happened::failed);
    CHECK(failed.error == "boom");
    CHECK(handler_returned(std::nullopt, false, true).kind == Happened::timed_out);  // result after the deadline
    CHECK(handler_returned("boom", false, true).kind == Happened::timed_out);
    CHECK(handler_returned(std::nullopt, true, false).kind == Happened::cancelled);
    CHECK(handler_returned("cancelled: stop", true, true).kind == Happened::cancelled);  // the request wins
}
