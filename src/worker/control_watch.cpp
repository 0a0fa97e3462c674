// Queue control (see control_watch.hpp).
#include "control_watch.hpp"

#include <algorithm>

#include "naq/errors.hpp"
#include "watch_loop.hpp"

namespace naq {

void ControlWatch::start() {
    auto kv = kv_store(Bucket::queues, config_);
    watcher_.emplace(kv.watch("*"));
    // The current records first: fetching starts only once the paused queues are known.
    for (const KvEntry& e : watcher_->current(config_.nats.request_timeout, "reading the queue control records")) {
        apply(e);
    }
    thread_ = std::thread([this] { loop(); });
}

void ControlWatch::apply(const KvEntry& e) {
    if (std::find(queues_.begin(), queues_.end(), e.key) == queues_.end()) return;  // not one of ours
    QueueControl control;
    if (e.op == KvOp::put) {
        try {
            control = decode_queue_control(e.value);
        } catch (const SerializationError& err) {
            // Fetching on, unlimited, is the safe reading of a record nobody can read: nothing is
            // held back by a record written by something else.
            log_(spdlog::level::warn, "queue {}: unreadable control record ignored ({})", e.key, err.what());
            control = QueueControl{};
        }
    }
    control.queue = e.key;
    on_change_(control);
}

void ControlWatch::loop() {
    follow_watch(*watcher_, log_, "queue control watch", [this](const KvEntry& e) {
        if (e.op != KvOp::caught_up) apply(e);
    });
}

void ControlWatch::stop() {
    if (!watcher_) return;
    watcher_->stop();
    if (thread_.joinable()) thread_.join();
    watcher_.reset();
}

}  // namespace naq
