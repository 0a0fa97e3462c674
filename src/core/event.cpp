// The event record: type names, the JSON codec and the subject an event goes to.
#include <algorithm>
#include <array>
#include <unordered_map>

#include "config/enum_names.hpp"
#include "core/json_fields.hpp"
#include "core/json_writer.hpp"
#include "naq/errors.hpp"
#include "naq/event.hpp"
#include "naq/names.hpp"

namespace naq {

namespace {

constexpr std::string_view kWhat = "event";

constexpr detail::EnumNames<EventType, 18> kTypes{"event type",
                                                  {{
                                                      {EventType::enqueued, "enqueued"},
                                                      {EventType::started, "started"},
                                                      {EventType::succeeded, "succeeded"},
                                                      {EventType::failed, "failed"},
                                                      {EventType::retry_scheduled, "retry_scheduled"},
                                                      {EventType::dead_lettered, "dead_lettered"},
                                                      {EventType::cancelled, "cancelled"},
                                                      {EventType::progress, "progress"},
                                                      {EventType::deduplicated, "deduplicated"},
                                                      {EventType::batch_completed, "batch_completed"},
                                                      {EventType::schedule_fired, "schedule_fired"},
                                                      {EventType::schedule_paused, "schedule_paused"},
                                                      {EventType::schedule_resumed, "schedule_resumed"},
                                                      {EventType::worker_started, "worker_started"},
                                                      {EventType::worker_stopped, "worker_stopped"},
                                                      {EventType::queue_paused, "queue_paused"},
                                                      {EventType::queue_resumed, "queue_resumed"},
                                                      {EventType::queue_limits_changed, "queue_limits_changed"},
                                                  }}};

bool is_worker_event(EventType t) { return t == EventType::worker_started || t == EventType::worker_stopped; }
bool is_schedule_event(EventType t) {
    return t == EventType::schedule_fired || t == EventType::schedule_paused || t == EventType::schedule_resumed;
}

}  // namespace

const char* to_string(EventType type) { return kTypes.name(type); }

EventType event_type_from_string(std::string_view name) { return kTypes.parse<InvalidArgument>(name); }

const std::vector<EventType>& all_event_types() {
    static const std::vector<EventType> all = [] {
        std::vector<EventType> v;
        for (const auto& [t, n] : kTypes.entries()) v.push_back(t);
        return v;
    }();
    return all;
}

Event job_event(EventType type, const Job& job, int attempt) {
    Event e;
    e.type = type;
    e.job_id = job.id;
    e.queue = job.queue;
    e.task = job.task;
    e.attempt = attempt;
    e.at_ms = now_ms();
    // Readers (the dashboard) learn a job's dependents from these.
    if (type == EventType::enqueued && !job.depends_on.empty()) e.data = {{"depends_on", job.depends_on}};
    if (type == EventType::enqueued && job.priority != Priority::normal) e.data["priority"] = to_string(job.priority);
    return e;
}

Event job_event(EventType type, const JobStatus& record) {
    Event e;
    e.type = type;
    e.job_id = record.id;
    e.queue = record.queue;
    e.task = record.task;
    e.attempt = record.attempt;
    e.worker = record.worker;
    e.at_ms = now_ms();
    return e;
}

// Hand-written (no DOM) because it runs on the job path twice per job. The fields keep this
// order; text that is not valid UTF-8 (an error message, say) is written with U+FFFD in place of
// the bad bytes, so every event is valid JSON.
std::string encode_event(const Event& e) {
    detail::JsonWriter w(192 + e.error.size());
    w.begin_object();
    w.field("v", kWireVersion);
    w.field("type", to_string(e.type));
    if (!e.job_id.empty()) w.field("job_id", e.job_id);
    if (!e.queue.empty()) w.field("queue", e.queue);
    if (!e.task.empty()) w.field("task", e.task);
    if (!e.worker.empty()) w.field("worker", e.worker);
    if (!e.schedule_id.empty()) w.field("schedule_id", e.schedule_id);
    if (e.attempt > 0) w.field("attempt", e.attempt);
    w.field("at", e.at_ms);
    if (!e.error.empty()) w.field("error", e.error);
    if (e.duration_ms) w.field("duration_ms", *e.duration_ms);
    if (e.delay_ms) w.field("delay_ms", *e.delay_ms);
    if (!e.data.is_null()) w.field("data", e.data);
    if (!e.source.empty()) {
        w.field("src", e.source);
        w.field("n", static_cast<int64_t>(e.source_seq));
    }
    w.end_object();
    return w.take();
}

Json event_to_json(const Event& e) { return Json::parse(encode_event(e)); }

Event decode_event(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    Event e;
    e.type = kTypes.parse<SerializationError>(json_fields::req_string(j, "type", kWhat));
    e.job_id = json_fields::opt_string(j, "job_id", kWhat);
    e.queue = json_fields::opt_string(j, "queue", kWhat);
    e.task = json_fields::opt_string(j, "task", kWhat);
    e.worker = json_fields::opt_string(j, "worker", kWhat);
    e.schedule_id = json_fields::opt_string(j, "schedule_id", kWhat);
    e.attempt = static_cast<int>(json_fields::opt_int(j, "attempt", kWhat));
    e.at_ms = json_fields::opt_int(j, "at", kWhat);
    e.error = json_fields::opt_string(j, "error", kWhat);
    if (j.contains("duration_ms")) e.duration_ms = json_fields::opt_int(j, "duration_ms", kWhat);
    if (j.contains("delay_ms")) e.delay_ms = json_fields::opt_int(j, "delay_ms", kWhat);
    if (auto d = j.find("data"); d != j.end()) e.data = *d;
    e.source = json_fields::opt_string(j, "src", kWhat);
    e.source_seq = static_cast<uint64_t>(std::max<int64_t>(0, json_fields::opt_int(j, "n", kWhat)));
    return e;
}

EventGaps count_event_gaps(const std::vector<Event>& events) {
    EventGaps gaps;
    gaps.events = events.size();
    std::unordered_map<std::string_view, std::vector<uint64_t>> numbers;
    for (const auto& e : events) {
        if (!e.source.empty() && e.source_seq > 0) numbers[e.source].push_back(e.source_seq);
    }
    gaps.sources = numbers.size();
    for (auto& [source, seen] : numbers) {
        std::sort(seen.begin(), seen.end());
        seen.erase(std::unique(seen.begin(), seen.end()), seen.end());
        gaps.missing += seen.back() - seen.front() + 1 - seen.size();
    }
    return gaps;
}

std::string encode_event_batch(const std::vector<std::string_view>& encoded_events, std::size_t bytes) {
    std::string out;
    out.reserve(bytes + encoded_events.size() + 32);
    out = "{\"v\":1,\"events\":[";
    for (std::size_t i = 0; i < encoded_events.size(); ++i) {
        if (i > 0) out += ',';
        out += encoded_events[i];
    }
    out += "]}";
    return out;
}

std::vector<Event> decode_event_message(std::string_view payload) {
    std::size_t first = payload.find_first_not_of(" \t\r\n");
    if (first != std::string_view::npos && payload[first] == '{' &&
        payload.find("\"events\"") != std::string_view::npos) {
        Json j = json_fields::parse_value(payload, "event batch");
        if (j.is_object() && j.contains("events") && j["events"].is_array()) {
            std::vector<Event> out;
            out.reserve(j["events"].size());
            for (const auto& e : j["events"]) out.push_back(decode_event(e.dump()));
            return out;
        }
    }
    return {decode_event(payload)};
}

std::string event_subject_for(const Config& config, const Event& e) {
    const char* type = to_string(e.type);
    if (is_worker_event(e.type)) return names::worker_event_subject(config, type, e.worker);
    if (is_schedule_event(e.type)) return names::scheduler_event_subject(config, type, e.schedule_id);
    return names::event_subject(config, names::to_token(e.queue), type, names::to_token(e.job_id));
}

}  // namespace naq
