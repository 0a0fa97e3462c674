// Cancel requests (see cancel_watch.hpp).
#include "cancel_watch.hpp"

#include "naq/errors.hpp"

namespace naq {

void CancelWatch::start() {
    auto kv = kv_store(Bucket::cancellations, config_);
    watcher_.emplace(kv.watch("*"));
    thread_ = std::thread([this] { loop(); });
}

void CancelWatch::loop() {
    while (true) {
        std::optional<KvEntry> e;
        try {
            e = watcher_->next(Millis(60'000));
        } catch (const Cancelled&) {
            return;  // stop()
        } catch (const Error& err) {
            log_(spdlog::level::warn, "cancel watch: {}", err.what());
            std::this_thread::sleep_for(Millis(500));  // back off; the connection is reconnecting
            continue;
        }
        if (!e || e->op != KvOp::put) continue;
        {
            std::lock_guard lock(mutex_);
            requests_.insert(e->key);
        }
        on_request_(e->key);
    }
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
