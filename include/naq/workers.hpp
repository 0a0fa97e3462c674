// The live workers of a deployment, read from the workers KV bucket: what `naq workers`,
// `naq queues` and `naq top` show. Read-only; each worker writes its own record
// (worker_status.hpp describes it).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/kv_store.hpp"
#include "naq/worker_status.hpp"

namespace naq {

/// Reads the records of every live worker. Never changes the bucket (not even its TTL).
class WorkerStatusReader {
public:
    explicit WorkerStatusReader(const Config& config = default_config());

    /// Every live worker's record, sorted by id. Records that cannot be read are skipped.
    std::vector<WorkerStatus> list() const;
    /// One worker's record; nullopt when it has none (stopped, or expired after worker.worker_ttl).
    std::optional<WorkerStatus> get(const std::string& worker_id) const;

private:
    KvStore kv_;
    Millis timeout_;
};

}  // namespace naq
