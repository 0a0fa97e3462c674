// WorkerStatusReader: the live workers' records, for the CLI and other read-only views.
#include "naq/workers.hpp"

#include <algorithm>

#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq {

WorkerStatusReader::WorkerStatusReader(const Config& config)
    : kv_(kv_store_reader(Bucket::workers, config)), timeout_(config.nats.request_timeout) {}

std::vector<WorkerStatus> WorkerStatusReader::list() const {
    // One watch delivers every live record, then a caught-up marker: no per-key round trips.
    std::vector<WorkerStatus> out;
    auto watcher = kv_.watch("*");
    for (const KvEntry& entry : watcher.current(timeout_, "listing workers")) {
        if (entry.op != KvOp::put) continue;
        try {
            out.push_back(decode_worker_status(entry.value));
        } catch (const SerializationError&) {
            // Not ours to interpret; skip it.
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

std::optional<WorkerStatus> WorkerStatusReader::get(const std::string& worker_id) const {
    auto e = kv_.try_get(names::worker_key(worker_id));
    if (!e) return std::nullopt;
    return decode_worker_status(e->value);
}

}  // namespace naq
