// WorkerHeartbeat: the thread that keeps one worker's status record fresh.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "naq/config.hpp"
#include "naq/connection.hpp"
#include "naq/worker_status.hpp"
#include "worker/status/worker_status_writer.hpp"

namespace naq {

/// Keeps one worker's record fresh from a background thread: writes it at once, then every
/// worker.heartbeat_interval and whenever poke() is called; stop() removes it.
class WorkerHeartbeat {
public:
    using Snapshot = std::function<WorkerStatus()>;

    /// `snapshot` is called from the heartbeat thread and must be thread-safe.
    WorkerHeartbeat(const Config& config, Snapshot snapshot);
    ~WorkerHeartbeat();  ///< stop(true)
    WorkerHeartbeat(const WorkerHeartbeat&) = delete;
    WorkerHeartbeat& operator=(const WorkerHeartbeat&) = delete;

    /// Writes the record soon (a state change) instead of at the next interval; at most one
    /// extra write per second however often it is called. Cheap: an atomic load when a write is
    /// already due.
    void poke();
    /// Stops the thread; removes the record when `remove_record`. Idempotent.
    void stop(bool remove_record = true);
    /// Records written so far.
    uint64_t beats() const;

private:
    void loop();
    void beat();

    WorkerStatusWriter store_;
    Connection conn_;  // beats are skipped while it is down instead of waiting out a timeout
    Snapshot snapshot_;
    Millis interval_;
    std::string worker_id_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::atomic<bool> poked_{false};
    uint64_t beats_ = 0;
    std::thread thread_;
};

}  // namespace naq
