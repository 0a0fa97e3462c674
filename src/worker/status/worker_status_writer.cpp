// WorkerStatusWriter: puts and removes worker status records.
#include "worker/status/worker_status_writer.hpp"

#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

WorkerStatusWriter::WorkerStatusWriter(const Config& config)
    : kv_(kv_store(Bucket::workers, config)), timeout_(config.nats.request_timeout) {}

void WorkerStatusWriter::update(const WorkerStatus& status) const {
    kv_.put(names::worker_key(status.id), encode(status));
}

void WorkerStatusWriter::batch_update(const std::vector<WorkerStatus>& statuses) const {
    for (const auto& s : statuses) kv_.put_async(names::worker_key(s.id), encode(s));
    kv_.flush_async(timeout_);
}

void WorkerStatusWriter::remove(const std::string& worker_id) const {
    try {
        kv_.erase(names::worker_key(worker_id));
    } catch (const NotFound&) {}
}

}  // namespace naq
