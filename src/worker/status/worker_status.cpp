// The worker status record: codec and the store over the workers KV bucket.
#include "naq/worker_status.hpp"

#include <algorithm>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

constexpr std::pair<WorkerState, const char*> kStates[] = {
    {WorkerState::starting, "starting"},
    {WorkerState::idle, "idle"},
    {WorkerState::busy, "busy"},
    {WorkerState::stopping, "stopping"},
};

template <class T>
T read(const Json& j, const char* key, T fallback) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return fallback;
    try {
        return it->get<T>();
    } catch (const Json::exception&) {
        throw SerializationError(std::string("worker status field '") + key + "' has the wrong type");
    }
}

}  // namespace

const char* to_string(WorkerState state) {
    for (const auto& [s, name] : kStates) {
        if (s == state) return name;
    }
    return "unknown";
}

WorkerState worker_state_from_string(std::string_view name) {
    for (const auto& [s, n] : kStates) {
        if (name == n) return s;
    }
    throw SerializationError("unknown worker state '" + std::string(name) + "'");
}

Json to_json(const WorkerStatus& s) {
    return Json{{"v", kWireVersion},
                {"id", s.id},
                {"state", to_string(s.state)},
                {"host", s.host},
                {"pid", s.pid},
                {"queues", s.queues},
                {"concurrency", s.concurrency},
                {"in_flight", s.in_flight},
                {"succeeded", s.succeeded},
                {"failed", s.failed},
                {"retried", s.retried},
                {"dead", s.dead},
                {"version", s.version},
                {"started_at", s.started_at_ms},
                {"heartbeat_at", s.heartbeat_at_ms},
                {"heartbeat_interval_ms", s.heartbeat_interval_ms},
                {"recent", {{"window_ms", s.recent_window_ms}, {"finished", s.recent_finished}}}};
}

std::string encode(const WorkerStatus& s) { return to_json(s).dump(-1, ' ', false, Json::error_handler_t::replace); }

WorkerStatus decode_worker_status(std::string_view text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) throw SerializationError("worker status is not a JSON object");
    if (read<int>(j, "v", kWireVersion) > kWireVersion) {
        throw SerializationError("worker status version is newer than this naq reads");
    }
    WorkerStatus s;
    s.id = read<std::string>(j, "id", {});
    if (s.id.empty()) throw SerializationError("worker status field 'id' is missing");
    s.state = worker_state_from_string(read<std::string>(j, "state", "idle"));
    s.host = read<std::string>(j, "host", {});
    s.pid = read<int64_t>(j, "pid", 0);
    s.queues = read<std::vector<std::string>>(j, "queues", {});
    s.concurrency = read<int>(j, "concurrency", 0);
    s.in_flight = read<std::vector<std::string>>(j, "in_flight", {});
    s.succeeded = read<uint64_t>(j, "succeeded", 0);
    s.failed = read<uint64_t>(j, "failed", 0);
    s.retried = read<uint64_t>(j, "retried", 0);
    s.dead = read<uint64_t>(j, "dead", 0);
    s.version = read<std::string>(j, "version", {});
    s.started_at_ms = read<int64_t>(j, "started_at", 0);
    s.heartbeat_at_ms = read<int64_t>(j, "heartbeat_at", 0);
    s.heartbeat_interval_ms = read<int64_t>(j, "heartbeat_interval_ms", 0);
    if (auto r = j.find("recent"); r != j.end() && r->is_object()) {
        s.recent_window_ms = read<int64_t>(*r, "window_ms", 0);
        s.recent_finished = read<std::map<std::string, uint64_t>>(*r, "finished", {});
    }
    return s;
}

// ---- WorkerStatusStore

WorkerStatusStore::WorkerStatusStore(const Config& config, Access access)
    : kv_(access == Access::write ? kv_store(Bucket::workers, config) : kv_store_reader(Bucket::workers, config)),
      timeout_(config.nats.request_timeout) {}

std::string WorkerStatusStore::key_for(const std::string& worker_id) { return names::to_token(worker_id); }

std::vector<WorkerStatus> WorkerStatusStore::list() const {
    // One watch delivers every live record, then a caught-up marker: no per-key round trips.
    std::vector<WorkerStatus> out;
    auto watcher = kv_.watch("*");
    while (auto entry = watcher.next(timeout_)) {
        if (entry->op == KvOp::caught_up) break;
        if (entry->op != KvOp::put) continue;
        try {
            out.push_back(decode_worker_status(entry->value));
        } catch (const SerializationError&) {
            // Not ours to interpret; skip it.
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
    return out;
}

std::optional<WorkerStatus> WorkerStatusStore::get(const std::string& worker_id) const {
    auto e = kv_.try_get(key_for(worker_id));
    if (!e) return std::nullopt;
    return decode_worker_status(e->value);
}

void WorkerStatusStore::update(const WorkerStatus& status) const { kv_.put(key_for(status.id), encode(status)); }

void WorkerStatusStore::batch_update(const std::vector<WorkerStatus>& statuses) const {
    for (const auto& s : statuses) kv_.put_async(key_for(s.id), encode(s));
    kv_.flush_async(timeout_);
}

void WorkerStatusStore::remove(const std::string& worker_id) const {
    try {
        kv_.erase(key_for(worker_id));
    } catch (const NotFound&) {
    }
}

}  // namespace naq
