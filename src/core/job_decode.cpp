// decode_job: the envelope read with simdjson's on-demand parser, once per delivery. Every
// byte is validated (grammar, UTF-8, depth), but nothing is built for the args: they stay the
// text that was sent (JobArgs parses them if a handler asks), so their key order survives and
// a handler that ignores them costs nothing.
#include <simdjson.h>

#include <optional>

#include "core/job_limits.hpp"
#include "core/json_fields.hpp"
#include "naq/codec.hpp"
#include "naq/errors.hpp"
#include "naq/names.hpp"

namespace naq::codec {

namespace {

namespace od = simdjson::ondemand;
using json_fields::bad_field;

constexpr std::string_view kWhat = "job";
constexpr std::string_view kOptions = "job options";
constexpr std::string_view kBackoff = "job options.backoff";

[[noreturn]] void not_json() { throw SerializationError("job: not valid JSON"); }

void check(simdjson::error_code e) {
    if (e != simdjson::SUCCESS) not_json();
}

bool is_null(od::value& v) {
    od::json_type type;
    check(v.type().get(type));
    if (type != od::json_type::null) return false;
    bool null = false;
    check(v.is_null().get(null));
    if (!null) not_json();
    return true;
}

// Calls on_member(key, value) for each member of `object` whose value is not null: a null member
// counts as absent, as in every naq record.
template <class OnMember>
void for_each_member(od::object& object, OnMember&& on_member) {
    for (auto field : object) {
        std::string_view key;
        check(field.unescaped_key().get(key));
        od::value member;
        check(field.value().get(member));
        if (!is_null(member)) on_member(key, member);
    }
}

// Walks a value to its end so the parser has checked every byte of it; nlohmann (JobArgs)
// will parse what this accepts. Depth is bounded by the nesting check done before parsing.
void validate(od::value& v) {
    od::json_type type;
    check(v.type().get(type));
    switch (type) {
        case od::json_type::object: {
            od::object object;
            check(v.get_object().get(object));
            for_each_member(object, [](std::string_view, od::value& member) { validate(member); });
            break;
        }
        case od::json_type::array: {
            od::array array;
            check(v.get_array().get(array));
            for (auto element : array) {
                od::value item;
                check(element.get(item));
                validate(item);
            }
            break;
        }
        case od::json_type::string: {
            std::string_view s;
            check(v.get_string().get(s));
            break;
        }
        case od::json_type::number: {
            double d = 0;
            check(v.get_double().get(d));
            break;
        }
        case od::json_type::boolean: {
            bool b = false;
            check(v.get_bool().get(b));
            break;
        }
        case od::json_type::null: {
            is_null(v);  // checks the literal
            break;
        }
    }
}

// The value's text exactly as sent, after checking all of it: from its first byte to where
// the parser stands once it has walked the value (the next ',' or '}'), less the whitespace
// between.
std::string raw_value_text(od::value& v) {
    const char* begin = v.raw_json_token().data();
    validate(v);
    const char* end = nullptr;
    check(v.current_location().get(end));
    while (end > begin && json_fields::is_json_space(end[-1])) --end;
    return std::string(begin, static_cast<std::size_t>(end - begin));
}

std::string string_of(od::value& v, std::string_view what, std::string_view field) {
    std::string_view s;
    if (v.get_string().get(s) != simdjson::SUCCESS) bad_field(what, field, "must be a string");
    return std::string(s);
}

int64_t int_of(od::value& v, std::string_view what, std::string_view field) {
    int64_t n = 0;
    if (v.get_int64().get(n) != simdjson::SUCCESS) bad_field(what, field, "must be an integer");
    return n;
}

bool bool_of(od::value& v, std::string_view what, std::string_view field) {
    bool b = false;
    if (v.get_bool().get(b) != simdjson::SUCCESS) bad_field(what, field, "must be true or false");
    return b;
}

Backoff backoff_from(od::value& v) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) bad_field(kOptions, "backoff", "must be an object");
    Backoff b;
    for_each_member(object, [&b](std::string_view key, od::value& member) {
        if (key == "kind") {
            try {
                b.kind = backoff_kind_from_string(string_of(member, kBackoff, key));
            } catch (const SerializationError&) {
                bad_field(kBackoff, "kind", "must be fixed, linear or exponential");
            }
        } else if (key == "base_ms") {
            b.base = Millis(int_of(member, kBackoff, key));
        } else if (key == "max_ms") {
            b.max = Millis(int_of(member, kBackoff, key));
        } else if (key == "jitter") {
            b.jitter = bool_of(member, kBackoff, key);
        } else {
            validate(member);
        }
    });
    return b;
}

std::vector<std::string> depends_on_from(od::value& v) {
    constexpr std::string_view expected = "must be an array of strings";
    od::array array;
    if (v.get_array().get(array) != simdjson::SUCCESS) bad_field(kOptions, "depends_on", expected);
    std::vector<std::string> ids;
    for (auto element : array) {
        od::value item;
        check(element.get(item));
        std::string_view id;
        if (item.get_string().get(id) != simdjson::SUCCESS) bad_field(kOptions, "depends_on", expected);
        if (!names::valid_job_id(id)) bad_field(kOptions, "depends_on", "must hold job ids (A-Z a-z 0-9 _ -)");
        ids.emplace_back(id);
    }
    return ids;
}

