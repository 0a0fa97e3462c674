// The dead letter and cancel request records (docs/wire-format.md).
#include "core/json_fields.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

namespace naq::codec {

using namespace json_fields;

std::string encode_dead_letter(const Job& job, const JobStatus& status, std::string_view reason,
                               std::string_view worker) {
    return dump({{"v", kWireVersion},
                 {"id", job.id},
                 {"queue", job.queue},
                 {"task", job.task},
                 {"reason", reason},
                 {"error", status.error},
                 {"errors", errors_json(status.errors)},
                 {"failed_at", status.finished_at_ms},
                 {"worker", worker},
                 {"job", to_json(job)}});
}

std::string encode_undecodable_dead_letter(std::string_view queue, std::string_view raw, std::string_view error,
                                           std::string_view worker, int64_t failed_at_ms) {
    return dump({{"v", kWireVersion},
                 {"id", nullptr},
                 {"queue", queue},
                 {"reason", "undecodable"},
                 {"error", error},
                 {"failed_at", failed_at_ms},
                 {"worker", worker},
                 {"raw", raw}});
}

DeadLetter decode_dead_letter(uint64_t sequence, std::string_view text) {
    DeadLetter d;
    d.sequence = sequence;
    try {
        d.record = parse_value(text, "dead letter", kMaxDepth + kEmbeddedJobDepth);
    } catch (const SerializationError&) {
        d.record = nullptr;
    }
    if (!d.record.is_object()) {
        d.reason = "unreadable";
        d.record = Json{{"raw", std::string(text)}};
        return d;
    }
    // Lenient on purpose: a dead letter is shown and requeued whatever state it is in.
    auto str = [&](const char* k) {
        const Json* v = find(d.record, k);
        return v != nullptr && v->is_string() ? v->get<std::string>() : std::string();
    };
    d.id = str("id");
    d.queue = str("queue");
    d.task = str("task");
    d.reason = str("reason");
    d.error = str("error");
    if (const Json* at = find(d.record, "failed_at"); at != nullptr && at->is_number_integer()) {
        d.failed_at_ms = at->get<int64_t>();
    }
    return d;
}

std::string encode_cancel_request(std::string_view job_id, int64_t at_ms) {
    return dump({{"v", kWireVersion}, {"id", job_id}, {"at", at_ms}});
}

}  // namespace naq::codec
