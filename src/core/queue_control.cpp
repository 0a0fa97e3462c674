// The queue control record (queues bucket): its JSON codec.
#include "naq/queue_control.hpp"

#include "core/json_fields.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"

namespace naq {

namespace {
constexpr std::string_view kWhat = "queue control";
}  // namespace

Json to_json(const QueueControl& c) {
    return Json{{"v", kWireVersion},  {"queue", c.queue},   {"paused", c.paused},
                {"reason", c.reason}, {"by", c.changed_by}, {"at", c.changed_at_ms}};
}

std::string encode(const QueueControl& c) { return json_fields::dump(to_json(c)); }

QueueControl decode_queue_control(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    QueueControl c;
    c.queue = json_fields::req_string(j, "queue", kWhat);
    c.paused = json_fields::opt_bool(j, "paused", kWhat, false);
    c.reason = json_fields::opt_string(j, "reason", kWhat);
    c.changed_by = json_fields::opt_string(j, "by", kWhat);
    c.changed_at_ms = json_fields::opt_int(j, "at", kWhat);
    return c;
}

}  // namespace naq
