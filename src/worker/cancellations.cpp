// Cancel requests: one KV watch per worker keeps an in-memory set of cancelled job ids, and
// tells running jobs to stop. No per-job lookup on the hot path.
#include "naq/errors.hpp"
#include "worker_impl.hpp"

namespace naq {

void Worker::Impl::start_cancel_watch() {
    auto kv = kv_store(Bucket::cancellations, config);
    cancel_watcher.emplace(kv.watch("*"));
    cancel_thread = std::thread([this] {
        while (true) {
            std::optional<KvEntry> e;
            try {
                e = cancel_watcher->next(Millis(60'000));
            } catch (const Cancelled&) {
                return;  // stop_cancel_watch()
            } catch (const Error& err) {
                log(spdlog::level::warn, "cancel watch: {}", err.what());
                std::this_thread::sleep_for(Millis(500));  // back off; the connection is reconnecting
                continue;
            }
            if (!e || e->op != KvOp::put) continue;
            {
                std::lock_guard lock(cancel_mutex);
                cancel_requests.insert(e->key);
            }
            std::lock_guard lock(inflight_mutex);
            for (auto& [token, job] : inflight) {
                if (job.job_id != e->key || job.handed_back) continue;
                job.cancel->reason = "cancelled by request";
                job.cancel->by_request.store(true, std::memory_order_release);
                job.cancel->cancelled.store(true, std::memory_order_release);
                log(spdlog::level::info, "job {}: cancel requested; stopping it", job.job_id);
            }
        }
    });
}

void Worker::Impl::stop_cancel_watch() {
    if (!cancel_watcher) return;
    cancel_watcher->stop();
    cancel_thread.join();
    cancel_watcher.reset();
}

bool Worker::Impl::cancel_requested(const std::string& job_id) {
    std::lock_guard lock(cancel_mutex);
    return cancel_requests.count(job_id) != 0;
}

}  // namespace naq
