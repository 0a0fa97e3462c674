// Jobs per second of each queue over the last minutes, sampled in the background so that the
// overview's sparklines have a past when a browser first opens it. Private to src/dashboard.
#pragma once

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include "naq/config.hpp"
#include "naq/json.hpp"

namespace naq::dashboard {

class RateHistory {
public:
    static constexpr Millis kEvery{5000};
    static constexpr std::size_t kSamples = 180;  // 15 minutes

    explicit RateHistory(const Config& config);
    ~RateHistory();
    RateHistory(const RateHistory&) = delete;
    RateHistory& operator=(const RateHistory&) = delete;

    /// {"<queue>": [[unix ms, jobs per second], …]}, oldest first.
    Json json() const;

private:
    void sample();

    Config config_;
    mutable std::mutex mutex_;
    std::condition_variable stop_cv_;
    bool stop_ = false;
    std::map<std::string, std::deque<std::pair<int64_t, double>>> samples_;
    std::thread thread_;
};

}  // namespace naq::dashboard
