// Recording an outcome (see outcome_recorder.hpp). A job is acknowledged only once the server
// confirmed the record its outcome depends on: on success from the publish-ack callback of its
// record (pipelined, nothing waits on a handler thread); final failures are written
// synchronously because dependent jobs wake on that write.
#include "outcome_recorder.hpp"

#include <future>
#include <memory>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

OutcomeRecorder::OutcomeRecorder(const Config& config, const WorkerLog& log, JetStream& js, detail::JobRecords* records,
                                 WorkerCounters& counters, WorkerTelemetry& telemetry, RecordBreaker& breaker)
    : config_(config),
      log_(log),
      js_(js),
      records_(records),
      counters_(counters),
      telemetry_(telemetry),
      breaker_(breaker) {}

bool OutcomeRecorder::record(Message& msg, const Job& job, JobStatus& status, const OutcomeDecision& decision,
                             Json result, JobObservation* observed) {
    // An error text is a handler's to choose: a huge one must not make every record that carries
    // it (status, dead letter) too big to store.
    OutcomeDecision d = decision;
    if (d.error.size() > kMaxErrorBytes) {
        d.error = d.error.substr(0, kMaxErrorBytes) + "… (" + std::to_string(decision.error.size()) + " bytes, cut)";
    }
    status.finished_at_ms = d.at_ms;
    status.updated_at_ms = d.at_ms;
    try {
        if (d.state == JobState::succeeded) {
            if (observed != nullptr) observed->succeeded();  // observability
            record_success(msg, job, status, std::move(result));
            give_back_unique(job);
            return true;
        }
        if (d.counts_failed_attempt) {
            counters_.failed.fetch_add(1);
            if (observed != nullptr && d.state != JobState::cancelled) observed->failed(d.error);  // observability
        }
        // Keep every attempt's error: earlier ones are in the stored status record.
        if (d.keeps_earlier_errors && records_ != nullptr) {
            try {
                status.errors = records_->earlier_errors(job.id);
            } catch (const Error& e) {
                if (!d.record_may_fail) throw;
                log_(spdlog::level::warn, "job {}: its earlier errors could not be read ({})", job.id, e.what());
            }
        }
        if (d.records_attempt_error) status.errors.push_back({status.attempt, d.error, d.at_ms, log_.id()});
        status.error = d.error;
        status.state = d.state;
        if (d.action == MessageAction::nak) {
            retry(msg, job, status, d, observed);
            return true;
        }
        // Final: the dead letter (with the whole history) is stored before the job leaves its queue.
        if (!d.dead_letter_reason.empty()) dead_letter(msg, job, status, d.dead_letter_reason);
        // Synchronous: jobs that depend on this one are woken by this very write, and the job is
        // acked only after it.
        if (records_ != nullptr) put_final(job, status, d);
        count_in_batch(job, status.state);
        msg.ack();
        if (!d.dead_letter_reason.empty()) counters_.dead.fetch_add(1);
        announce_final(job, status, observed);
        give_back_unique(job);
        return true;
    } catch (const std::exception& e) {
        log_(spdlog::level::err, "job {}: recording {} failed ({}); it will be redelivered", job.id, to_string(d.state),
             e.what());
        return false;
    }
}

void OutcomeRecorder::record_success(Message& msg, const Job& job, JobStatus& status, Json result) {
    if (records_ == nullptr) {  // worker.store_results off: nothing to confirm
        count_in_batch(job, JobState::succeeded);
        msg.ack();
        counters_.succeeded.fetch_add(1);
        return;
    }
    status.state = JobState::succeeded;
    status.result = std::move(result);
    if (status.attempt > 1) status.errors = records_->earlier_errors(job.id);  // the record keeps them after success
    if (job.batch) {
        record_batch_success(msg, job, status);
        return;
    }
    // The message moves into the callback: it is acked (or handed back) once the server answered.
    auto held = std::make_shared<Message>(std::move(msg));
    breaker_.sent();
    try {
        bool fits = records_->publish_succeeded(status, [this, held, id = job.id](const std::string& error) {
            confirmed(*held, id, error, answered(error));
        });
        if (!fits) {
            log_(spdlog::level::err,
                 "job {}: its result does not fit the server's max_payload ({} bytes); stored without it", job.id,
                 js_.connection().max_payload());
        }
    } catch (const Error& e) {
        confirmed(*held, job.id, e.what(), answered(e.what()));  // not even sent: hand it back now
    }
}

