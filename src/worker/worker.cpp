// The worker's outer loop: consumers, fetching, leases and graceful shutdown.
#include <unistd.h>

#include <asio/post.hpp>
#include <random>
#include <thread>

#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "worker_impl.hpp"

namespace naq {

namespace {

std::string make_worker_id(const std::string& name) {
    char host[256] = {0};
    ::gethostname(host, sizeof(host) - 1);
    std::mt19937 rng{std::random_device{}()};
    char suffix[8];
    std::snprintf(suffix, sizeof(suffix), "%06x", static_cast<unsigned>(rng() & 0xffffff));
    return (name.empty() ? std::string(host) : name) + "-" + std::to_string(::getpid()) + "-" + suffix;
}

}  // namespace

Worker::Impl::Impl(const Config& cfg, const TaskRegistry& t, WorkerOptions opts)
    : config(cfg), tasks(t), options(std::move(opts)), id(make_worker_id(options.name)) {
    if (options.queues.empty()) options.queues = {config.queue.default_queue};
    for (const auto& q : options.queues) names::check_token(q, "queue name");
    if (options.concurrency <= 0) options.concurrency = config.worker.concurrency;
    free_slots = options.concurrency;
}

void Worker::Impl::run() {
    std::vector<std::thread> fetchers;
    std::thread leases;
    try {
        ensure_job_streams(config);
        js.emplace(jetstream(config));
        if (config.worker.store_results) {
            status_kv.emplace(kv_store(Bucket::job_status, config));
            results_kv.emplace(kv_store(Bucket::results, config));
        }
        for (const auto& q : options.queues) {
            ConsumerSpec spec;
            spec.stream = names::jobs_stream(config);
            spec.durable = names::worker_consumer(config, q);
            spec.filter_subject = names::queue_subject(config, q);
            spec.ack_wait = config.worker.ack_wait;
            spec.max_ack_pending = config.worker.max_ack_pending;
            js->ensure_consumer(spec);
        }
        pool = std::make_unique<asio::thread_pool>(static_cast<std::size_t>(options.concurrency));
    } catch (...) {
        std::lock_guard lock(started_mutex);
        start_error = std::current_exception();
        started_cv.notify_all();
        throw;
    }
    for (const auto& q : options.queues) fetchers.emplace_back([this, q] { fetch_loop(q); });
    leases = std::thread([this] { lease_loop(); });
    log(spdlog::level::info, "started: queues {}, concurrency {}", fmt::join(options.queues, ","),
        options.concurrency);

    for (auto& t : fetchers) t.join();
    // Fetching has stopped. In-flight jobs get the grace period, then are handed back.
    {
        std::unique_lock lock(slot_mutex);
        bool drained = slot_cv.wait_for(lock, config.worker.shutdown_grace,
                                        [this] { return free_slots == options.concurrency; });
        if (!drained) {
            lock.unlock();
            hand_back_inflight();
        }
    }
    {
        std::lock_guard lock(lease_mutex);
        leases_done = true;
    }
    lease_cv.notify_all();
    leases.join();
    bool all_done = false;
    {
        std::lock_guard lock(slot_mutex);
        all_done = free_slots == options.concurrency;
    }
    if (all_done) {
        pool->join();
    } else {
        // Handlers still running past the grace period cannot be interrupted; their jobs were
        // handed back. Leave the pool (and its threads) to process exit.
        pool->stop();
        (void)pool.release();
    }
    try {
        if (status_kv) status_kv->flush_async(Millis(2000));
        js->connection().flush(Millis(2000));
    } catch (const Error& e) {
        log(spdlog::level::warn, "flush at shutdown: {}", e.what());
    }
    log(spdlog::level::info, "stopped: {} succeeded, {} failed, {} dead", succeeded.load(), failed.load(),
        dead.load());
}

void Worker::Impl::fetch_loop(const std::string& queue) {
    std::optional<PullSubscription> sub;
    try {
        sub.emplace(js->pull_subscribe(names::jobs_stream(config), names::worker_consumer(config, queue)));
    } catch (const Error& e) {
        log(spdlog::level::err, "queue {}: cannot bind consumer: {}", queue, e.what());
        stopping = true;
        std::lock_guard lock(started_mutex);
        if (!start_error) start_error = std::current_exception();
        started_cv.notify_all();
        return;
    }
    {
        std::lock_guard lock(started_mutex);
        started = true;
        started_cv.notify_all();
    }
    while (!stopping.load()) {
        int want = 0;
        {
            std::unique_lock lock(slot_mutex);
            slot_cv.wait_for(lock, Millis(200), [this] { return free_slots > 0 || stopping.load(); });
            if (stopping.load()) break;
            want = std::min(free_slots, config.worker.fetch_batch);
            free_slots -= want;
        }
        if (want == 0) continue;
        std::vector<Message> msgs;
        try {
            msgs = sub->fetch(want, config.worker.fetch_timeout);
        } catch (const Error& e) {
            log(spdlog::level::warn, "queue {}: fetch failed: {}", queue, e.what());
            std::this_thread::sleep_for(Millis(200));  // the connection is reconnecting
        }
        {
            std::lock_guard lock(slot_mutex);
            free_slots += want - static_cast<int>(msgs.size());
        }
        for (auto& m : msgs) {
            asio::post(*pool, [this, queue, m = std::move(m)]() mutable {
                process(queue, std::move(m));
                {
                    std::lock_guard lock(slot_mutex);
                    ++free_slots;
                }
                slot_cv.notify_all();
            });
        }
    }
}

void Worker::Impl::lease_loop() {
    // In-progress acks every third of the ack wait keep long jobs from being redelivered while
    // this worker lives; after a crash they come back within one ack wait.
    auto period = std::max(Millis(100), config.worker.ack_wait / 3);
    std::unique_lock lock(lease_mutex);
    while (!leases_done) {
        lease_cv.wait_for(lock, period, [this] { return leases_done; });
        if (leases_done) break;
        std::lock_guard guard(inflight_mutex);
        for (auto& [token, job] : inflight) {
            if (job.handed_back) continue;
            try {
                job.msg->in_progress();
            } catch (const Error& e) {
                log(spdlog::level::warn, "job {}: lease extension failed: {}", job.job_id, e.what());
            }
        }
    }
}

void Worker::Impl::hand_back_inflight() {
    std::lock_guard guard(inflight_mutex);
    for (auto& [token, job] : inflight) {
        if (job.handed_back) continue;
        job.handed_back = true;
        job.cancel->reason = "worker shutting down";
        job.cancel->cancelled.store(true, std::memory_order_release);
        try {
            job.msg->nak();
            log(spdlog::level::warn, "job {}: not finished within the shutdown grace; handed back", job.job_id);
        } catch (const Error& e) {
            log(spdlog::level::warn, "job {}: hand back failed ({}); it returns after the ack wait", job.job_id,
                e.what());
        }
    }
}

// ---- public API

Worker::Worker(const Config& config, const TaskRegistry& tasks, WorkerOptions options)
    : impl_(std::make_unique<Impl>(config, tasks, std::move(options))) {}

Worker::~Worker() = default;

void Worker::run() { impl_->run(); }

void Worker::stop() {
    impl_->stopping.store(true);
    impl_->slot_cv.notify_all();
}

void Worker::wait_started() const {
    std::unique_lock lock(impl_->started_mutex);
    impl_->started_cv.wait(lock, [this] { return impl_->started || impl_->start_error; });
    if (impl_->start_error) std::rethrow_exception(impl_->start_error);
}

const std::string& Worker::id() const { return impl_->id; }

WorkerStats Worker::stats() const {
    WorkerStats s;
    s.succeeded = impl_->succeeded.load();
    s.failed = impl_->failed.load();
    s.retried = impl_->retried.load();
    s.dead = impl_->dead.load();
    std::lock_guard lock(impl_->slot_mutex);
    s.in_flight = impl_->options.concurrency - impl_->free_slots;
    return s;
}

}  // namespace naq
