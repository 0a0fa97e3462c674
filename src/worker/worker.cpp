// The worker's composition root (see worker_impl.hpp): start-up, the shutdown sequence and the
// public API.
#include <asio/post.hpp>

#include "core/instance_id.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "worker_impl.hpp"

namespace naq {

namespace {

WorkerOptions with_defaults(WorkerOptions options, const Config& config) {
    if (options.queues.empty()) options.queues = {config.queue.default_queue};
    for (const auto& q : options.queues) names::check_token(q, "queue name");
    for (std::size_t i = 0; i < options.queues.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (options.queues[i] == options.queues[j]) {
                throw InvalidArgument("queue " + options.queues[i] + " is named twice");
            }
        }
    }
    if (!options.weights.empty() && options.weights.size() != options.queues.size()) {
        throw InvalidArgument(std::to_string(options.weights.size()) + " weights for " +
                              std::to_string(options.queues.size()) + " queues: give one per queue, or none");
    }
    for (int w : options.weights) {
        if (w < 1 || w > kMaxQueueWeight) {
            throw InvalidArgument("queue weight " + std::to_string(w) + ": must be 1 to " +
                                  std::to_string(kMaxQueueWeight));
        }
    }
    if (options.weights.empty()) options.weights.assign(options.queues.size(), 1);
    if (options.concurrency <= 0) options.concurrency = config.worker.concurrency;
    return options;
}

}  // namespace

Worker::Impl::Impl(const Config& cfg, const TaskRegistry& t, WorkerOptions opts)
    : config(cfg),
      tasks(t),
      options(with_defaults(std::move(opts), config)),
      log(detail::make_instance_id(options.name)),
      fetcher(config, options, stopping, breaker, log,
              [this](const std::string& queue, Message& msg) { runner->process(queue, msg); }),
      leases(config, log),
      cancels(config, log, [this](const std::string& job_id) { leases.cancel(job_id); }),
      limiters(config, log, options.queues, [this] { fetcher.wake(); }),
      gates(config, log, options.queues,
            [this](Message msg, Job job) { resume_waiting(std::move(msg), std::move(job)); }),
      controls(config, log, options.queues, [this](const QueueControl& control) { on_control(control); }) {}

void Worker::Impl::run() {
    try {
        set_up();
    } catch (...) {
        std::lock_guard lock(started_mutex);
        start_error = std::current_exception();
        started_cv.notify_all();
        throw;
    }
    fetcher.start(*js, *pool, *telemetry, limiters, [this](std::exception_ptr error) { on_bound(error); });
    leases.start(
        job_records(),
        [this] {
            fetcher.extend_leases();
            parking->extend_leases();
            gates.extend_leases();
        },
        [this](const JobStatus& record) {
            Event e = job_event(EventType::progress, record);
            e.data = codec::progress_json(*record.progress);
            telemetry->publish(std::move(e));  // observability: naq job --follow, the dashboard
        });
    log(spdlog::level::info, "started: queues {}, concurrency {}", fmt::join(options.queues, ","), options.concurrency);
    telemetry->started();  // observability: worker_started event, status idle
    shut_down();
    if (std::string lost = fetcher.connection_lost(); !lost.empty()) {
        throw ConnectionError("the connection to NATS closed for good (" + lost +
                              "); the worker stopped: restart it (or set nats.max_reconnect_attempts to -1)");
    }
    // A queue that could not be bound stopped the worker: that is a failure, not a clean stop.
    std::exception_ptr bind_error;
    {
        std::lock_guard lock(started_mutex);
        bind_error = start_error;
    }
    if (bind_error) std::rethrow_exception(bind_error);
}

