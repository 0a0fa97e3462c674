// The loop of the worker's KV watches (cancel requests, queue pauses). Private to src/worker.
#pragma once

#include <optional>
#include <string_view>
#include <thread>

#include "naq/errors.hpp"
#include "naq/kv_store.hpp"
#include "worker_log.hpp"

namespace naq {

/// Hands each entry of `watcher` to `on_entry` until the watcher is stopped. An error (the
/// connection is reconnecting) is logged as "<what>: <error>" and the read retried after a
/// short back-off: a watch of the worker never ends on its own.
template <class OnEntry>
void follow_watch(KvWatcher& watcher, const WorkerLog& log, std::string_view what, OnEntry on_entry) {
    while (true) {
        std::optional<KvEntry> e;
        try {
            e = watcher.next(Millis(60'000));
        } catch (const Cancelled&) {
            return;  // stopped
        } catch (const Error& err) {
            log(spdlog::level::warn, "{}: {}", what, err.what());
            std::this_thread::sleep_for(Millis(500));
            continue;
        }
        if (e) on_entry(*e);
    }
}

}  // namespace naq
