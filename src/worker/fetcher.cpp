// Fetching and prefetching (see fetcher.hpp).
#include "fetcher.hpp"

#include <algorithm>
#include <asio/post.hpp>
#include <optional>

#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

// How often a limited queue's idle high and low levels are looked at, and how long that pull waits.
constexpr Millis kLevelLook{250};
constexpr Millis kQuickPull{20};

}  // namespace

Fetcher::Fetcher(const Config& config, const WorkerOptions& options, std::atomic<bool>& stopping,
                 const RecordBreaker& records, const WorkerLog& log, Process process)
    : config_(config),
      options_(options),
      stopping_(stopping),
      records_(records),
      log_(log),
      process_(std::move(process)),
      free_slots_(options.concurrency),
      ready_(options.weights, options.strict),
      idle_runners_(options.concurrency),
      running_(options.queues.size(), 0),
      in_hand_(options.queues.size(), 0) {
    for (int w : options.weights) total_weight_ += w;
}

void Fetcher::start(JetStream& js, asio::thread_pool& pool, WorkerTelemetry& telemetry, QueueLimiters& limiters,
                    OnBound on_bound) {
    js_ = &js;
    pool_ = &pool;
    telemetry_ = &telemetry;
    for (const auto& q : options_.queues) limiters_.push_back(&limiters.of(q));
    on_bound_ = std::move(on_bound);
    for (std::size_t q = 0; q < options_.queues.size(); ++q) {
        for (Priority level : kPriorities) units_.push_back(Unit{q, level});
    }
    for (auto& unit : units_) threads_.emplace_back([this, &unit] { fetch_loop(unit); });
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

void Fetcher::fetch_loop(Unit& unit) {
    const std::string& queue = options_.queues[unit.queue];
    const std::string consumer = names::worker_consumer(config_, queue, unit.level);
    std::optional<PullSubscription> sub;
    try {
        sub.emplace(js_->pull_subscribe(names::jobs_stream(config_), consumer));
    } catch (const Error& e) {
        log_(spdlog::level::err, "queue {}: cannot bind consumer {}: {}", queue, consumer, e.what());
        // Closed for good while starting: the same exit as when it closes later (exit 5).
        if (js_->connection().closed()) note_connection_lost(e.what());
        stopping_ = true;
        on_bound_(std::current_exception());
        return;
    }
    on_bound_(nullptr);
    QueueLimiter& limiter = *limiters_[unit.queue];
    while (!stopping_.load()) {
        {
            std::unique_lock lock(slot_mutex_);
            if (paused_.count(queue) != 0) {
                if (limiter.active()) {
                    // Its running jobs still count: the claim is kept true and alive meanwhile.
                    int hand = in_hand_[unit.queue];
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
        if (auto paused = records_.open_for(); paused > Millis(0)) {
            std::unique_lock lock(slot_mutex_);
            slot_cv_.wait_for(lock, paused, [this] { return stopping_.load(); });
            continue;
        }
        int want = 0;
        int hand = 0;
        const bool limited = limiter.active();
        const bool idle = unit.idle;
        // A limited queue's room is taken before a fetch: a pull waiting on an empty level would
        // hold it. Its high and low levels are looked at with a short pull every kLevelLook
        // instead, which holds the room for a moment (the normal level waits at the server).
        const bool quick = limited && idle && unit.level != Priority::normal;
        {
            std::unique_lock lock(slot_mutex_);
            if (quick) slot_cv_.wait_for(lock, kLevelLook, [this] { return stopping_.load(); });
            slot_cv_.wait_for(lock, Millis(200),
                              [&] { return fetch_room(unit) >= fetch_threshold(unit) || stopping_.load(); });
            if (stopping_.load()) break;
            want = std::min(fetch_room(unit), config_.worker.fetch_batch);
            // A concurrency limit counts fetched jobs as running: fetch no more than can start now.
            if (limited && limiter.limits_concurrency()) {
                slot_cv_.wait_for(lock, Millis(200),
                                  [&] { return stopping_.load() || free_slots_ > static_cast<int>(ready_.size()); });
                want = std::min(want, free_slots_ - static_cast<int>(ready_.size()));
            }
            want = std::max(want, 0);
            if (!idle) unit.fetching = want;
            hand = in_hand_[unit.queue];
        }
        if (want <= 0) {
            if (limited) limiter.keep(hand);  // jobs that finished leave the claim
            continue;
        }
        QueueLimiter::Grant grant;
        if (limited) {
            const int granted = admit(unit, limiter, want, grant);
            {
                std::lock_guard lock(slot_mutex_);
                if (!idle) unit.fetching = granted;
                unit.waiting = granted == 0;
            }
            want = granted;
            if (want == 0) continue;
        }
        std::vector<Message> msgs;
        try {
            auto fetch_start = std::chrono::steady_clock::now();
            msgs = sub->fetch(want, quick ? kQuickPull : config_.worker.fetch_timeout);
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
            unit.fetching = 0;
            unit.idle = msgs.empty();
            // Paused while this fetch waited: what it brought waits for the resume.
            const bool paused = paused_.count(queue) != 0;
            for (auto& m : msgs) {
                Prefetched p{unit.queue, &queue, unit.level, std::move(m)};
                if (paused) {
                    held_.push_back(std::move(p));
                } else {
                    ready_.push(std::move(p));
                }
            }
            hand = in_hand_[unit.queue] += static_cast<int>(msgs.size());
            start = take_idle_runners();
        }
        if (limited) limiter.fetched(grant, static_cast<int>(msgs.size()), hand);
        for (int i = 0; i < start; ++i) asio::post(*pool_, [this] { run_ready(); });
        slot_cv_.notify_all();  // the other fetch loops look again
    }
    hand_back_ready();
    std::lock_guard lock(subs_mutex_);
    retired_subs_.push_back(std::move(*sub));
}

int Fetcher::admit(Unit& unit, QueueLimiter& limiter, int want, QueueLimiter::Grant& grant) {
    int hand = 0;
    {
        std::lock_guard lock(slot_mutex_);
        hand = in_hand_[unit.queue];
    }
    grant = limiter.admit(want, hand);
    if (grant.jobs > 0) return grant.jobs;
    // No room now: wait, holding no handler slot, for the window's end, a change of the limits
    // or of another worker's claim (the limits watch), or one of this worker's jobs to finish.
    std::unique_lock lock(slot_mutex_);
    unit.waiting = true;  // the units behind it may fetch meanwhile
    slot_cv_.notify_all();
    slot_cv_.wait_for(lock, grant.retry_in, [&] {
        return stopping_.load() || limiter.version() != grant.version || in_hand_[unit.queue] < hand;
    });
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
        const auto index = static_cast<std::size_t>(std::find(options_.queues.begin(), options_.queues.end(), queue) -
                                                    options_.queues.begin());
        if (paused) {
            for (auto& p : ready_.take_queue(index)) {
                held_.push_back(std::move(p));
                ++moved;
            }
            paused_.insert(queue);
        } else {
            for (auto it = held_.begin(); it != held_.end();) {
                if (it->queue == index) {
                    ready_.push(std::move(*it));
                    it = held_.erase(it);
                    ++moved;
                } else {
                    ++it;
                }
            }
            paused_.erase(queue);
            if (pool_ != nullptr) start = take_idle_runners();
        }
    }
    for (int i = 0; i < start; ++i) asio::post(*pool_, [this] { run_ready(); });
    slot_cv_.notify_all();  // the queue's fetch loops wait for the resume
    return moved;
}

std::vector<std::string> Fetcher::paused_queues() const {
    std::lock_guard lock(slot_mutex_);
    return {paused_.begin(), paused_.end()};
}

void Fetcher::run_ready() {
    // Finished messages are released in batches: cnats hands every released message to its
    // garbage-collector thread and wakes it, and one wake-up per job costs more than a no-op job.
    constexpr std::size_t kReleaseBatch = 64;
    std::vector<Message> finished;
    finished.reserve(kReleaseBatch);
    // One slot_mutex_ round per job: finishing a job and taking the next happen together.
    bool finished_one = false;
    std::size_t finished_queue = 0;
    while (true) {
        std::optional<Prefetched> job;
        bool wake = false;
        {
            std::lock_guard lock(slot_mutex_);
            if (finished_one) {
                ++free_slots_;
                --in_hand_[finished_queue];
                --running_[finished_queue];
            }
            if (!stopping_.load()) job = ready_.pop();
            if (job) {
                --free_slots_;
                ++running_[job->queue];
            } else {
                ++idle_runners_;
            }
            wake = finished_one && (free_slots_ == options_.concurrency || room() >= batch_threshold() ||
                                    limiters_[finished_queue]->active());  // it may wait for this one
        }
        if (wake) slot_cv_.notify_all();
        if (!job) break;
        auto t0 = std::chrono::steady_clock::now();
        try {
            process_(*job->name, job->msg);
        } catch (const std::exception& e) {
            // The runner settles every job itself; this only keeps a bug there from ending the
            // process. The job is left unacked and comes back after the ack wait.
            log_(spdlog::level::err, "queue {}: processing a job failed ({}); it will be redelivered", *job->name,
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
    std::vector<Prefetched> unstarted;
    {
        std::lock_guard lock(slot_mutex_);
        unstarted = ready_.take_all();
        for (auto& p : held_) unstarted.push_back(std::move(p));
        held_.clear();
        for (const auto& p : unstarted) --in_hand_[p.queue];
    }
    for (auto& p : unstarted) {
        try {
            p.msg.nak();  // redeliver now, to another worker
        } catch (const Error& e) {
            log_(spdlog::level::warn, "queue {}: handing back a prefetched job failed: {}", *p.name, e.what());
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
    auto extend = [this](Prefetched& p) {
        try {
            p.msg.in_progress();
        } catch (const Error& e) {
            log_(spdlog::level::warn, "queue {}: lease extension failed: {}", *p.name, e.what());
        }
    };
    ready_.for_each(extend);
    for (auto& p : held_) extend(p);
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
