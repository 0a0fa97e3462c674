// Leases of running jobs (see lease_keeper.hpp).
#include "lease_keeper.hpp"

#include <algorithm>

#include "naq/codec.hpp"
#include "naq/errors.hpp"

namespace naq {

void LeaseKeeper::start(detail::JobRecords* records, std::function<void()> extend_waiting,
                        std::function<void(const JobStatus&)> progressed) {
    records_ = records;
    extend_waiting_ = std::move(extend_waiting);
    progressed_ = std::move(progressed);
    thread_ = std::thread([this] { loop(); });
}

void LeaseKeeper::stop() {
    {
        std::lock_guard lock(loop_mutex_);
        done_ = true;
    }
    loop_cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

uint64_t LeaseKeeper::enter(Message& msg, std::shared_ptr<CancelState> cancel, const JobStatus& record,
                            bool write_running, const ProgressBox* progress) {
    std::lock_guard lock(inflight_mutex_);
    uint64_t token = next_token_++;
    InFlight entry;
    entry.msg = &msg;
    entry.cancel = std::move(cancel);
    entry.job_id = record.id;
    entry.running_status = write_running ? &record : nullptr;
    entry.started = std::chrono::steady_clock::now();
    entry.record = &record;
    entry.progress = progress;
    inflight_[token] = std::move(entry);
    return token;
}

bool LeaseKeeper::leave(uint64_t token) {
    std::lock_guard lock(inflight_mutex_);
    bool handed_back = inflight_[token].handed_back;
    inflight_.erase(token);
    return handed_back;
}

void LeaseKeeper::cancel(const std::string& job_id) {
    std::lock_guard lock(inflight_mutex_);
    for (auto& [token, job] : inflight_) {
        if (job.job_id != job_id || job.handed_back) continue;
        job.cancel->reason = "cancelled by request";
        job.cancel->by_request.store(true, std::memory_order_release);
        job.cancel->cancelled.store(true, std::memory_order_release);
        log_(spdlog::level::info, "job {}: cancel requested; stopping it", job.job_id);
    }
}

void LeaseKeeper::hand_back_all() {
    std::lock_guard guard(inflight_mutex_);
    for (auto& [token, job] : inflight_) {
        if (job.handed_back) continue;
        job.handed_back = true;
        job.cancel->reason = "worker shutting down";
        job.cancel->cancelled.store(true, std::memory_order_release);
        try {
            job.msg->nak();
            log_(spdlog::level::warn, "job {}: not finished within the shutdown grace; handed back", job.job_id);
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: hand back failed ({}); it returns after the ack wait", job.job_id,
                 e.what());
        }
    }
}

std::vector<std::string> LeaseKeeper::running_job_ids() const {
    std::vector<std::string> ids;
    std::lock_guard lock(inflight_mutex_);
    for (const auto& [token, job] : inflight_) {
        if (!job.handed_back) ids.push_back(job.job_id);
    }
    return ids;
}

void LeaseKeeper::loop() {
    // In-progress acks every third of the ack wait keep long jobs from being redelivered while
    // this worker lives; after a crash they come back within one ack wait.
    auto period = std::max(Millis(100), config_.worker.ack_wait / 3);
    auto next_lease = std::chrono::steady_clock::now() + period;
    std::unique_lock lock(loop_mutex_);
    while (!done_) {
        loop_cv_.wait_for(lock, kRunningStatusDelay, [this] { return done_; });
        if (done_) break;
        write_running_statuses();
        if (records_ != nullptr) {
            // Succeeded records whose ack never came (their stream's leader died with them) are
            // reported failed even when no new record is published to sweep them: a worker
            // whose RecordBreaker stopped fetching waits for exactly these.
            lock.unlock();
            records_->sweep_unconfirmed();
            lock.lock();
        }
        if (std::chrono::steady_clock::now() < next_lease) continue;
        next_lease = std::chrono::steady_clock::now() + period;
        extend_running();
        if (extend_waiting_) extend_waiting_();
    }
}

void LeaseKeeper::extend_running() {
    std::lock_guard guard(inflight_mutex_);
    for (auto& [token, job] : inflight_) {
        if (job.handed_back) continue;
        try {
            job.msg->in_progress();
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: lease extension failed: {}", job.job_id, e.what());
        }
    }
}

void LeaseKeeper::write_running_statuses() {
    const auto now = std::chrono::steady_clock::now();
    const auto due = now - kRunningStatusDelay;
    std::lock_guard guard(inflight_mutex_);
    for (auto& [token, job] : inflight_) {
        if (job.handed_back) continue;
        write_progress(job, now);
        if (records_ == nullptr || job.running_status == nullptr || job.started > due) continue;
        try {
            records_->note(*job.running_status);
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: writing its running status failed: {}", job.job_id, e.what());
        }
        job.running_status = nullptr;
    }
}

void LeaseKeeper::write_progress(InFlight& job, std::chrono::steady_clock::time_point now) {
    if (!job.progress || now - job.progress_written_at < kProgressInterval) return;
    auto [latest, version] = job.progress->latest();
    if (!latest || version == job.progress_written) return;
    job.progress_written = version;
    job.progress_written_at = now;
    JobStatus record = *job.record;
    record.progress = std::move(latest);
    record.updated_at_ms = now_ms();
    if (records_ != nullptr) {
        try {
            records_->note(record);
            job.running_status = nullptr;  // the running record is written with it
        } catch (const Error& e) {
            log_(spdlog::level::warn, "job {}: writing its progress failed: {}", job.job_id, e.what());
        }
    }
    if (progressed_) progressed_(record);
}

}  // namespace naq
