// Fetching and prefetching (see fetcher.hpp).
#include "fetcher.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <optional>

#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Fetcher::Fetcher(const Config& config, const WorkerOptions& options, std::atomic<bool>& stopping, const WorkerLog& log,
                 Process process)
    : config_(config),
      options_(options),
      stopping_(stopping),
      log_(log),
      process_(std::move(process)),
      free_slots_(options.concurrency),
      idle_runners_(options.concurrency) {}

void Fetcher::start(JetStream& js, asio::thread_pool& pool, WorkerTelemetry& telemetry, QueueLimiters& limiters,
                    OnBound on_bound) {
    js_ = &js;
    pool_ = &pool;
    telemetry_ = &telemetry;
    limiters_ = &limiters;
    on_bound_ = std::move(on_bound);
    for (const auto& q : options_.queues) threads_.emplace_back([this, q] { fetch_loop(q); });
}

std::string Fetcher::connection_lost() const {
    std::lock_guard lock(lost_mutex_);
    return connection_lost_;
}

void Fetcher::note_connection_lost(const std::string& why) {
    std::lock_guard lock(lost_mutex_);
    if (connection_lost_.empty()) connection_lost_ = why;  // the first cause is the one to report
}

void Fetcher::join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
}

void Fetcher::fetch_loop(const std::string& queue) {
    std::optional<PullSubscription> sub;
    try {
        sub.emplace(js_->pull_subscribe(names::jobs_stream(config_), names::worker_consumer(config_, queue)));
    } catch (const Error& e) {
        log_(spdlog::level::err, "queue {}: cannot bind consumer: {}", queue, e.what());
        // Closed for good while starting: the same exit as when it closes later (exit 5).
        if (js_->connection().closed()) note_connection_lost(e.what());
        stopping_ = true;
        on_bound_(std::current_exception());
        return;
    }
    on_bound_(nullptr);
    const std::string* queue_name = &*std::find(options_.queues.begin(), options_.queues.end(), queue);
    QueueLimiter& limiter = limiters_->of(queue);
    while (!stopping_.load()) {
        {
            std::unique_lock lock(slot_mutex_);
            if (paused_.count(queue) != 0) {
                if (limiter.active()) {
                    // Its running jobs still count: the claim is kept true and alive meanwhile.
                    int hand = in_hand_[queue_name];
                    lock.unlock();
                    limiter.keep(hand);
                    lock.lock();
                    slot_cv_.wait_for(lock, Millis(1000),
                                      [&] { return stopping_.load() || paused_.count(queue) == 0; });
                } else {
                    slot_cv_.wait(lock, [&] { return stopping_.load() || paused_.count(queue) == 0; });
                }
                continue;
            }
        }
        if (auto paused = paused_for(); paused > Millis(0)) {
            std::unique_lock lock(slot_mutex_);
            slot_cv_.wait_for(lock, paused, [this] { return stopping_.load(); });
            continue;
        }
        int want = 0;
        int hand = 0;
        const bool limited = limiter.active();
        {
            std::unique_lock lock(slot_mutex_);
            slot_cv_.wait_for(lock, Millis(200),
                              [this] { return fetch_room() >= fetch_threshold() || stopping_.load(); });
            if (stopping_.load()) break;
            want = std::min(fetch_room(), config_.worker.fetch_batch);
            // A concurrency limit counts fetched jobs as running: fetch no more than can start now.
            if (limited && limiter.limits_concurrency()) {
                want = std::min(want, free_slots_ - static_cast<int>(ready_.size()));
            }
            want = std::max(want, 0);
            fetching_ += want;
            hand = in_hand_[queue_name];
        }
        if (want <= 0) {
            if (limited) limiter.keep(hand);  // jobs that finished leave the claim
            continue;
        }
        QueueLimiter::Grant grant;
        if (limited && (want = admit(queue_name, limiter, want, grant)) == 0) continue;
        std::vector<Message> msgs;
        try {
            auto fetch_start = std::chrono::steady_clock::now();
            msgs = sub->fetch(want, config_.worker.fetch_timeout);
            telemetry_->fetched(queue, msgs.size(), std::chrono::steady_clock::now() - fetch_start);  // metrics
        } catch (const Error& e) {
            if (js_->connection().closed()) {
                // cnats stopped reconnecting: fetching again can only fail. Stop, so that the
                // process exits non-zero and its supervisor starts a fresh one.
                log_(spdlog::level::err, "queue {}: the connection to NATS is closed for good ({}); stopping", queue,
                     e.what());
                note_connection_lost(e.what());
                stopping_ = true;
                wake();
            } else {
                log_(spdlog::level::warn, "queue {}: fetch failed: {}", queue, e.what());
                std::this_thread::sleep_for(Millis(200));  // the connection is reconnecting
            }
        }
        int start = 0;
        {
            std::lock_guard lock(slot_mutex_);
            fetching_ -= want;
            // Paused while this fetch waited: what it brought waits for the resume.
            auto& into = paused_.count(queue) != 0 ? held_ : ready_;
            for (auto& m : msgs) into.push_back({queue_name, std::move(m)});
            hand = in_hand_[queue_name] += static_cast<int>(msgs.size());
            start = take_idle_runners();
        }
        if (limited) limiter.fetched(grant, static_cast<int>(msgs.size()), hand);
        for (int i = 0; i < start; ++i) asio::post(*pool_, [this] { run_ready(); });
        if (options_.queues.size() > 1) slot_cv_.notify_all();  // the other queues' fetchers look again
    }
    hand_back_ready();
    std::lock_guard lock(subs_mutex_);
    retired_subs_.push_back(std::move(*sub));
}

