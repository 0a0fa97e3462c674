// Cancel requests (see cancel_watch.hpp).
#include "cancel_watch.hpp"

#include "naq/errors.hpp"
#include "watch_loop.hpp"

namespace naq {

void CancelWatch::start() {
    auto kv = kv_store(Bucket::cancellations, config_);
    watcher_.emplace(kv.watch("*"));
    thread_ = std::thread([this] { loop(); });
}

void CancelWatch::loop() {
    follow_watch(*watcher_, log_, "cancel watch", [this](const KvEntry& e) {
        if (e.op != KvOp::put) return;
        {
            std::lock_guard lock(mutex_);
            requests_.insert(e.key);
        }
        on_request_(e.key);
    });
}

void CancelWatch::stop() {
    if (!watcher_) return;
    watcher_->stop();
    thread_.join();
    watcher_.reset();
}

bool CancelWatch::requested(const std::string& job_id) const {
    std::lock_guard lock(mutex_);
    return requests_.count(job_id) != 0;
}

}  // namespace naq
