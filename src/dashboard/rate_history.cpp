#include "dashboard/rate_history.hpp"

#include <spdlog/spdlog.h>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/queue_stats.hpp"

namespace naq::dashboard {

RateHistory::RateHistory(const Config& config) : config_(config) {
    thread_ = std::thread([this] {
        std::unique_lock lock(mutex_);
        while (!stop_) {
            lock.unlock();
            sample();
            lock.lock();
            stop_cv_.wait_for(lock, kEvery, [this] { return stop_; });
        }
    });
}

RateHistory::~RateHistory() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    stop_cv_.notify_all();
    thread_.join();
}

void RateHistory::sample() {
    std::vector<QueueStats> stats;
    try {
        stats = queue_stats(config_);
    } catch (const Error& e) {
        spdlog::debug("dashboard: no rate sample: {}", e.what());
        return;  // a gap in the sparkline
    }
    const int64_t now = now_ms();
    std::lock_guard lock(mutex_);
    for (const auto& s : stats) {
        auto& series = samples_[s.counts.queue];
        series.emplace_back(now, s.per_second);
        if (series.size() > kSamples) series.pop_front();
    }
    // Queues that are gone (purged, renamed) leave once their last sample is old.
    for (auto it = samples_.begin(); it != samples_.end();) {
        if (it->second.empty() || now - it->second.back().first > static_cast<int64_t>(kSamples) * kEvery.count()) {
            it = samples_.erase(it);
        } else {
            ++it;
        }
    }
}

Json RateHistory::json() const {
    std::lock_guard lock(mutex_);
    Json out = Json::object();
    for (const auto& [queue, series] : samples_) {
        Json points = Json::array();
        for (const auto& [at, rate] : series) points.push_back({at, rate});
        out[queue] = std::move(points);
    }
    return out;
}

}  // namespace naq::dashboard
