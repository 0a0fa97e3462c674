// Reading fields of the JSON wire records with errors that name the record and the field
// ("job status: field 'state' is missing"). Private to libnaq.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"
#include "naq/names.hpp"

namespace naq::json_fields {

[[noreturn]] inline void bad_field(std::string_view what, std::string_view field, std::string_view expected) {
    throw SerializationError(std::string(what) + ": field '" + std::string(field) + "' " + std::string(expected));
}

inline const Json* find(const Json& j, const char* field) {
    auto it = j.find(field);
    return it == j.end() || it->is_null() ? nullptr : &*it;
}

inline std::string req_string(const Json& j, const char* field, std::string_view what) {
    const Json* v = find(j, field);
    if (v == nullptr) bad_field(what, field, "is missing");
    if (!v->is_string()) bad_field(what, field, "must be a string");
    return v->get<std::string>();
}

/// A required job id (names::valid_job_id): it becomes a KV key and a subject token.
inline std::string req_job_id(const Json& j, const char* field, std::string_view what) {
    std::string id = req_string(j, field, what);
    if (!names::valid_job_id(id)) bad_field(what, field, "must be 1-128 characters of A-Z a-z 0-9 _ -");
    return id;
}

inline std::string opt_string(const Json& j, const char* field, std::string_view what, std::string fallback = {}) {
    const Json* v = find(j, field);
    if (v == nullptr) return fallback;
    if (!v->is_string()) bad_field(what, field, "must be a string");
    return v->get<std::string>();
}

inline std::optional<int64_t> maybe_int(const Json& j, const char* field, std::string_view what) {
    const Json* v = find(j, field);
    if (v == nullptr) return std::nullopt;
    if (!v->is_number_integer()) bad_field(what, field, "must be an integer");
    return v->get<int64_t>();
}

inline int64_t opt_int(const Json& j, const char* field, std::string_view what, int64_t fallback = 0) {
    return maybe_int(j, field, what).value_or(fallback);
}

inline int64_t req_int(const Json& j, const char* field, std::string_view what) {
    auto v = maybe_int(j, field, what);
    if (!v) bad_field(what, field, "is missing");
    return *v;
}

/// Any other field type (lists, maps, unsigned counters): the fallback when absent or null.
template <class T>
T value_or(const Json& j, const char* field, std::string_view what, T fallback) {
    const Json* v = find(j, field);
    if (v == nullptr) return fallback;
    try {
        return v->get<T>();
    } catch (const Json::exception&) {
        bad_field(what, field, "has the wrong type");
    }
}

/// A job's priority: absent or null = normal.
inline Priority opt_priority(const Json& j, const char* field, std::string_view what) {
    const Json* v = find(j, field);
    if (v == nullptr) return Priority::normal;
    if (v->is_string()) {
        const auto& name = v->get_ref<const std::string&>();
        for (Priority p : kPriorities) {
            if (name == to_string(p)) return p;
        }
    }
    bad_field(what, field, "must be high, normal or low");
}

inline bool opt_bool(const Json& j, const char* field, std::string_view what, bool fallback) {
    const Json* v = find(j, field);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad_field(what, field, "must be true or false");
    return v->get<bool>();
}

/// The deepest nesting of arrays and objects naq reads in any record or argument. nlohmann's
/// copy, comparison and dump recurse, so a 100,000-deep array would overflow the stack of
/// whatever touched it; text nested deeper than this is refused before it is parsed.
inline constexpr int kMaxDepth = 128;

/// Records that carry a whole job envelope (dead letters, schedules) put its args this many
/// levels deeper than the envelope itself: they are read with kMaxDepth + this.
inline constexpr int kEmbeddedJobDepth = 4;

/// JSON's whitespace: space, tab, line feed, carriage return.
inline bool is_json_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/// How deeply `text` nests arrays and objects, counted without parsing (strings skipped);
/// stops counting at `limit` + 1.
inline int nesting_depth(std::string_view text, int limit = kMaxDepth) {
    int depth = 0;
    int deepest = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            deepest = std::max(deepest, ++depth);
            if (deepest > limit) return deepest;
        } else if (c == ']' || c == '}') {
            --depth;
        }
    }
    return deepest;
}

/// Any JSON value, nested at most `max_depth` deep. Throws SerializationError
/// "<what>: not valid JSON" / "<what>: nested deeper than N levels".
inline Json parse_value(std::string_view text, std::string_view what, int max_depth = kMaxDepth) {
    if (nesting_depth(text, max_depth) > max_depth) {
        throw SerializationError(std::string(what) + ": nested deeper than " + std::to_string(max_depth) + " levels");
    }
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw SerializationError(std::string(what) + ": not valid JSON");
    return j;
}

/// A record: a JSON object of a wire version this naq reads, nested at most `max_depth` deep.
inline Json parse(std::string_view text, std::string_view what, int max_depth = kMaxDepth) {
    Json j = parse_value(text, what, max_depth);
    if (!j.is_object()) throw SerializationError(std::string(what) + ": expected a JSON object");
    const Json* v = find(j, "v");
    if (v != nullptr && (!v->is_number_integer() || v->get<int>() > kWireVersion)) {
        bad_field(what, "v", "names a wire version this naq does not understand (it reads 1)");
    }
    return j;
}

/// A record as text; invalid UTF-8 in its strings (a handler's output) becomes U+FFFD.
inline std::string dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

/// Every attempt's error as the records carry them.
inline Json errors_json(const std::vector<AttemptError>& errors) {
    Json out = Json::array();
    for (const auto& e : errors) {
        out.push_back({{"attempt", e.attempt}, {"error", e.error}, {"at", e.at_ms}, {"worker", e.worker}});
    }
    return out;
}

}  // namespace naq::json_fields
