// Queue pauses (see pause_watch.hpp).
#include "pause_watch.hpp"

#include <algorithm>

#include "naq/errors.hpp"
#include "naq/queue_control.hpp"
#include "watch_loop.hpp"

namespace naq {

void PauseWatch::start() {
    auto kv = kv_store(Bucket::queues, config_);
    watcher_.emplace(kv.watch("*"));
    // The current records first: fetching starts only once the paused queues are known.
    for (const KvEntry& e : watcher_->current(config_.nats.request_timeout, "reading the queue pauses")) apply(e);
    thread_ = std::thread([this] { loop(); });
}

void PauseWatch::apply(const KvEntry& e) {
    if (std::find(queues_.begin(), queues_.end(), e.key) == queues_.end()) return;  // not one of ours
    bool paused = false;
    std::string reason;
    if (e.op == KvOp::put) {
        try {
            QueueControl control = decode_queue_control(e.value);
            paused = control.paused;
            reason = control.reason;
        } catch (const SerializationError& err) {
            // Fetching on is the safe reading of a record nobody can read: nothing is held back
            // by a record written by something else.
            log_(spdlog::level::warn, "queue {}: unreadable control record ignored ({})", e.key, err.what());
        }
    }
    on_change_(e.key, paused, reason);  // a deleted record: not paused
}

void PauseWatch::loop() {
    follow_watch(*watcher_, log_, "pause watch", [this](const KvEntry& e) {
        if (e.op != KvOp::caught_up) apply(e);
    });
}

void PauseWatch::stop() {
    if (!watcher_) return;
    watcher_->stop();
    if (thread_.joinable()) thread_.join();
    watcher_.reset();
}

}  // namespace naq