int Fetcher::admit(const std::string* queue, QueueLimiter& limiter, int want, QueueLimiter::Grant& grant) {
    int hand = 0;
    {
        std::lock_guard lock(slot_mutex_);
        hand = in_hand_[queue];
    }
    grant = limiter.admit(want, hand);
    std::unique_lock lock(slot_mutex_);
    fetching_ -= want - grant.jobs;
    if (grant.jobs > 0) return grant.jobs;
    // No room now: wait, holding no handler slot, for the window's end, a change of the limits
    // or of another worker's claim (the limits watch), or one of this worker's jobs to finish.
    slot_cv_.wait_for(lock, grant.retry_in,
                      [&] { return stopping_.load() || limiter.version() != grant.version || in_hand_[queue] < hand; });
    return 0;
}

int Fetcher::take_idle_runners() {
    int start = std::min(idle_runners_, static_cast<int>(ready_.size()));
    idle_runners_ -= start;
    return start;
}

std::optional<std::size_t> Fetcher::set_paused(const std::string& queue, bool paused) {
    std::size_t moved = 0;
    int start = 0;
    {
        std::lock_guard lock(slot_mutex_);
        if (paused == (paused_.count(queue) != 0)) return std::nullopt;
        auto& from = paused ? ready_ : held_;
        auto& to = paused ? held_ : ready_;
        for (auto it = from.begin(); it != from.end();) {
            if (*it->queue == queue) {
                to.push_back(std::move(*it));
                it = from.erase(it);
                ++moved;
            } else {
                ++it;
            }
        }
        if (paused) {
            paused_.insert(queue);
        } else {
            paused_.erase(queue);
            if (pool_ != nullptr) start = take_idle_runners();
        }
    }
    for (int i = 0; i < start; ++i) asio::post(*pool_, [this] { run_ready(); });
    slot_cv_.notify_all();  // the queue's fetch loop waits for the resume
    return moved;
}

std::vector<std::string> Fetcher::paused_queues() const {
    std::lock_guard lock(slot_mutex_);
    return {paused_.begin(), paused_.end()};
}

void Fetcher::pause_fetching(Millis pause) {
    int64_t until = steady_ns() + std::chrono::duration_cast<std::chrono::nanoseconds>(pause).count();
    int64_t current = paused_until_ns_.load();
    while (current < until && !paused_until_ns_.compare_exchange_weak(current, until)) {}
}

Millis Fetcher::paused_for() const {
    return std::chrono::duration_cast<Millis>(std::chrono::nanoseconds(paused_until_ns_.load() - steady_ns()));
}

// Prefetching: the fetcher keeps up to prefetch_depth() jobs fetched ahead of the handlers, so a
// handler that finishes takes its next job at once instead of waiting for a fetch round trip.
// The depth shrinks as jobs get longer (a buffered job should start within ~100 ms), so long
// jobs are not held back from other workers; buffered jobs' leases are extended like running ones.
int Fetcher::prefetch_depth() const {
    constexpr int64_t kMaxWaitUs = 100'000;
    int64_t job_us = std::max<int64_t>(1, recent_job_us_.load(std::memory_order_relaxed));
    int64_t depth = kMaxWaitUs * options_.concurrency / job_us;
    return static_cast<int>(std::min<int64_t>(depth, config_.worker.fetch_batch));
}

int Fetcher::fetch_room() const {
    int running = options_.concurrency - free_slots_;
    int room = options_.concurrency + prefetch_depth() - running - static_cast<int>(ready_.size());
    const int queues = static_cast<int>(options_.queues.size());
    if (queues == 1) return room - fetching_;
    // Several queues: each fetcher may ask for its share of the room whatever the others have
    // asked for, and at least one job. A fetcher long-polling an empty queue must not hold the
    // whole room, or the other queues starve; the cost is at most one job per queue fetched
    // beyond the free slots, which waits in `ready_` with its lease kept alive.
    return room <= 0 ? 0 : std::max(1, room / queues);
}