void read_options(od::value& v, Job& job) {
    od::object object;
    if (v.get_object().get(object) != simdjson::SUCCESS) bad_field(kWhat, "options", "must be an object");
    for_each_member(object, [&job](std::string_view key, od::value& member) {
        if (key == "max_attempts") {
            // Range-checked before it is narrowed to an int, so the error names the value sent.
            const int64_t attempts = int_of(member, kOptions, key);
            if (auto e = detail::out_of_range("options.max_attempts", attempts, 1, detail::kMaxJobAttempts)) {
                throw SerializationError("job: " + *e);
            }
            job.max_attempts = static_cast<int>(attempts);
        } else if (key == "backoff") {
            job.backoff = backoff_from(member);
        } else if (key == "timeout_ms") {
            job.timeout = Millis(int_of(member, kOptions, key));
        } else if (key == "result_ttl_ms") {
            job.result_ttl = Millis(int_of(member, kOptions, key));
        } else if (key == "depends_on") {
            job.depends_on = depends_on_from(member);
        } else if (key == "unique") {
            // Rare (unique jobs only), so the small object goes through the tree decoder.
            job.unique = unique_from_json(json_fields::parse_value(raw_value_text(member), kOptions), kOptions);
        } else if (key == "batch") {
            job.batch = batch_member_from_json(json_fields::parse_value(raw_value_text(member), kOptions), kOptions);
        } else if (key == "priority") {
            std::string_view name;
            if (member.get_string().get(name) != simdjson::SUCCESS) {
                bad_field(kOptions, "priority", "must be high, normal or low");
            }
            job.priority = Priority::normal;
            bool known = false;
            for (Priority p : kPriorities) {
                if (name == to_string(p)) {
                    job.priority = p;
                    known = true;
                }
            }
            if (!known) bad_field(kOptions, "priority", "must be high, normal or low");
        } else {
            validate(member);
        }
    });
}

// A parser and a padded copy of the message, kept per thread for ordinary jobs (decode_job runs
// on the worker's fetcher and pool threads at once). A message over kKeptBytes gets its own,
// freed afterwards: simdjson's index is several times the message, and a pool of threads each
// keeping one for a multi-megabyte job would hold hundreds of megabytes for good.
struct Decoder {
    od::parser parser;
    std::string buffer;
};
constexpr std::size_t kKeptBytes = 64 * 1024;

}  // namespace

Job decode_job(std::string_view text, std::string_view queue_hint) {
    if (json_fields::nesting_depth(text) > json_fields::kMaxDepth) {
        throw SerializationError("job: nested deeper than " + std::to_string(json_fields::kMaxDepth) + " levels");
    }
    thread_local Decoder kept;
    std::optional<Decoder> own;
    Decoder& decoder = text.size() <= kKeptBytes ? kept : own.emplace();
    std::string& buffer = decoder.buffer;
    buffer.reserve(text.size() + simdjson::SIMDJSON_PADDING);
    buffer.assign(text);

    od::document doc;
    check(decoder.parser.iterate(buffer.data(), buffer.size(), buffer.capacity()).get(doc));
    od::object envelope;
    if (doc.get_object().get(envelope) != simdjson::SUCCESS) {
        od::json_type type;
        if (doc.type().get(type) == simdjson::SUCCESS && type != od::json_type::object) {
            throw SerializationError("job: expected a JSON object");
        }
        not_json();
    }

    Job job;
    bool has_id = false;
    bool has_task = false;
    for_each_member(envelope, [&](std::string_view key, od::value& v) {
        if (key == "id") {
            job.id = string_of(v, kWhat, key);
            has_id = true;
        } else if (key == "task") {
            job.task = string_of(v, kWhat, key);
            has_task = true;
        } else if (key == "queue") {
            job.queue = string_of(v, kWhat, key);
        } else if (key == "args") {
            job.args = JobArgs::from_text(raw_value_text(v));
        } else if (key == "enqueued_at") {
            job.enqueued_at_ms = int_of(v, kWhat, key);
        } else if (key == "options") {
            read_options(v, job);
        } else if (key == "history") {
            od::json_type type;
            check(v.type().get(type));
            if (type != od::json_type::array) bad_field(kWhat, "history", "must be an array");
            job.history = json_fields::parse_value(raw_value_text(v), kWhat);
        } else if (key == "v") {
            int64_t version = 0;
            if (v.get_int64().get(version) != simdjson::SUCCESS || version > kWireVersion) {
                bad_field(kWhat, "v", "names a wire version this naq does not understand (it reads 1)");
            }
        } else {
            validate(v);
        }
    });
    // Anything after the object ("{...} x") makes the message not JSON: the parser stops at the
    // object's end, and still stands on a token if there is one.
    const char* trailing = nullptr;
    if (doc.current_location().get(trailing) == simdjson::SUCCESS) not_json();

    if (!has_id) bad_field(kWhat, "id", "is missing");
    if (!has_task) bad_field(kWhat, "task", "is missing");
    if (job.queue.empty()) job.queue = std::string(queue_hint);
    // Each of these becomes a subject token or a KV key: a wildcard, dot or space there would
    // break the connection or reach other jobs' keys, so such a job is not a job.
    if (!names::valid_job_id(job.id)) bad_field(kWhat, "id", "must be 1-128 characters of A-Z a-z 0-9 _ -");
    if (!job.queue.empty() && !names::valid_token(job.queue)) {
        bad_field(kWhat, "queue", "must be 1-64 characters of A-Z a-z 0-9 _ -");
    }
    if (auto violation = detail::job_limit_violation(job)) throw SerializationError("job: " + *violation);
    return job;
}

}  // namespace naq::codec
