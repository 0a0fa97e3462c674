// Queue pauses: one KV watch per worker on the queues bucket tells the fetcher which of its
// queues are paused, so a pause reaches every worker at once (no polling) and a worker that
// starts while its queue is paused never fetches it. Private to src/worker.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "worker_log.hpp"

namespace naq {

class PauseWatch {
public:
    /// `on_change(queue, paused, reason)` is called for each of `queues` whose state changes,
    /// first (on the calling thread of start()) for every queue paused now, then on the watch thread.
    using OnChange = std::function<void(const std::string& queue, bool paused, const std::string& reason)>;

    PauseWatch(const Config& config, const WorkerLog& log, std::vector<std::string> queues, OnChange on_change)
        : config_(config), log_(log), queues_(std::move(queues)), on_change_(std::move(on_change)) {}
    ~PauseWatch() { stop(); }
    PauseWatch(const PauseWatch&) = delete;
    PauseWatch& operator=(const PauseWatch&) = delete;

    /// Reads the current states (returns once it has them), then watches for changes.
    /// Throws when it cannot.
    void start();
    void stop();

private:
    void apply(const KvEntry& entry);
    void loop();

    const Config& config_;
    const WorkerLog& log_;
    std::vector<std::string> queues_;
    OnChange on_change_;
    std::optional<KvWatcher> watcher_;
    std::thread thread_;
};

}  // namespace naq