int Fetcher::fetch_threshold() const {
    // Fetch in batches of at least half the prefetch depth (per queue), not one message per
    // finished job.
    const int queues = static_cast<int>(options_.queues.size());
    return std::max(1, std::min(prefetch_depth(), config_.worker.fetch_batch) / 2 / queues);
}

void Fetcher::run_ready() {
    // Finished messages are released in batches: cnats hands every released message to its
    // garbage-collector thread and wakes it, and one wake-up per job costs more than a no-op job.
    constexpr std::size_t kReleaseBatch = 64;
    std::vector<Message> finished;
    finished.reserve(kReleaseBatch);
    // One slot_mutex_ round per job: finishing a job and taking the next happen together.
    bool finished_one = false;
    const std::string* finished_queue = nullptr;
    while (true) {
        std::optional<Prefetched> job;
        bool wake = false;
        {
            std::lock_guard lock(slot_mutex_);
            if (finished_one) {
                ++free_slots_;
                --in_hand_[finished_queue];
            }
            if (!ready_.empty() && !stopping_.load()) {
                job.emplace(std::move(ready_.front()));
                ready_.pop_front();
                --free_slots_;
            } else {
                ++idle_runners_;
            }
            wake = finished_one && (free_slots_ == options_.concurrency || fetch_room() >= fetch_threshold() ||
                                    limiters_->of(*finished_queue).active());  // it may wait for this one
        }
        if (wake) slot_cv_.notify_all();
        if (!job) break;
        auto t0 = std::chrono::steady_clock::now();
        try {
            process_(*job->queue, job->msg);
        } catch (const std::exception& e) {
            // The runner settles every job itself; this only keeps a bug there from ending the
            // process. The job is left unacked and comes back after the ack wait.
            log_(spdlog::level::err, "queue {}: processing a job failed ({}); it will be redelivered", *job->queue,
                 e.what());
        }
        finished.push_back(std::move(job->msg));
        if (finished.size() >= kReleaseBatch) finished.clear();
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        int64_t avg = recent_job_us_.load(std::memory_order_relaxed);
        recent_job_us_.store(avg + (us - avg) / 8, std::memory_order_relaxed);  // moving average, races benign
        finished_one = true;
        finished_queue = job->queue;
    }
    slot_cv_.notify_all();
}

void Fetcher::hand_back_ready() {
    std::deque<Prefetched> unstarted;
    {
        std::lock_guard lock(slot_mutex_);
        unstarted.swap(ready_);
        for (auto& p : held_) unstarted.push_back(std::move(p));
        held_.clear();
        for (const auto& p : unstarted) --in_hand_[p.queue];
    }
    for (auto& p : unstarted) {
        try {
            p.msg.nak();  // redeliver now, to another worker
        } catch (const Error& e) {
            log_(spdlog::level::warn, "queue {}: handing back a prefetched job failed: {}", *p.queue, e.what());
        }
    }
}

bool Fetcher::wait_idle(Millis timeout) {
    std::unique_lock lock(slot_mutex_);
    return slot_cv_.wait_for(lock, timeout, [this] { return free_slots_ == options_.concurrency; });
}

int Fetcher::running() const {
    std::lock_guard lock(slot_mutex_);
    return options_.concurrency - free_slots_;
}

void Fetcher::extend_leases() {
    std::lock_guard guard(slot_mutex_);
    for (auto* waiting : {&ready_, &held_}) {
        for (auto& p : *waiting) {
            try {
                p.msg.in_progress();
            } catch (const Error& e) {
                log_(spdlog::level::warn, "queue {}: lease extension failed: {}", *p.queue, e.what());
            }
        }
    }
}

void Fetcher::keep_subscriptions_forever() {
    static std::mutex graveyard_mutex;
    static auto* graveyard = new std::vector<PullSubscription>();
    std::scoped_lock lock(graveyard_mutex, subs_mutex_);
    for (auto& s : retired_subs_) graveyard->push_back(std::move(s));
    retired_subs_.clear();
}

Fetcher::Slot::Slot(Fetcher& f) : f_(f) {
    std::lock_guard lock(f_.slot_mutex_);
    --f_.free_slots_;  // it runs now: take a handler slot like a fetched job
}

Fetcher::Slot::~Slot() {
    {
        std::lock_guard lock(f_.slot_mutex_);
        ++f_.free_slots_;
    }
    f_.slot_cv_.notify_all();
}

}  // namespace naq
