// The dead letter and cancel request records (docs/wire-format.md).
#include "core/byte_text.hpp"
#include "core/json_fields.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"

namespace naq::codec {

using namespace json_fields;

namespace {

/// The first `n` bytes of `text`, shortened so a UTF-8 text is not cut inside a character.
std::string_view cut_at_char(std::string_view text, std::size_t n, bool utf8) {
    if (utf8) {
        while (n > 0 && n < text.size() && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    }
    return text.substr(0, n);
}

}  // namespace

std::string encode_dead_letter(const Job& job, const JobStatus& status, std::string_view reason,
                               std::string_view worker, std::size_t max_bytes) {
    Json record = {{"v", kWireVersion},
                   {"id", job.id},
                   {"queue", job.queue},
                   {"task", job.task},
                   {"reason", reason},
                   {"error", status.error},
                   {"errors", errors_json(status.errors)},
                   {"failed_at", status.finished_at_ms},
                   {"worker", worker},
                   {"job", to_json(job)}};
    std::string text = dump(record);
    auto fits = [&] { return max_bytes == 0 || text.size() <= max_bytes; };
    // Too big for the server (a job near max_payload, a long history): what identifies the job
    // and why it died is kept, and the record says what was left out.
    if (!fits()) {
        record["job"]["args"] = nullptr;
        record["args_dropped"] = job.args.text().size();
        text = dump(record);
    }
    if (!fits() && status.errors.size() > 1) {
        record["errors"] = errors_json({status.errors.back()});
        record["errors_dropped"] = status.errors.size() - 1;
        text = dump(record);
    }
    if (!fits() && record["job"].contains("history")) {
        record["job"].erase("history");
        text = dump(record);
    }
    return text;
}

std::string encode_undecodable_dead_letter(std::string_view queue, std::string_view raw, std::string_view error,
                                           std::string_view worker, int64_t failed_at_ms, std::size_t max_bytes) {
    Json record = {{"v", kWireVersion},       {"id", nullptr},  {"queue", queue},
                   {"reason", "undecodable"}, {"error", error}, {"failed_at", failed_at_ms},
                   {"worker", worker}};
    // Lossless: bytes that are not UTF-8 would become U+FFFD in a JSON string.
    const bool utf8 = detail::is_valid_utf8(raw);
    auto with_raw = [&](std::string_view bytes) {
        if (utf8) {
            record["raw"] = std::string(bytes);
        } else {
            record["raw_base64"] = detail::base64_encode(bytes);
        }
        return dump(record);
    };
    std::string text = with_raw(raw);
    if (max_bytes == 0 || text.size() <= max_bytes) return text;
    // Keep the longest start of the message that fits (escaping makes the size non-linear).
    record["raw_size"] = raw.size();
    std::size_t lo = 0;
    std::size_t hi = raw.size();
    while (lo < hi) {
        const std::size_t mid = lo + (hi - lo + 1) / 2;
        if (with_raw(cut_at_char(raw, mid, utf8)).size() <= max_bytes) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return with_raw(cut_at_char(raw, lo, utf8));
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
