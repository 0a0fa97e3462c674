// The worker status record (workers bucket): its states and its JSON codec.
#include "naq/worker_status.hpp"

#include <algorithm>

#include "config/enum_names.hpp"
#include "core/json_fields.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"

namespace naq {

namespace {

constexpr std::string_view kWhat = "worker status";

constexpr detail::EnumNames<WorkerState, 4> kStates{"worker state",
                                                    {{
                                                        {WorkerState::starting, "starting"},
                                                        {WorkerState::idle, "idle"},
                                                        {WorkerState::busy, "busy"},
                                                        {WorkerState::stopping, "stopping"},
                                                    }}};

}  // namespace

const char* to_string(WorkerState state) { return kStates.name(state); }

WorkerState worker_state_from_string(std::string_view name) { return kStates.parse<SerializationError>(name); }

Json to_json(const WorkerStatus& s) {
    return Json{{"v", kWireVersion},
                {"id", s.id},
                {"state", to_string(s.state)},
                {"host", s.host},
                {"pid", s.pid},
                {"queues", s.queues},
                {"paused", s.paused},
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

std::string encode(const WorkerStatus& s) { return json_fields::dump(to_json(s)); }

WorkerStatus decode_worker_status(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    WorkerStatus s;
    s.id = json_fields::opt_string(j, "id", kWhat);
    if (s.id.empty()) json_fields::bad_field(kWhat, "id", "is missing");
    s.state = worker_state_from_string(json_fields::opt_string(j, "state", kWhat, "idle"));
    s.host = json_fields::opt_string(j, "host", kWhat);
    s.pid = json_fields::opt_int(j, "pid", kWhat);
    s.queues = json_fields::value_or<std::vector<std::string>>(j, "queues", kWhat, {});
    s.paused = json_fields::value_or<std::vector<std::string>>(j, "paused", kWhat, {});
    s.concurrency = static_cast<int>(json_fields::opt_int(j, "concurrency", kWhat));
    s.in_flight = json_fields::value_or<std::vector<std::string>>(j, "in_flight", kWhat, {});
    s.succeeded = json_fields::value_or<uint64_t>(j, "succeeded", kWhat, 0);
    s.failed = json_fields::value_or<uint64_t>(j, "failed", kWhat, 0);
    s.retried = json_fields::value_or<uint64_t>(j, "retried", kWhat, 0);
    s.dead = json_fields::value_or<uint64_t>(j, "dead", kWhat, 0);
    s.version = json_fields::opt_string(j, "version", kWhat);
    s.started_at_ms = json_fields::opt_int(j, "started_at", kWhat);
    s.heartbeat_at_ms = json_fields::opt_int(j, "heartbeat_at", kWhat);
    s.heartbeat_interval_ms = json_fields::opt_int(j, "heartbeat_interval_ms", kWhat);
    if (auto r = j.find("recent"); r != j.end() && r->is_object()) {
        s.recent_window_ms = json_fields::opt_int(*r, "window_ms", kWhat);
        s.recent_finished = json_fields::value_or<std::map<std::string, uint64_t>>(*r, "finished", kWhat, {});
    }
    return s;
}

}  // namespace naq