void Worker::Impl::set_up() {
    ensure_job_streams(config);
    js.emplace(jetstream(config));
    // Observability: heartbeats from here on.
    telemetry = std::make_unique<WorkerTelemetry>(
        config, WorkerTelemetrySources{log.id(), options.queues, options.concurrency, counters, stopping,
                                       [this] { return leases.running_job_ids(); },
                                       [this] { return fetcher.paused_queues(); }});
    if (config.worker.store_results) {
        // As many succeeded records awaiting confirmation as the consumer lets jobs be unacknowledged.
        records.emplace(config, config.worker.max_ack_pending);
    }
    for (const auto& q : options.queues) {
        for (Priority level : kPriorities) {  // each priority level has a consumer of its own
            ConsumerSpec spec;
            spec.stream = names::jobs_stream(config);
            spec.durable = names::worker_consumer(config, q, level);
            spec.filter_subject = names::queue_subject(config, q, level);
            spec.ack_wait = config.worker.ack_wait;
            spec.max_ack_pending = config.worker.max_ack_pending;
            // The server's backstop: the delivery past the limit is the worker's to dead-letter; if
            // the worker cannot even settle it, the server stops there.
            spec.max_deliver = config.worker.max_deliveries + 1;
            js->ensure_consumer(spec);
        }
    }
    pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(options.concurrency));
    parking.emplace(config, log, job_records(), *pool, stopping,
                    [this](Message& msg, const Job& job, Dependencies state, const std::string& failure) {
                        resume_parked(msg, job, state, failure);
                    });
    recorder.emplace(config, log, *js, job_records(), counters, *telemetry, breaker);
    runner.emplace(tasks, log, JobRunnerSettings{job_records() != nullptr, config.worker.max_deliveries}, leases,
                   cancels, *parking, gates, *recorder, *telemetry);
    cancels.start();
    limiters.start();
    gates.start();
    controls.start();  // before the fetch loops start: a paused queue is never fetched, a limit never passed
}

// Runs once fetching has stopped (stop(), or a consumer that could not be bound).
void Worker::Impl::shut_down() {
    fetcher.join();
    // Jobs waiting for dependencies go back at once; in-flight jobs get the grace period, then
    // are handed back.
    parking->hand_back_all();
    gates.hand_back_all();
    if (!fetcher.wait_idle(config.worker.shutdown_grace)) {
        telemetry->send_now();  // observability: their started events go out before the jobs go back
        leases.hand_back_all();
        // The handed-back jobs were cancelled: handlers that honour it return at once, and
        // then the pool can be joined instead of abandoned with threads still inside *this.
        fetcher.wait_idle(Millis(1000));
    }
    // Jobs whose records await the server's confirmation: acked when it comes, else handed back.
    const bool online = js->connection().connected();
    if (recorder) recorder->drain(online ? config.nats.request_timeout : Millis(0));
    leases.stop();
    cancels.stop();
    controls.stop();
    limiters.stop();  // after the handlers: a claim removed with jobs still running would let others pass the limit
    gates.stop();
    if (fetcher.running() == 0) {
        pool->join();
    } else {
        // Handlers still running past the grace period cannot be interrupted; their jobs were
        // handed back. Leave the pool (and its threads) to process exit, and the subscriptions
        // their messages still need with it.
        pool->stop();
        (void)pool.release();
        fetcher.keep_subscriptions_forever();
    }
    // Without a server nothing can be confirmed: a stopping worker does not wait for it.
    if (!online) {
        log(spdlog::level::warn,
            "not connected at shutdown: acks and writes still buffered are dropped (those jobs are redelivered "
            "after worker.ack_wait) and the status record expires after worker.worker_ttl");
    }
    telemetry->stopped(online);  // observability: worker_stopped event, status record removed
    try {
        if (online) {
            if (records) records->flush(Millis(2000));
            js->connection().flush(Millis(2000));
        }
    } catch (const Error& e) {
        log(spdlog::level::warn, "flush at shutdown: {}", e.what());
    }
    log(spdlog::level::info, "stopped: {} succeeded, {} failed, {} dead", counters.succeeded.load(),
        counters.failed.load(), counters.dead.load());
}