void OutcomeRecorder::record_batch_success(Message& msg, const Job& job, JobStatus& status) {
    // In order: the record is stored, then the job counted in its batch, then acked, so the
    // batch never counts a job whose record says otherwise, and a crash anywhere in between
    // redelivers the job (its second count is a no-op).
    BatchCounter& counter = batch_counter();
    auto held = std::make_shared<Message>(std::move(msg));
    breaker_.sent();
    try {
        records_->publish_succeeded(
            status, [this, &counter, held, id = job.id, member = *job.batch](const std::string& error) {
                Millis pause = answered(error);
                if (!error.empty()) {
                    confirmed(*held, id, error, pause);
                    return;
                }
                counter.count(member, JobState::succeeded,
                              [this, held, id](const std::string& not_counted) { counted(*held, id, not_counted); });
            });
    } catch (const Error& e) {
        confirmed(*held, job.id, e.what(), answered(e.what()));  // not even sent: hand it back now
    }
}

void OutcomeRecorder::counted(Message& msg, const std::string& job_id, const std::string& error) noexcept {
    if (error.empty()) {
        confirmed(msg, job_id, error, Millis(0));  // acks
        return;
    }
    try {
        msg.nak(kUnrecordedRetryDelay);  // runs again; its batch counts it once
    } catch (const std::exception& e) {
        log_(spdlog::level::err, "job {}: hand back failed ({}); it is redelivered after worker.ack_wait", job_id,
             e.what());
    }
}

Millis OutcomeRecorder::answered(const std::string& error) noexcept {
    if (error.empty()) {
        breaker_.stored();
        return Millis(0);
    }
    return breaker_.refused();
}

void OutcomeRecorder::confirmed(Message& msg, const std::string& job_id, const std::string& error,
                                Millis pause) noexcept {
    // Runs on cnats' thread: nothing may escape it.
    try {
        if (error.empty()) {
            msg.ack();
            counters_.succeeded.fetch_add(1);
            return;
        }
        // The server stores no records (no stream leader, storage full, …): the fetcher stops
        // taking jobs for a while (RecordBreaker) instead of running job after job that only
        // runs again.
        if (pause > Millis(0)) {
            log_(spdlog::level::err,
                 "job {}: its succeeded record was not stored ({}); handing it back to run again, fetching paused "
                 "for {} ms, then one job at a time until a record is stored",
                 job_id, error, pause.count());
        } else {
            log_(spdlog::level::err, "job {}: its succeeded record was not stored ({}); handing it back to run again",
                 job_id, error);
        }
        msg.nak(kUnrecordedRetryDelay);
    } catch (const std::exception& e) {
        log_(spdlog::level::err, "job {}: {} failed ({}); it is redelivered after worker.ack_wait", job_id,
             error.empty() ? "ack" : "hand back", e.what());
    }
}

void OutcomeRecorder::retry(Message& msg, const Job& job, const JobStatus& status, const OutcomeDecision& d,
                            JobObservation* observed) {
    if (records_ != nullptr) records_->put_async(status);
    if (observed != nullptr) observed->retry_scheduled(d.retry_delay);  // its events go out before the job goes back
    msg.nak(d.retry_delay);
    counters_.retried.fetch_add(1);
    log_(spdlog::level::warn, "job {} queue {} task {}: attempt {}/{} failed: {}; retry in {} ms", job.id, job.queue,
         job.task, status.attempt, job.max_attempts, d.error, d.retry_delay.count());
}

void OutcomeRecorder::dead_letter(Message& msg, const Job& job, const JobStatus& status, const std::string& reason) {
    PublishOptions po;
    po.msg_id = "dead:" + job.id + ":" + std::to_string(msg.stream_sequence());
    // Synchronous on purpose: the job leaves its queue only once its dead letter is stored.
    js_.publish(names::failed_subject(config_, job.queue),
                codec::encode_dead_letter(job, status, reason, log_.id(), record_limit()), po);
}

void OutcomeRecorder::put_final(const Job& job, const JobStatus& status, const OutcomeDecision& d) {
    if (!d.record_may_fail) {
        records_->put(status);
        return;
    }
    try {
        records_->put(status);
    } catch (const Error& e) {
        log_(spdlog::level::err, "job {}: its {} record was not stored ({}); its dead letter was", job.id,
             to_string(status.state), e.what());
    }
}

