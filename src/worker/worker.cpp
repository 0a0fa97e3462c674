// The worker's outer loop: consumers, fetching, leases and graceful shutdown.
#include <asio/post.hpp>
#include <algorithm>
#include <thread>

#include "core/instance_id.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"
#include "naq/queue.hpp"
#include "worker_impl.hpp"

namespace naq {

Worker::Impl::Impl(const Config& cfg, const TaskRegistry& t, WorkerOptions opts)
    : config(cfg), tasks(t), options(std::move(opts)), id(detail::make_instance_id(options.name)) {
    if (options.queues.empty()) options.queues = {config.queue.default_queue};
    for (const auto& q : options.queues) names::check_token(q, "queue name");
    if (options.concurrency <= 0) options.concurrency = config.worker.concurrency;
    free_slots = options.concurrency;
    idle_runners = options.concurrency;
}

void Worker::Impl::run() {
    std::vector<std::thread> fetchers;
    std::thread leases;
    try {
        ensure_job_streams(config);
        js.emplace(jetstream(config));
        telemetry = std::make_unique<WorkerTelemetry>(*this);  // observability: heartbeats from here on
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
        start_cancel_watch();
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
    telemetry->started();  // observability: worker_started event, status idle

    for (auto& t : fetchers) t.join();
    // Fetching has stopped. Jobs waiting for dependencies go back at once; in-flight jobs get
    // the grace period, then are handed back.
    hand_back_parked();
    {
        std::unique_lock lock(slot_mutex);
        bool drained = slot_cv.wait_for(lock, config.worker.shutdown_grace,
                                        [this] { return free_slots == options.concurrency; });
        if (!drained) {
            lock.unlock();
            hand_back_inflight();
            // The handed-back jobs were cancelled: handlers that honour it return at once, and
            // then the pool can be joined instead of abandoned with threads still inside *this.
            lock.lock();
            slot_cv.wait_for(lock, Millis(1000), [this] { return free_slots == options.concurrency; });
        }
    }
    {
        std::lock_guard lock(lease_mutex);
        leases_done = true;
    }
    lease_cv.notify_all();
    leases.join();
    stop_cancel_watch();
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
        // Their messages still need their subscriptions: keep those (reachable) until exit too.
        static std::mutex graveyard_mutex;
        static auto* graveyard = new std::vector<PullSubscription>();
        std::scoped_lock lock(graveyard_mutex, subs_mutex);
        for (auto& s : retired_subs) graveyard->push_back(std::move(s));
        retired_subs.clear();
    }
    // Without a server nothing can be confirmed: a stopping worker does not wait for it.
    const bool online = js->connection().connected();
    if (!online) {
        log(spdlog::level::warn,
            "not connected at shutdown: acks and writes still buffered are dropped (those jobs are redelivered "
            "after worker.ack_wait) and the status record expires after worker.worker_ttl");
    }
    telemetry->stopped(online);  // observability: worker_stopped event, status record removed
    try {
        if (online) {
            if (status_kv) status_kv->flush_async(Millis(2000));
            js->connection().flush(Millis(2000));
        }
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
    const std::string* queue_name = &*std::find(options.queues.begin(), options.queues.end(), queue);
    while (!stopping.load()) {
        int want = 0;
        {
            std::unique_lock lock(slot_mutex);
            slot_cv.wait_for(lock, Millis(200),
                             [this] { return fetch_room() >= fetch_threshold() || stopping.load(); });
            if (stopping.load()) break;
            want = std::min(fetch_room(), config.worker.fetch_batch);
            fetching += want;
        }
        if (want <= 0) continue;
        std::vector<Message> msgs;
        try {
            auto fetch_start = std::chrono::steady_clock::now();
            msgs = sub->fetch(want, config.worker.fetch_timeout);
            telemetry->fetched(queue, msgs.size(), std::chrono::steady_clock::now() - fetch_start);  // metrics
        } catch (const Error& e) {
            log(spdlog::level::warn, "queue {}: fetch failed: {}", queue, e.what());
            std::this_thread::sleep_for(Millis(200));  // the connection is reconnecting
        }
        int start = 0;
        {
            std::lock_guard lock(slot_mutex);
            fetching -= want;
            for (auto& m : msgs) ready.push_back({queue_name, std::move(m)});
            start = std::min(idle_runners, static_cast<int>(ready.size()));
            idle_runners -= start;
        }
        for (int i = 0; i < start; ++i) asio::post(*pool, [this] { run_ready(); });
        if (options.queues.size() > 1) slot_cv.notify_all();  // the other queues' fetchers look again
    }
    hand_back_ready();
    std::lock_guard lock(subs_mutex);
    retired_subs.push_back(std::move(*sub));
}

// Prefetching: the fetcher keeps up to prefetch_depth() jobs fetched ahead of the handlers, so a
// handler that finishes takes its next job at once instead of waiting for a fetch round trip.
// The depth shrinks as jobs get longer (a buffered job should start within ~100 ms), so long
// jobs are not held back from other workers; buffered jobs' leases are extended like running ones.
int Worker::Impl::prefetch_depth() const {
    constexpr int64_t kMaxWaitUs = 100'000;
    int64_t job_us = std::max<int64_t>(1, recent_job_us.load(std::memory_order_relaxed));
    int64_t depth = kMaxWaitUs * options.concurrency / job_us;
    return static_cast<int>(std::min<int64_t>(depth, config.worker.fetch_batch));
}

int Worker::Impl::fetch_room() const {
    int running = options.concurrency - free_slots;
    int room = options.concurrency + prefetch_depth() - running - static_cast<int>(ready.size());
    const int queues = static_cast<int>(options.queues.size());
    if (queues == 1) return room - fetching;
    // Several queues: each fetcher may ask for its share of the room whatever the others have
    // asked for, and at least one job. A fetcher long-polling an empty queue must not hold the
    // whole room, or the other queues starve; the cost is at most one job per queue fetched
    // beyond the free slots, which waits in `ready` with its lease kept alive.
    return room <= 0 ? 0 : std::max(1, room / queues);
}

int Worker::Impl::fetch_threshold() const {
    // Fetch in batches of at least half the prefetch depth (per queue), not one message per
    // finished job.
    const int queues = static_cast<int>(options.queues.size());
    return std::max(1, std::min(prefetch_depth(), config.worker.fetch_batch) / 2 / queues);
}

void Worker::Impl::run_ready() {
    // Finished messages are released in batches: cnats hands every released message to its
    // garbage-collector thread and wakes it, and one wake-up per job costs more than a no-op job.
    constexpr std::size_t kReleaseBatch = 64;
    std::vector<Message> finished;
    finished.reserve(kReleaseBatch);
    // One slot_mutex round per job: finishing a job and taking the next happen together.
    bool finished_one = false;
    while (true) {
        std::optional<Prefetched> job;
        bool wake = false;
        {
            std::lock_guard lock(slot_mutex);
            if (finished_one) ++free_slots;
            if (!ready.empty() && !stopping.load()) {
                job.emplace(std::move(ready.front()));
                ready.pop_front();
                --free_slots;
            } else {
                ++idle_runners;
            }
            wake = finished_one && (free_slots == options.concurrency || fetch_room() >= fetch_threshold());
        }
        if (wake) slot_cv.notify_all();
        if (!job) break;
        auto t0 = std::chrono::steady_clock::now();
        process(*job->queue, job->msg);
        finished.push_back(std::move(job->msg));
        if (finished.size() >= kReleaseBatch) finished.clear();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        int64_t avg = recent_job_us.load(std::memory_order_relaxed);
        recent_job_us.store(avg + (us - avg) / 8, std::memory_order_relaxed);  // moving average, races benign
        finished_one = true;
    }
    slot_cv.notify_all();
}

void Worker::Impl::hand_back_ready() {
    std::deque<Prefetched> unstarted;
    {
        std::lock_guard lock(slot_mutex);
        unstarted.swap(ready);
    }
    for (auto& p : unstarted) {
        try {
            p.msg.nak();  // redeliver now, to another worker
        } catch (const Error& e) {
            log(spdlog::level::warn, "queue {}: handing back a prefetched job failed: {}", *p.queue, e.what());
        }
    }
}

void Worker::Impl::lease_loop() {
    // In-progress acks every third of the ack wait keep long jobs from being redelivered while
    // this worker lives; after a crash they come back within one ack wait.
    // It also writes the "running" status of jobs that run longer than kRunningStatusDelay.
    auto period = std::max(Millis(100), config.worker.ack_wait / 3);
    auto next_lease = std::chrono::steady_clock::now() + period;
    std::unique_lock lock(lease_mutex);
    while (!leases_done) {
        lease_cv.wait_for(lock, kRunningStatusDelay, [this] { return leases_done; });
        if (leases_done) break;
        write_running_statuses();
        if (std::chrono::steady_clock::now() < next_lease) continue;
        next_lease = std::chrono::steady_clock::now() + period;
        {
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
        {
            std::lock_guard guard(slot_mutex);
            for (auto& p : ready) {
                try {
                    p.msg.in_progress();
                } catch (const Error& e) {
                    log(spdlog::level::warn, "queue {}: lease extension failed: {}", *p.queue, e.what());
                }
            }
        }
        std::lock_guard guard(parked_mutex);
        for (auto& [token, p] : parked) {
            try {
                p->msg.in_progress();
            } catch (const Error& e) {
                log(spdlog::level::warn, "job {}: lease extension failed: {}", p->job.id, e.what());
            }
        }
    }
}

void Worker::Impl::write_running_statuses() {
    if (!status_kv) return;
    auto due = std::chrono::steady_clock::now() - kRunningStatusDelay;
    std::lock_guard guard(inflight_mutex);
    for (auto& [token, job] : inflight) {
        if (job.running_status == nullptr || job.handed_back || job.started > due) continue;
        try {
            status_kv->put_nowait(job.job_id, codec::encode(*job.running_status));
        } catch (const Error& e) {
            log(spdlog::level::warn, "job {}: writing its running status failed: {}", job.job_id, e.what());
        }
        job.running_status = nullptr;
    }
}

void Worker::Impl::hand_back_inflight() {
    telemetry->send_now();  // observability: their started events go out before the jobs go back
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
