// Cancel requests: one KV watch per worker keeps an in-memory set of cancelled job ids and
// tells running jobs to stop. No per-job lookup on the hot path. Private to src/worker.
#pragma once

#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "worker_log.hpp"

namespace naq {

class CancelWatch {
public:
    /// `on_request` is called (on the watch thread) for each job id cancelled from now on.
    CancelWatch(const Config& config, const WorkerLog& log, std::function<void(const std::string& job_id)> on_request)
        : config_(config), log_(log), on_request_(std::move(on_request)) {}
    ~CancelWatch() { stop(); }
    CancelWatch(const CancelWatch&) = delete;
    CancelWatch& operator=(const CancelWatch&) = delete;

    /// Watches the cancellations bucket. Throws when it cannot.
    void start();
    void stop();
    /// True once `naq cancel` was asked for `job_id`.
    bool requested(const std::string& job_id) const;

private:
    void loop();

    const Config& config_;
    const WorkerLog& log_;
    std::function<void(const std::string&)> on_request_;
    mutable std::mutex mutex_;
    std::set<std::string> requests_;
    std::optional<KvWatcher> watcher_;
    std::thread thread_;
};

}  // namespace naq
