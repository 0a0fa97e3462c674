// Running one job: decode, honour cancel requests and dependencies, run the handler, then
// ack, retry (nak with delay) or dead-letter, and record status and result. Nothing here
// waits on the server on the success path.
#include <random>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "worker_impl.hpp"

namespace naq {

namespace {

struct Outcome {
    bool ok = false;
    bool permanent = false;  // retrying cannot help (unknown task)
    bool cancelled = false;  // stopped by `naq cancel`
    Json result;
    std::string error;
};

double unit_random() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

Outcome run_handler(const TaskRegistry& tasks, const Job& job, int attempt, const std::shared_ptr<CancelState>& cancel) {
    Outcome out;
    const TaskHandler* handler = tasks.find(job.task);
    if (handler == nullptr) {
        out.permanent = true;
        out.error = "unknown task '" + job.task + "' (not registered in this worker)";
        return out;
    }
    JobContext ctx(job.id, job.queue, job.task, attempt, job.max_attempts, cancel);
    try {
        out.result = (*handler)(ctx, job.args);
        out.ok = true;
    } catch (const Cancelled& e) {
        out.error = std::string("cancelled: ") + e.what();
    } catch (const std::exception& e) {
        out.error = e.what();
    } catch (...) {
        out.error = "handler threw a non-standard exception";
    }
    if (cancel->by_request.load(std::memory_order_acquire)) {
        // A result that arrives after `naq cancel` does not count either.
        out.ok = false;
        out.cancelled = true;
        out.error = "cancelled by request";
    } else if (cancel->deadline && std::chrono::steady_clock::now() > *cancel->deadline) {
        // A result that arrives after the deadline does not count: the attempt timed out.
        out.ok = false;
        out.error = "timed out after " + std::to_string(job.timeout.count()) + " ms";
    }
    return out;
}

JobStatus status_of(const Job& job, int attempt, const std::string& worker) {
    JobStatus s;
    s.id = job.id;
    s.queue = job.queue;
    s.task = job.task;
    s.attempt = attempt;
    s.max_attempts = job.max_attempts;
    s.worker = worker;
    s.enqueued_at_ms = job.enqueued_at_ms;
    return s;
}

}  // namespace

void Worker::Impl::dead_letter_undecodable(const std::string& queue, Message& msg, const std::string& error) {
    PublishOptions po;
    po.msg_id = "undecodable:" + queue + ":" + std::to_string(msg.stream_sequence());
    js->publish(names::failed_subject(config, queue),
                codec::encode_undecodable_dead_letter(queue, msg.data(), error, id, now_ms()), po);
    dead.fetch_add(1);
    log(spdlog::level::err, "queue {}: undecodable job dead-lettered: {}", queue, error);
}

void Worker::Impl::dead_letter(Message& msg, const Job& job, const JobStatus& status, const std::string& reason) {
    PublishOptions po;
    po.msg_id = "dead:" + job.id + ":" + std::to_string(msg.stream_sequence());
    // Synchronous on purpose: the job leaves its queue only once its dead letter is stored.
    js->publish(names::failed_subject(config, job.queue), codec::encode_dead_letter(job, status, reason, id), po);
}

void Worker::Impl::record_failure(const Job& job, const JobStatus& status) {
    // Synchronous: jobs that depend on this one are woken by this very write.
    kv_store(Bucket::job_status, config).put(job.id, codec::encode(status));
    if (results_kv) {
        JobResult r{job.id, false, nullptr, status.error, status.attempt, id, status.started_at_ms,
                    status.finished_at_ms};
        results_kv->put_async(job.id, codec::encode(r));
    }
}

void Worker::Impl::finish_unrun(Message& msg, const Job& job, JobState state, const std::string& error) {
    try {
        JobStatus status = status_of(job, static_cast<int>(msg.num_delivered()), id);
        status.state = state;
        status.error = error;
        status.finished_at_ms = now_ms();
        status.updated_at_ms = status.finished_at_ms;
        if (state == JobState::dependency_failed) {
            status.errors.push_back({status.attempt, error, status.finished_at_ms, id});
            dead_letter(msg, job, status, "dependency_failed");
            dead.fetch_add(1);
        }
        record_failure(job, status);
        msg.ack();
        telemetry->job_unrun(job, status.attempt, state, error);  // observability
        log(spdlog::level::warn, "job {} queue {} task {}: {} ({})", job.id, job.queue, job.task, to_string(state), error);
    } catch (const Error& e) {
        log(spdlog::level::err, "job {}: recording {} failed ({}); it will be redelivered", job.id, to_string(state),
            e.what());
    }
}

void Worker::Impl::process(const std::string& queue, Message& msg) {
    Job job;
    try {
        job = codec::decode_job(msg.data(), queue);
    } catch (const SerializationError& e) {
        try {
            dead_letter_undecodable(queue, msg, e.what());
            msg.ack();  // only once the dead letter is stored
        } catch (const Error& dl) {
            log(spdlog::level::err, "queue {}: cannot dead-letter ({}); leaving it for redelivery", queue, dl.what());
            msg.nak(Millis(5000));
        }
        return;
    }
    if (cancel_requested(job.id)) {
        finish_unrun(msg, job, JobState::cancelled, "cancelled by request");
        return;
    }
    if (!job.depends_on.empty()) {
        std::vector<std::string> pending;
        std::string failure;
        Dependencies deps = Dependencies::pending;
        try {
            deps = check_dependencies(job, pending, failure);
        } catch (const Error& e) {
            log(spdlog::level::warn, "job {}: dependency check failed ({}); retrying later", job.id, e.what());
            msg.nak(Millis(1000));
            return;
        }
        if (deps == Dependencies::failed) {
            finish_unrun(msg, job, JobState::dependency_failed, failure);
            return;
        }
        if (deps == Dependencies::pending) {
            park(queue, std::move(msg), std::move(job), pending);
            return;
        }
    }
    run_job(msg, job);
}

void Worker::Impl::run_job(Message& msg, const Job& job) {
    const int attempt = static_cast<int>(msg.num_delivered());
    auto cancel = std::make_shared<CancelState>();
    if (job.timeout.count() > 0) cancel->deadline = std::chrono::steady_clock::now() + job.timeout;

    JobStatus status = status_of(job, attempt, id);
    status.started_at_ms = now_ms();
    status.state = JobState::running;
    status.updated_at_ms = status.started_at_ms;

    uint64_t token = 0;
    {
        std::lock_guard lock(inflight_mutex);
        token = next_token++;
        InFlight entry{&msg, cancel, job.id, false};
        // Written by the lease loop if the job is still running after kRunningStatusDelay: a
        // short job costs one status write (its final state), not two.
        if (status_kv) entry.running_status = &status;
        entry.started = std::chrono::steady_clock::now();
        inflight[token] = std::move(entry);
    }
    // A cancel request that arrived while the job was waiting for its slot.
    if (cancel_requested(job.id)) {
        cancel->reason = "cancelled by request";
        cancel->by_request.store(true);
        cancel->cancelled.store(true);
    }

    JobObservation observed = telemetry->observe(job, attempt);  // observability: started event, metrics
    Outcome outcome = run_handler(tasks, job, attempt, cancel);

    bool handed_back = false;
    {
        std::lock_guard lock(inflight_mutex);
        handed_back = inflight[token].handed_back;
        inflight.erase(token);
    }
    if (handed_back) return;  // shutdown nak'ed it; it runs again elsewhere

    status.finished_at_ms = now_ms();
    status.updated_at_ms = status.finished_at_ms;
    try {
        if (outcome.ok) {
            if (results_kv) {
                JobResult r{job.id, true, std::move(outcome.result), {}, attempt, id, status.started_at_ms,
                            status.finished_at_ms};
                results_kv->put_nowait(job.id, codec::encode(r));
                status.state = JobState::succeeded;
                status_kv->put_nowait(job.id, codec::encode(status));
            }
            msg.ack();
            succeeded.fetch_add(1);
            observed.succeeded();  // observability
            return;
        }

        failed.fetch_add(1);
        if (!outcome.cancelled) observed.failed(outcome.error);  // observability
        // Keep every attempt's error: earlier ones are in the stored status record.
        if (status_kv) {
            if (auto prev = status_kv->try_get(job.id)) {
                try {
                    status.errors = codec::decode_status(prev->value).errors;
                } catch (const SerializationError&) {
                }
            }
        }
        status.errors.push_back({attempt, outcome.error, status.finished_at_ms, id});
        status.error = outcome.error;

        if (outcome.cancelled) {
            status.state = JobState::cancelled;
            record_failure(job, status);
            msg.ack();
            observed.cancelled(outcome.error);  // observability
            log(spdlog::level::info, "job {} queue {} task {}: cancelled while running", job.id, job.queue, job.task);
            return;
        }

        if (!outcome.permanent && attempt < job.max_attempts) {
            Millis delay = job.backoff.delay_after(attempt, unit_random());
            status.state = JobState::retrying;
            status.next_attempt_at_ms = status.finished_at_ms + delay.count();
            if (status_kv) status_kv->put_async(job.id, codec::encode(status));
            observed.retry_scheduled(delay);  // observability: its events go out before the job goes back
            msg.nak(delay);
            retried.fetch_add(1);
            log(spdlog::level::warn, "job {} queue {} task {}: attempt {}/{} failed: {}; retry in {} ms", job.id,
                job.queue, job.task, attempt, job.max_attempts, outcome.error, delay.count());
            return;
        }

        // Out of attempts (or retrying cannot help): the job goes to the dead-letter stream
        // with its whole history, then leaves the queue.
        dead_letter(msg, job, status, outcome.permanent ? "unknown_task" : "failed");
        status.state = JobState::dead;
        record_failure(job, status);
        msg.ack();
        dead.fetch_add(1);
        observed.dead_lettered(outcome.error);  // observability
        log(spdlog::level::err, "job {} queue {} task {}: dead after {} attempt(s): {}", job.id, job.queue, job.task,
            attempt, outcome.error);
    } catch (const Error& e) {
        // Could not record the outcome: leave the message unacked so it is redelivered.
        log(spdlog::level::err, "job {}: recording the outcome failed ({}); it will be redelivered", job.id,
            e.what());
    }
}

}  // namespace naq
