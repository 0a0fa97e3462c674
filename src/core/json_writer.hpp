// A small JSON text writer for the hot-path records (job envelope, status, result): strings and
// values are escaped exactly as nlohmann's dump(-1, ' ', false, replace) escapes them, without
// building the object tree first. Callers emit keys in sorted order;
// tests/unit/test_codec_writer.cpp checks the records say what to_json() says. Private to
// src/core.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "naq/json.hpp"

namespace naq::detail {

class JsonWriter {
public:
    explicit JsonWriter(std::size_t reserve = 256) { out_.reserve(reserve); }

    void begin_object() {
        separate();
        out_ += '{';
        first_ = true;
    }
    void end_object() {
        out_ += '}';
        first_ = false;
    }
    void begin_array() {
        separate();
        out_ += '[';
        first_ = true;
    }
    void end_array() {
        out_ += ']';
        first_ = false;
    }
    void key(std::string_view k) {
        separate();
        string(k);
        out_ += ':';
        first_ = true;  // the value that follows needs no comma
    }
    void value(std::string_view s) {
        separate();
        string(s);
    }
    void value(const std::string& s) { value(std::string_view(s)); }
    void value(const char* s) { value(std::string_view(s)); }
    void value(int64_t v) {
        separate();
        out_ += std::to_string(v);
    }
    void value(int v) { value(static_cast<int64_t>(v)); }
    void value(bool b) {
        separate();
        out_ += b ? "true" : "false";
    }
    /// Any JSON value, through nlohmann.
    void value(const Json& j) {
        separate();
        out_ += j.dump(-1, ' ', false, Json::error_handler_t::replace);
    }
    /// JSON text that is already valid (a job's args as they arrived), written as is.
    void raw_value(std::string_view json_text) {
        separate();
        out_ += json_text;
    }
    /// key(k) then value(v): one member of the object being written.
    template <class T>
    void field(std::string_view k, const T& v) {
        key(k);
        value(v);
    }

    std::string take() { return std::move(out_); }

private:
    void separate() {
        if (!first_) out_ += ',';
        first_ = false;
    }
    void string(std::string_view s) {
        // Printable ASCII without quote or backslash is written as is; anything else (control
        // characters, UTF-8, invalid bytes) goes through nlohmann so escaping stays identical.
        for (char c : s) {
            auto u = static_cast<unsigned char>(c);
            if (u < 0x20 || u > 0x7E || c == '"' || c == '\\') {
                out_ += Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
                return;
            }
        }
        out_ += '"';
        out_ += s;
        out_ += '"';
    }

    std::string out_;
    bool first_ = true;
};

}  // namespace naq::detail