void Worker::Impl::on_bound(std::exception_ptr error) {
    std::lock_guard lock(started_mutex);
    if (error) {
        if (!start_error) start_error = error;
    } else {
        started = true;
    }
    started_cv.notify_all();
}

void Worker::Impl::on_control(const QueueControl& control) {
    const std::string& queue = control.queue;
    // The queue's own limits act before a fetch, its tasks' limits on each fetched job.
    QueueLimits whole_queue = control.limits;
    whole_queue.tasks.clear();
    if (limiters.of(queue).limits() != whole_queue) {
        limiters.set(queue, whole_queue);
        log(spdlog::level::info, "queue {} limits: rate {}, concurrency {}", queue,
            whole_queue.rate_max > 0 ? rate_text(whole_queue) : "none",
            whole_queue.concurrency > 0 ? std::to_string(whole_queue.concurrency) : "none");
    }
    gates.set(queue, control.limits.tasks);
    std::optional<std::size_t> moved = fetcher.set_paused(queue, control.paused);
    if (!moved) return;  // no change
    if (control.paused) {
        log(spdlog::level::info, "queue {} paused{}{}: fetching stops; running jobs finish, {} fetched job(s) wait",
            queue, control.reason.empty() ? "" : ": ", control.reason, *moved);
    } else {
        log(spdlog::level::info, "queue {} resumed: fetching again; {} held job(s) start", queue, *moved);
    }
    if (telemetry) telemetry->status_changed();  // `naq workers` shows it now, not at the next heartbeat
}

void Worker::Impl::resume_waiting(Message msg, Job job) {
    // Posted: the gates' thread goes on letting jobs in while this one runs.
    auto task = std::make_shared<std::pair<Message, Job>>(std::move(msg), std::move(job));
    asio::post(*pool, [this, task] {
        Fetcher::Slot slot(fetcher);  // it runs now: it takes a handler slot like a fetched job
        auto& [m, j] = *task;
        try {
            runner->run(m, j);
        } catch (const std::exception& e) {  // on a pool thread: nothing may escape
            log(spdlog::level::err, "job {}: running it failed ({}); it will be redelivered", j.id, e.what());
        }
        gates.leave(j.queue, j.task);
    });
}

void Worker::Impl::resume_parked(Message& msg, const Job& job, Dependencies state, const std::string& failure) {
    if (state == Dependencies::failed) {
        runner->finish_unrun(msg, job, {Happened::dependency_failed, failure});
        return;
    }
    Fetcher::Slot slot(fetcher);  // it runs now: it takes a handler slot like a fetched job
    try {
        runner->run_gated(job.queue, msg, job);
    } catch (const std::exception& e) {  // on a pool thread: nothing may escape
        log(spdlog::level::err, "job {}: running it failed ({}); it will be redelivered", job.id, e.what());
    }
}

// ---- public API

Worker::Worker(const Config& config, const TaskRegistry& tasks, WorkerOptions options)
    : impl_(std::make_unique<Impl>(config, tasks, std::move(options))) {}

Worker::~Worker() = default;

void Worker::run() { impl_->run(); }

void Worker::stop() {
    impl_->stopping.store(true);
    impl_->fetcher.wake();
}

void Worker::wait_started() const {
    std::unique_lock lock(impl_->started_mutex);
    impl_->started_cv.wait(lock, [this] { return impl_->started || impl_->start_error; });
    if (impl_->start_error) std::rethrow_exception(impl_->start_error);
}

const std::string& Worker::id() const { return impl_->log.id(); }

WorkerStats Worker::stats() const {
    WorkerStats s;
    s.succeeded = impl_->counters.succeeded.load();
    s.failed = impl_->counters.failed.load();
    s.retried = impl_->counters.retried.load();
    s.dead = impl_->counters.dead.load();
    s.in_flight = impl_->fetcher.running();
    return s;
}

}  // namespace naq