std::size_t OutcomeRecorder::record_limit() const {
    // Headers (the message id) travel within max_payload too: leave them room.
    constexpr std::size_t kHeaderRoom = 512;
    const auto max = static_cast<std::size_t>(std::max<int64_t>(js_.connection().max_payload(), 2 * kHeaderRoom));
    return max - kHeaderRoom;
}

void OutcomeRecorder::drain(Millis timeout) {
    if (records_ != nullptr) records_->drain(timeout);
    // After the records: their confirmations hand batch jobs to the counter.
    std::lock_guard lock(features_mutex_);
    if (batch_counter_) batch_counter_->stop(timeout);
}

void OutcomeRecorder::announce_final(const Job& job, const JobStatus& status, JobObservation* observed) {
    if (observed == nullptr) {  // it never ran: cancelled before it started, or a dependency failed
        telemetry_.job_unrun(job, status.attempt, status.state, status.error);  // observability
        log_(spdlog::level::warn, "job {} queue {} task {}: {} ({})", job.id, job.queue, job.task,
             to_string(status.state), status.error);
    } else if (status.state == JobState::cancelled) {
        observed->cancelled(status.error);  // observability
        log_(spdlog::level::info, "job {} queue {} task {}: cancelled while running", job.id, job.queue, job.task);
    } else {
        observed->dead_lettered(status.error);  // observability
        log_(spdlog::level::err, "job {} queue {} task {}: dead after {} attempt(s): {}", job.id, job.queue, job.task,
             status.attempt, status.error);
    }
}

void OutcomeRecorder::give_back_unique(const Job& job) {
    if (!job.unique || job.unique->until != UniqueUntil::finished) return;
    try {
        unique_claims().give_back(job);
    } catch (const std::exception& e) {
        log_(spdlog::level::warn, "job {}: its unique key stays until it lapses: {}", job.id, e.what());
    }
}

const detail::UniqueClaims& OutcomeRecorder::unique_claims() {
    std::lock_guard lock(features_mutex_);
    if (!unique_claims_) unique_claims_ = std::make_unique<detail::UniqueClaims>(config_);
    return *unique_claims_;
}

BatchCounter& OutcomeRecorder::batch_counter() {
    std::lock_guard lock(features_mutex_);
    if (!batch_counter_) batch_counter_ = std::make_unique<BatchCounter>(config_, log_);
    return *batch_counter_;
}

void OutcomeRecorder::count_in_batch(const Job& job, JobState state) {
    if (!job.batch) return;
    auto done = std::make_shared<std::promise<std::string>>();
    std::future<std::string> answer = done->get_future();
    batch_counter().count(*job.batch, state, [done](const std::string& error) { done->set_value(error); });
    std::string error = answer.get();  // the counter answers every job, also when it stops
    if (!error.empty()) throw Error(error);
}

bool OutcomeRecorder::record_undecodable(const std::string& queue, Message& msg, const OutcomeDecision& d) {
    try {
        PublishOptions po;
        po.msg_id = "undecodable:" + queue + ":" + std::to_string(msg.stream_sequence());
        js_.publish(
            names::failed_subject(config_, queue),
            codec::encode_undecodable_dead_letter(queue, msg.data(), d.error, log_.id(), d.at_ms, record_limit()), po);
        counters_.dead.fetch_add(1);
        log_(spdlog::level::err, "queue {}: undecodable job dead-lettered: {}", queue, d.error);
        msg.ack();  // only once the dead letter is stored
        return true;
    } catch (const std::exception& e) {
        log_(spdlog::level::err, "queue {}: cannot dead-letter an undecodable message ({})", queue, e.what());
    }
    return false;
}

void OutcomeRecorder::terminate(const std::string& queue, Message& msg, const std::string& job_id,
                                const std::string& why) {
    log_(spdlog::level::err, "queue {} job {}: {}; it could not be dead-lettered: terminated, never delivered again",
         queue, job_id.empty() ? "(undecodable)" : job_id, why);
    try {
        msg.term();
    } catch (const std::exception& e) {
        // The consumer's MaxDeliver (one more than worker.max_deliveries) stops it anyway.
        log_(spdlog::level::err, "queue {} job {}: terminating failed ({}); the server's MaxDeliver stops it", queue,
             job_id, e.what());
    }
    telemetry_.terminated(queue);  // observability
}

}  // namespace naq
