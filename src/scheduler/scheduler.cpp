// The scheduler service's outer shell: threads, the leader lease, start/stop and statistics.
#include <algorithm>
#include <thread>

#include "core/instance_id.hpp"
#include "naq/errors.hpp"
#include "scheduler_impl.hpp"

namespace naq {

namespace {

constexpr std::size_t kLatenessSamples = 1'000'000;

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    auto index = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
    return sorted[std::min(index, sorted.size() - 1)];
}

}  // namespace

Scheduler::Impl::Impl(const Config& cfg, SchedulerOptions opts)
    : config(cfg),
      options(std::move(opts)),
      policy(options.missed_runs.value_or(config.scheduler.missed_runs)),
      id(detail::make_instance_id(options.name)),
      lease(std::make_unique<LeaderLease>(config, id)) {
    // A run fired twice must fall inside the jobs stream's dedup window to be dropped.
    Millis cap = config.jetstream.duplicate_window - config.scheduler.lock_ttl;
    if (cap < Millis(0)) cap = Millis(0);
    options.catch_up = std::clamp(options.catch_up, Millis(0), cap);
    if (options.standby_poll <= Millis(0)) options.standby_poll = Millis(250);
    if (options.max_batch == 0) options.max_batch = 1;
}

void Scheduler::Impl::mark_started(bool* flag) {
    std::lock_guard lock(started_mutex);
    *flag = true;
    started_cv.notify_all();
}

void Scheduler::Impl::run() {
    std::thread watch_thread;
    std::thread lease_thread;
    try {
        ensure_job_streams(config);
        kv.emplace(kv_store(Bucket::scheduled_jobs, config));
        events = std::make_unique<EventPublisher>(config);
        watch_thread = std::thread([this] { watch_loop(); });
        lease_thread = std::thread([this] { lease_loop(); });
        publisher_thread = std::thread([this] { publish_loop(); });
        advancer_thread = std::thread([this] { advance_loop(); });
    } catch (...) {
        std::lock_guard lock(started_mutex);
        start_error = std::current_exception();
        started_cv.notify_all();
        throw;
    }
    log(spdlog::level::info, "started (missed runs: {}, catch-up {} ms)", to_string(policy), options.catch_up.count());
    io.run();
    stopping = true;
    {
        std::lock_guard lock(watcher_mutex);
        if (watcher != nullptr) watcher->stop();
    }
    watch_thread.join();
    drain_pipeline();  // runs already due are published and recorded while we still lead
    lease_stop = true;
    lease_cv.notify_all();
    lease_thread.join();
    log(spdlog::level::info, "stopped");
    if (connection_lost) {
        throw ConnectionError(
            "the connection to NATS closed for good; the scheduler stopped: restart it (or set "
            "nats.max_reconnect_attempts to -1)");
    }
}

void Scheduler::Impl::request_stop() {
    stopping = true;  // first: no handler re-arms the timer after the cancel below
    asio::post(io, [this] {
        timer.cancel();
        guard.reset();
    });
    std::lock_guard lock(watcher_mutex);
    if (watcher != nullptr) watcher->stop();
    lease_cv.notify_all();
}

void Scheduler::Impl::watch_loop() {
    while (!stopping) {
        try {
            KvWatcher w = kv->watch("*");
            asio::post(io, [this] { begin_load(); });
            {
                std::lock_guard lock(watcher_mutex);
                if (stopping) return;
                watcher = &w;
            }
            struct Clear {
                Impl* self;
                ~Clear() {
                    std::lock_guard lock(self->watcher_mutex);
                    self->watcher = nullptr;
                }
            } clear{this};
            while (!stopping) {
                auto change = w.next(Millis(1000));
                if (change) asio::post(io, [this, c = std::move(*change)] { apply(c); });
            }
        } catch (const Cancelled&) {
            return;  // stop() stopped the watcher
        } catch (const Error& e) {
            if (stopping) return;
            log(spdlog::level::warn, "schedule watch failed, restarting it: {}", e.what());
            std::unique_lock lock(lease_mutex);
            lease_cv.wait_for(lock, Millis(500), [this] { return stopping.load(); });
        }
    }
}

void Scheduler::Impl::lease_loop() {
    bool was_leader = false;
    while (!lease_stop) {
        if (stopping && !was_leader) break;  // a standby that is stopping does not bid
        const auto tick_started = std::chrono::steady_clock::now();
        bool now_leader = lease->tick();
        if (!connection_lost && kv->connection().closed()) {
            // cnats stopped reconnecting (a finite nats.max_reconnect_attempts): nothing can work
            // any more. Stop, so that the process exits non-zero and its supervisor starts anew.
            log(spdlog::level::err, "the connection to NATS is closed for good; stopping");
            connection_lost = true;
            request_stop();
        }
        if (now_leader && !was_leader) {
            {
                std::lock_guard lock(stats_mutex);
                ++counters.leader_terms;
            }
            log(spdlog::level::info, "became leader");
            asio::post(io, [this] { rearm(); });
        } else if (!now_leader && was_leader) {
            log(spdlog::level::warn, "no longer leader");
        }
        was_leader = now_leader;
        if (!lease_checked) mark_started(&lease_checked);
        // The next tick is due a period after this one began: a tick that waited out an outage
        // leaves less of the lease, so the renewal comes sooner.
        auto period = now_leader ? config.scheduler.lock_renew : options.standby_poll;
        std::unique_lock lock(lease_mutex);
        lease_cv.wait_until(lock, tick_started + period,
                            [this] { return lease_stop.load() || (stopping.load() && !leading()); });
    }
    if (!lease_checked) mark_started(&lease_checked);
    lease->release();
}

void Scheduler::Impl::record_lateness(double ms) {
    std::lock_guard lock(stats_mutex);
    if (lateness.size() < kLatenessSamples) {
        lateness.push_back(ms);
    } else {
        lateness[lateness_next] = ms;
        lateness_next = (lateness_next + 1) % kLatenessSamples;
    }
}

// ---- public

Scheduler::Scheduler(const Config& config, SchedulerOptions options)
    : impl_(std::make_unique<Impl>(config, std::move(options))) {
    config.validate();
}

Scheduler::~Scheduler() = default;

void Scheduler::run() { impl_->run(); }

void Scheduler::stop() { impl_->request_stop(); }

void Scheduler::wait_started() const {
    std::unique_lock lock(impl_->started_mutex);
    impl_->started_cv.wait(lock,
                           [this] { return (impl_->synced && impl_->lease_checked) || impl_->start_error != nullptr; });
    if (impl_->start_error) std::rethrow_exception(impl_->start_error);
}

bool Scheduler::is_leader() const { return impl_->leading(); }

const std::string& Scheduler::id() const { return impl_->id; }

SchedulerStats Scheduler::stats() const {
    std::vector<double> samples;
    SchedulerStats out;
    {
        std::lock_guard lock(impl_->stats_mutex);
        out = impl_->counters;
        samples = impl_->lateness;
    }
    out.leader = is_leader();
    out.schedules = impl_->known.load();
    std::sort(samples.begin(), samples.end());
    out.lateness.count = samples.size();
    out.lateness.p50_ms = percentile(samples, 0.50);
    out.lateness.p99_ms = percentile(samples, 0.99);
    out.lateness.max_ms = samples.empty() ? 0 : samples.back();
    return out;
}

}  // namespace naq
