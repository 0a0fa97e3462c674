// The worker status record: every running worker keeps one in the workers KV bucket
// ("<prefix>_workers", TTL worker.worker_ttl), rewritten every worker.heartbeat_interval. A
// worker that dies stops rewriting it and the record expires after the TTL; a worker that stops
// gracefully removes it. `naq workers` lists them (naq/workers.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/json.hpp"

namespace naq {

/// A worker's phase as its status record reports it.
enum class WorkerState { starting, idle, busy, stopping };

/// "starting" | "idle" | "busy" | "stopping".
const char* to_string(WorkerState state);
/// Throws SerializationError for an unknown name.
WorkerState worker_state_from_string(std::string_view name);

/// One worker's record, key = names::worker_key(id). Wire form in docs/wire-format.md.
struct WorkerStatus {
    std::string id;
    WorkerState state = WorkerState::starting;
    std::string host;
    int64_t pid = 0;
    std::vector<std::string> queues;
    std::vector<std::string> paused;  ///< of `queues`, those paused (Queue::pause) as this worker saw last
    int concurrency = 0;
    std::vector<std::string> in_flight;  ///< ids of the jobs running now
    uint64_t succeeded = 0;
    uint64_t failed = 0;  ///< failed attempts (retried or not)
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

}  // namespace naq
