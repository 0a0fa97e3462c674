// The worker's side of the workers bucket: its own status record, written by the heartbeat.
#pragma once

#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "naq/worker_status.hpp"

namespace naq {

/// Writes worker status records; sets the bucket's TTL to worker.worker_ttl.
class WorkerStatusWriter {
public:
    explicit WorkerStatusWriter(const Config& config);

    /// Writes one record and waits for the server.
    void update(const WorkerStatus& status) const;
    /// Writes many records at once: asynchronous puts, then one wait for all acknowledgements
    /// (the seeds' batch_update_status). Throws Timeout when they are not all acknowledged within
    /// nats.request_timeout.
    void batch_update(const std::vector<WorkerStatus>& statuses) const;
    /// Removes a worker's record (a graceful stop). No error when it is already gone.
    void remove(const std::string& worker_id) const;

private:
    KvStore kv_;
    Millis timeout_;
};

}  // namespace naq
