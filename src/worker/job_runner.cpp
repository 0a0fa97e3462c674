// Running one job (see job_runner.hpp). Nothing here waits on the server on the success path.
#include "job_runner.hpp"

#include "hand_back.hpp"

#include <random>

#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "results/job_records.hpp"

namespace naq {

namespace {

double unit_random() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

JobStatus status_of(const Job& job, JobState state, int attempt, const std::string& worker) {
    JobStatus s = detail::status_for(job, state, now_ms());
    s.attempt = attempt;
    s.worker = worker;
    return s;
}

}  // namespace

void JobRunner::process(const std::string& queue, Message& msg) {
    uint64_t delivered = 0;
    try {
        delivered = msg.num_delivered();
    } catch (const Error& e) {
        // Left unacked: it comes back after the ack wait (at most worker.max_deliveries times).
        log_(spdlog::level::err, "queue {}: reading a job's delivery count failed ({}); it will be redelivered", queue,
             e.what());
        return;
    }
    if (delivered > static_cast<uint64_t>(settings_.max_deliveries)) {
        give_up(queue, msg, delivered);
        return;
    }
    Job job;
    try {
        job = codec::decode_job(msg.data(), queue);
        // A foreign producer may leave enqueued_at out: when the stream stored the job is the
        // next best time, and its record says so instead of 1970.
        if (job.enqueued_at_ms <= 0) job.enqueued_at_ms = msg.stored_at_ms();
    } catch (const SerializationError& e) {
        const OutcomeDecision d = decide_outcome({Happened::undecodable, e.what()}, Job{}, 0, now_ms(), 0);
        if (!recorder_.record_undecodable(queue, msg, d)) hand_back(msg, Millis(5000), log_, "queue " + queue);
        return;
    } catch (const Error& e) {
        log_(spdlog::level::warn, "job {}: no stream timestamp for its record ({})", job.id, e.what());
    }
    if (cancels_.requested(job.id)) {
        finish_unrun(msg, job, {Happened::cancelled_before_start, {}});
        return;
    }
    if (!job.depends_on.empty()) {
        std::vector<std::string> pending;
        std::string failure;
        Dependencies deps = Dependencies::pending;
        try {
            deps = parking_.check(job, pending, failure);
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: dependency check failed ({}); retrying later", job.id, e.what());
            hand_back(msg, Millis(1000), log_, "job " + job.id);
            return;
        }
        if (deps == Dependencies::failed) {
            finish_unrun(msg, job, {Happened::dependency_failed, failure});
            return;
        }
        if (deps == Dependencies::pending) {
            parking_.park(queue, std::move(msg), std::move(job), pending);
            return;
        }
    }
    run_gated(queue, msg, job);
}

void JobRunner::run_gated(const std::string& queue, Message& msg, const Job& job) {
    if (!gates_.limited(queue, job.task)) {
        run(msg, job);
        return;
    }
    if (!gates_.enter(queue, job.task)) {
        gates_.wait(queue, std::move(msg), job);  // holds no handler slot meanwhile
        return;
    }
    struct Leave {
        TaskGates& gates;
        const std::string& queue;
        const std::string& task;
        ~Leave() { gates.leave(queue, task); }
    } leave{gates_, queue, job.task};
    run(msg, job);
}

void JobRunner::give_up(const std::string& queue, Message& msg, uint64_t delivered) {
    const std::string why = "delivered " + std::to_string(delivered) + " times, more than worker.max_deliveries (" +
                            std::to_string(settings_.max_deliveries) + "); not run again";
    Job job;
    try {
        job = codec::decode_job(msg.data(), queue);
    } catch (const SerializationError& e) {
        OutcomeDecision d = decide_outcome({Happened::undecodable, e.what()}, Job{}, 0, now_ms(), 0);
        if (!recorder_.record_undecodable(queue, msg, d)) recorder_.terminate(queue, msg, "", why);
        return;
    }
    JobStatus status = status_of(job, JobState::queued, static_cast<int>(delivered), log_.id());
    OutcomeDecision d = decide_outcome({Happened::delivery_limit, why}, job, static_cast<int>(delivered), now_ms(), 0);
    if (!recorder_.record(msg, job, status, d, Json(), nullptr)) recorder_.terminate(queue, msg, job.id, why);
}

void JobRunner::finish_unrun(Message& msg, const Job& job, const WhatHappened& what) {
    int attempt = 0;
    try {
        attempt = static_cast<int>(msg.num_delivered());
    } catch (const Error& e) {
        log_(spdlog::level::err, "job {}: reading its delivery count failed ({}); it will be redelivered", job.id,
             e.what());
        return;
    }
    JobStatus status = status_of(job, JobState::queued, attempt, log_.id());  // the decision sets its end
    recorder_.record(msg, job, status, decide_outcome(what, job, attempt, now_ms(), 0), Json(), nullptr);
}

void JobRunner::run(Message& msg, const Job& job) {
    const int attempt = static_cast<int>(msg.num_delivered());
    auto cancel = std::make_shared<CancelState>();
    if (job.timeout.count() > 0) cancel->deadline = std::chrono::steady_clock::now() + job.timeout;

    JobStatus status = status_of(job, JobState::running, attempt, log_.id());
    status.started_at_ms = status.updated_at_ms;

    // The lease keeper writes the "running" status if the job is still running after
    // kRunningStatusDelay: a short job costs one status write (its final state), not two.
    ProgressBox progress;  // on the stack, like `status`: no allocation per job for a feature few jobs use
    uint64_t token = leases_.enter(msg, cancel, status, settings_.stores_records, &progress);
    // A cancel request that arrived while the job was waiting for its slot.
    if (cancels_.requested(job.id)) {
        cancel->reason = "cancelled by request";
        cancel->by_request.store(true);
        cancel->cancelled.store(true);
    }

    JobObservation observed = telemetry_.observe(job, attempt);  // observability: started event, metrics
    Json result;
    WhatHappened what = run_handler(job, attempt, cancel, progress, result);
    if (leases_.leave(token)) return;           // shutdown nak'ed it; it runs again elsewhere
    status.progress = progress.latest().first;  // the final record keeps the last report

    OutcomeDecision decision = decide_outcome(what, job, attempt, now_ms(), unit_random());
    recorder_.record(msg, job, status, decision, std::move(result), &observed);
}

WhatHappened JobRunner::run_handler(const Job& job, int attempt, const std::shared_ptr<CancelState>& cancel,
                                    ProgressBox& progress, Json& result) {
    const TaskHandler* handler = tasks_.find(job.task);
    if (handler == nullptr) return {Happened::unknown_task, {}};
    JobContext ctx(job.id, job.queue, job.task, attempt, job.max_attempts, cancel,
                   [box = &progress](const JobProgress& p) { box->set(p); });
    std::optional<std::string> error;
    try {
        result = (*handler)(ctx, job.args);
    } catch (const Cancelled& e) {
        error = std::string("cancelled: ") + e.what();
    } catch (const std::exception& e) {
        error = e.what();
    } catch (...) {
        error = "handler threw a non-standard exception";
    }
    bool past_deadline = cancel->deadline && std::chrono::steady_clock::now() > *cancel->deadline;
    return handler_returned(std::move(error), cancel->by_request.load(std::memory_order_acquire), past_deadline);
}

}  // namespace naq
