// Queue control: one KV watch per worker on the queues bucket tells the worker which of its
// queues are paused and what limits they have, so a change reaches every worker at once (no
// polling) and a worker that starts while its queue is paused never fetches it. Private to
// src/worker.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "naq/queue_control.hpp"
#include "worker_log.hpp"

namespace naq {

class ControlWatch {
public:
    /// `on_change(control)` is called for each of `queues` with a record, first (on the calling
    /// thread of start()) for every stored record, then on the watch thread for each change; a
    /// deleted record comes as the default (not paused, no limits).
    using OnChange = std::function<void(const QueueControl& control)>;

    ControlWatch(const Config& config, const WorkerLog& log, std::vector<std::string> queues, OnChange on_change)
        : config_(config), log_(log), queues_(std::move(queues)), on_change_(std::move(on_change)) {}
    ~ControlWatch() { stop(); }
    ControlWatch(const ControlWatch&) = delete;
    ControlWatch& operator=(const ControlWatch&) = delete;

    /// Reads the current records (returns once it has them), then watches for changes.
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
