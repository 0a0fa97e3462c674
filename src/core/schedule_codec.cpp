// The schedule record's JSON form (docs/wire-format.md), in the style of src/core/codec.cpp:
// "v": 1, unknown fields ignored, a missing or ill-typed field is a SerializationError naming it.
#include "core/job_limits.hpp"
#include "core/json_fields.hpp"
#include "core/options_codec.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/schedule.hpp"

namespace naq::codec {

namespace {

constexpr std::string_view kWhat = "schedule";

using json_fields::bad_field;
using json_fields::find;
using json_fields::maybe_int;

}  // namespace

Json options_json(const EnqueueOptions& o) {
    Json j = Json::object();
    if (o.max_attempts) j["max_attempts"] = *o.max_attempts;
    if (o.backoff) {
        j["backoff"] = {{"kind", to_string(o.backoff->kind)},
                        {"base_ms", o.backoff->base.count()},
                        {"max_ms", o.backoff->max.count()},
                        {"jitter", o.backoff->jitter}};
    }
    if (o.timeout) j["timeout_ms"] = o.timeout->count();
    if (o.result_ttl) j["result_ttl_ms"] = o.result_ttl->count();
    if (!o.depends_on.empty()) j["depends_on"] = o.depends_on;
    if (o.priority != Priority::normal) j["priority"] = to_string(o.priority);
    return j;
}

EnqueueOptions options_from(const Json& o, std::string_view owner) {
    const std::string what_text = std::string(owner) + " options";
    const std::string_view what = what_text;
    if (!o.is_object()) bad_field(owner, "options", "must be an object");
    EnqueueOptions out;
    if (auto v = maybe_int(o, "max_attempts", what)) {
        if (*v < 1 || *v > detail::kMaxJobAttempts) {
            bad_field(what, "max_attempts", "must be from 1 to " + std::to_string(detail::kMaxJobAttempts));
        }
        out.max_attempts = static_cast<int>(*v);
    }
    if (const Json* b = find(o, "backoff")) {
        const std::string bwhat = what_text + ".backoff";
        if (!b->is_object()) bad_field(what, "backoff", "must be an object");
        Backoff backoff;
        if (const Json* kind = find(*b, "kind")) {
            if (!kind->is_string()) bad_field(bwhat, "kind", "must be a string");
            try {
                backoff.kind = backoff_kind_from_string(kind->get<std::string>());
            } catch (const SerializationError&) {
                bad_field(bwhat, "kind", "must be fixed, linear or exponential");
            }
        }
        backoff.base = Millis(maybe_int(*b, "base_ms", bwhat).value_or(backoff.base.count()));
        backoff.max = Millis(maybe_int(*b, "max_ms", bwhat).value_or(backoff.max.count()));
        if (const Json* jitter = find(*b, "jitter")) {
            if (!jitter->is_boolean()) bad_field(bwhat, "jitter", "must be true or false");
            backoff.jitter = jitter->get<bool>();
        }
        out.backoff = backoff;
    }
    if (auto v = maybe_int(o, "timeout_ms", what)) out.timeout = Millis(*v);
    if (auto v = maybe_int(o, "result_ttl_ms", what)) out.result_ttl = Millis(*v);
    if (const Json* deps = find(o, "depends_on")) {
        if (!deps->is_array()) bad_field(what, "depends_on", "must be an array of strings");
        for (const auto& d : *deps) {
            if (!d.is_string()) bad_field(what, "depends_on", "must be an array of strings");
            out.depends_on.push_back(d.get<std::string>());
        }
    }
    out.priority = json_fields::opt_priority(o, "priority", what);
    return out;
}

Json to_json(const Schedule& s) {
    Json j = {{"v", kWireVersion},
              {"id", s.id},
              {"queue", s.queue},
              {"task", s.task},
              {"args", s.args},
              {"options", options_json(s.options)},
              {"kind", to_string(s.kind)},
              {"next_run", s.next_run_ms},
              {"repeat", s.repeat ? Json(*s.repeat) : Json(nullptr)},
              {"paused", s.paused},
              {"fired", s.fired},
              {"created_at", s.created_at_ms},
              {"updated_at", s.updated_at_ms}};
    if (s.kind == ScheduleKind::interval) j["interval_ms"] = s.interval.count();
    if (s.kind == ScheduleKind::cron) {
        j["cron"] = s.cron;
        j["tz"] = s.tz;
    }
    if (s.repeat) j["remaining"] = s.remaining;
    if (s.last_fired_ms != 0) j["last_fired"] = s.last_fired_ms;
    if (s.failures != 0) j["failures"] = s.failures;
    if (!s.last_error.empty()) j["last_error"] = s.last_error;
    return j;
}

std::string encode(const Schedule& schedule) { return json_fields::dump(to_json(schedule)); }

Schedule decode_schedule(std::string_view text) {
    Json j = json_fields::parse(text, kWhat, json_fields::kMaxDepth + json_fields::kEmbeddedJobDepth);
    Schedule s;
    s.id = json_fields::req_string(j, "id", kWhat);
    s.queue = json_fields::req_string(j, "queue", kWhat);
    s.task = json_fields::req_string(j, "task", kWhat);
    if (const Json* args = find(j, "args")) s.args = *args;
    if (const Json* o = find(j, "options")) s.options = options_from(*o, kWhat);
    std::string kind = json_fields::req_string(j, "kind", kWhat);
    if (kind != "once" && kind != "interval" && kind != "cron") {
        bad_field(kWhat, "kind", "must be once, interval or cron");
    }
    s.kind = schedule_kind_from_string(kind);
    if (s.kind == ScheduleKind::interval) {
        s.interval = Millis(json_fields::req_int(j, "interval_ms", kWhat));
        if (s.interval.count() <= 0 || s.interval.count() > kLatestTimeMs) {
            bad_field(kWhat, "interval_ms", "must be positive and at most 230 years");
        }
    }
    if (s.kind == ScheduleKind::cron) {
        s.cron = json_fields::req_string(j, "cron", kWhat);
        s.tz = json_fields::opt_string(j, "tz", kWhat, "UTC");
    }
    s.next_run_ms = json_fields::req_int(j, "next_run", kWhat);
    // A time a clock can hold: the scheduler computes with it.
    if (s.next_run_ms < 0 || s.next_run_ms > kLatestTimeMs)
        bad_field(kWhat, "next_run", "must be a time from 1970 to 2200");
    s.repeat = json_fields::maybe_int(j, "repeat", kWhat);
    if (s.repeat && *s.repeat < 1) bad_field(kWhat, "repeat", "must be at least 1 or null");
    s.remaining = json_fields::opt_int(j, "remaining", kWhat, s.repeat.value_or(0));
    if (const Json* paused = find(j, "paused")) {
        if (!paused->is_boolean()) bad_field(kWhat, "paused", "must be true or false");
        s.paused = paused->get<bool>();
    }
    s.fired = json_fields::opt_int(j, "fired", kWhat);
    s.last_fired_ms = json_fields::opt_int(j, "last_fired", kWhat);
    s.failures = static_cast<int>(json_fields::opt_int(j, "failures", kWhat));
    s.last_error = json_fields::opt_string(j, "last_error", kWhat);
    s.created_at_ms = json_fields::opt_int(j, "created_at", kWhat);
    s.updated_at_ms = json_fields::opt_int(j, "updated_at", kWhat);
    return s;
}

}  // namespace naq::codec
