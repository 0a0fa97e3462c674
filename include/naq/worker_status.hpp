// Worker status: every running worker keeps a record in the workers KV bucket
// ("<prefix>_workers", TTL worker.worker_ttl), rewritten every worker.heartbeat_interval. A
// worker that dies stops rewriting it and the record expires after the TTL; a worker that stops
// gracefully removes it. `naq workers` lists them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "naq/config.hpp"
#include "naq/connection.hpp"
#include "naq/json.hpp"

namespace naq {

/// A worker's phase as its status record reports it.
enum class WorkerState { starting, idle, busy, stopping };

/// "starting" | "idle" | "busy" | "stopping".
const char* to_string(WorkerState state);
/// Throws SerializationError for an unknown name.
WorkerState worker_state_from_string(std::string_view name);

/// One worker's record, key = names::to_token(id). Wire form in docs/wire-format.md.
struct WorkerStatus {
    std::string id;
    WorkerState state = WorkerState::starting;
    std::string host;
    int64_t pid = 0;
    std::vector<std::string> queues;
    int concurrency = 0;
    std::vector<std::string> in_flight;  ///< ids of the jobs running now
    uint64_t succeeded = 0;
    uint64_t failed = 0;     ///< failed attempts (retried or not)
    uint64_t retried = 0;
    uint64_t dead = 0;
    std::string version;
    int64_t started_at_ms = 0;
    int64_t heartbeat_at_ms = 0;
    int64_t heartbeat_interval_ms = 0;
    /// Jobs of each queue this worker finished (succeeded, dead-lettered or cancelled) within
    /// the last `recent_window_ms` (up to a minute, measured between heartbeats; 0 = no
    /// measurement yet). `naq queues` adds these up into a queue's throughput.
    std::map<std::string, uint64_t> recent_finished;
    int64_t recent_window_ms = 0;
};

/// The record as JSON text / object (docs/wire-format.md).
std::string encode(const WorkerStatus& status);
Json to_json(const WorkerStatus& status);
/// Throws SerializationError naming the field.
WorkerStatus decode_worker_status(std::string_view text);

/// The records of every live worker of a deployment.
class WorkerStatusStore {
public:
    /// A reader (`naq workers`, `naq queues`) never changes the bucket's TTL; a worker's
    /// heartbeat (a writer) sets it to its worker.worker_ttl.
    enum class Access { read, write };
    explicit WorkerStatusStore(const Config& config = default_config(), Access access = Access::read);

    /// Every live worker's record, sorted by id. Records that cannot be read are skipped.
    std::vector<WorkerStatus> list() const;
    std::optional<WorkerStatus> get(const std::string& worker_id) const;
    /// Writes one record and waits for the server.
    void update(const WorkerStatus& status) const;
    /// Writes many records at once: asynchronous puts, then one wait for all acknowledgements
    /// (the seeds' batch_update_status). Throws Timeout when they are not all acknowledged within
    /// nats.request_timeout.
    void batch_update(const std::vector<WorkerStatus>& statuses) const;
    /// Removes a worker's record (a graceful stop). No error when it is already gone.
    void remove(const std::string& worker_id) const;

    /// The KV key of a worker id.
    static std::string key_for(const std::string& worker_id);

private:
    KvStore kv_;
    Millis timeout_;
};

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

    WorkerStatusStore store_;
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
