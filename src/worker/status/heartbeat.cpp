// WorkerHeartbeat: the thread that keeps a worker's status record alive.
#include <spdlog/spdlog.h>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "worker/status/heartbeat.hpp"

namespace naq {

WorkerHeartbeat::WorkerHeartbeat(const Config& config, Snapshot snapshot)
    : store_(config),
      conn_(connection(config)),
      snapshot_(std::move(snapshot)),
      interval_(config.worker.heartbeat_interval) {
    worker_id_ = snapshot_().id;
    thread_ = std::thread([this] { loop(); });
}

WorkerHeartbeat::~WorkerHeartbeat() { stop(true); }

void WorkerHeartbeat::poke() {
    if (poked_.load(std::memory_order_relaxed)) return;  // a write is coming already: no wake-up
    {
        std::lock_guard lock(mutex_);
        poked_ = true;
    }
    cv_.notify_all();
}

void WorkerHeartbeat::stop(bool remove_record) {
    {
        std::lock_guard lock(mutex_);
        if (!thread_.joinable()) return;
        stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    if (!remove_record) return;
    try {
        store_.remove(worker_id_);
    } catch (const Error& e) {
        spdlog::warn("[worker {}] cannot remove its status record ({}); it expires after worker.worker_ttl", worker_id_,
                     e.what());
    }
}

uint64_t WorkerHeartbeat::beats() const {
    std::lock_guard lock(mutex_);
    return beats_;
}

void WorkerHeartbeat::beat() {
    if (!conn_.connected()) return;  // reconnecting: cnats logs it; the next beat tries again
    try {
        WorkerStatus s = snapshot_();
        s.heartbeat_at_ms = now_ms();
        s.heartbeat_interval_ms = interval_.count();
        store_.update(s);
        std::lock_guard lock(mutex_);
        ++beats_;
    } catch (const std::exception& e) {
        // The connection is reconnecting; the next beat tries again.
        spdlog::warn("[worker {}] heartbeat failed: {}", worker_id_, e.what());
    }
}

void WorkerHeartbeat::loop() {
    // A poke (a state change) writes at once, but at most once per min_gap: a worker flipping
    // between idle and busy many times a second costs one extra write a second, not one a job.
    const Millis min_gap = std::min(interval_, Millis(1000));
    while (true) {
        auto wrote = std::chrono::steady_clock::now();
        beat();
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, interval_, [this] { return stop_ || poked_.load(); });
        if (stop_) return;
        if (poked_) cv_.wait_until(lock, wrote + min_gap, [this] { return stop_; });
        if (stop_) return;
        poked_ = false;  // the write below shows every change poked so far
    }
}

}  // namespace naq
