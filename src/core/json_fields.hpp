// Reading fields of the JSON wire records with errors that name the record and the field
// ("job status: field 'state' is missing"). Private to libnaq.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "naq/errors.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

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

inline std::string opt_string(const Json& j, const char* field, std::string_view what) {
    const Json* v = find(j, field);
    if (v == nullptr) return {};
    if (!v->is_string()) bad_field(what, field, "must be a string");
    return v->get<std::string>();
}

inline int64_t opt_int(const Json& j, const char* field, std::string_view what, int64_t fallback = 0) {
    const Json* v = find(j, field);
    if (v == nullptr) return fallback;
    if (!v->is_number_integer()) bad_field(what, field, "must be an integer");
    return v->get<int64_t>();
}

inline bool opt_bool(const Json& j, const char* field, std::string_view what, bool fallback) {
    const Json* v = find(j, field);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) bad_field(what, field, "must be true or false");
    return v->get<bool>();
}

inline Json parse(std::string_view text, std::string_view what) {
    Json j = Json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) throw SerializationError(std::string(what) + ": not valid JSON");
    if (!j.is_object()) throw SerializationError(std::string(what) + ": expected a JSON object");
    const Json* v = find(j, "v");
    if (v != nullptr && (!v->is_number_integer() || v->get<int>() > kWireVersion)) {
        bad_field(what, "v", "names a wire version this naq does not understand (it reads 1)");
    }
    return j;
}

}  // namespace naq::json_fields
