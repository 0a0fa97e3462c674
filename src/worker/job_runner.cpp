// Running one job: decode, run the handler, then ack, retry (nak with delay) or dead-letter,
// and record status and result. Nothing here waits on the server on the success path.
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
    // A result that arrives after the deadline does not count: the attempt timed out.
    if (cancel->deadline && std::chrono::steady_clock::now() > *cancel->deadline) {
        out.ok = false;
        out.error = "timed out after " + std::to_string(job.timeout.count()) + " ms";
    }
    return out;
}

}  // namespace

void Worker::Impl::dead_letter_undecodable(const std::string& queue, Message& msg, const std::string& error) {
    Json record = {{"v", kWireVersion},
                   {"id", nullptr},
                   {"queue", queue},
                   {"reason", "undecodable"},
                   {"error", error},
                   {"failed_at", now_ms()},
                   {"worker", id},
                   {"raw", std::string(msg.data())}};
    PublishOptions po;
    po.msg_id = "undecodable:" + queue + ":" + std::to_string(msg.stream_sequence());
    js->publish(names::failed_subject(config, queue),
                record.dump(-1, ' ', false, Json::error_handler_t::replace), po);
    dead.fetch_add(1);
    log(spdlog::level::err, "queue {}: undecodable job dead-lettered: {}", queue, error);
}

void Worker::Impl::process(const std::string& queue, Message msg) {
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
    const int attempt = static_cast<int>(msg.num_delivered());
    auto cancel = std::make_shared<CancelState>();
    if (job.timeout.count() > 0) cancel->deadline = std::chrono::steady_clock::now() + job.timeout;

    uint64_t token = 0;
    {
        std::lock_guard lock(inflight_mutex);
        token = next_token++;
        inflight[token] = InFlight{&msg, cancel, job.id, false};
    }

    JobStatus status;
    status.id = job.id;
    status.queue = job.queue;
    status.task = job.task;
    status.attempt = attempt;
    status.max_attempts = job.max_attempts;
    status.worker = id;
    status.enqueued_at_ms = job.enqueued_at_ms;
    status.started_at_ms = now_ms();
    if (status_kv) {
        status.state = JobState::running;
        status.updated_at_ms = status.started_at_ms;
        status_kv->put_async(job.id, codec::encode(status));
    }

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
                results_kv->put_async(job.id, codec::encode(r));
                status.state = JobState::succeeded;
                status_kv->put_async(job.id, codec::encode(status));
            }
            msg.ack();
            succeeded.fetch_add(1);
            return;
        }

        failed.fetch_add(1);
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

        if (!outcome.permanent && attempt < job.max_attempts) {
            Millis delay = job.backoff.delay_after(attempt, unit_random());
            status.state = JobState::retrying;
            status.next_attempt_at_ms = status.finished_at_ms + delay.count();
            if (status_kv) status_kv->put_async(job.id, codec::encode(status));
            msg.nak(delay);
            retried.fetch_add(1);
            log(spdlog::level::warn, "job {} queue {} task {}: attempt {}/{} failed: {}; retry in {} ms", job.id,
                job.queue, job.task, attempt, job.max_attempts, outcome.error, delay.count());
            return;
        }

        // Out of attempts (or retrying cannot help): the job goes to the dead-letter stream
        // with its whole history, then leaves the queue.
        Json errors = Json::array();
        for (const auto& e : status.errors) {
            errors.push_back({{"attempt", e.attempt}, {"error", e.error}, {"at", e.at_ms}, {"worker", e.worker}});
        }
        Json record = {{"v", kWireVersion},          {"id", job.id},
                       {"queue", job.queue},         {"task", job.task},
                       {"reason", outcome.permanent ? "unknown_task" : "failed"},
                       {"error", outcome.error},     {"errors", std::move(errors)},
                       {"failed_at", status.finished_at_ms},
                       {"worker", id},               {"job", codec::to_json(job)}};
        PublishOptions po;
        po.msg_id = "dead:" + job.id + ":" + std::to_string(msg.stream_sequence());
        js->publish(names::failed_subject(config, job.queue),
                    record.dump(-1, ' ', false, Json::error_handler_t::replace), po);
        status.state = JobState::dead;
        if (status_kv) status_kv->put_async(job.id, codec::encode(status));
        if (results_kv) {
            JobResult r{job.id, false, nullptr, outcome.error, attempt, id, status.started_at_ms,
                        status.finished_at_ms};
            results_kv->put_async(job.id, codec::encode(r));
        }
        msg.ack();
        dead.fetch_add(1);
        log(spdlog::level::err, "job {} queue {} task {}: dead after {} attempt(s): {}", job.id, job.queue, job.task,
            attempt, outcome.error);
    } catch (const Error& e) {
        // Could not record the outcome: leave the message unacked so it is redelivered.
        log(spdlog::level::err, "job {}: recording the outcome failed ({}); it will be redelivered", job.id,
            e.what());
    }
}

}  // namespace naq
