// naq::JobArgs — a job's arguments as the worker holds them: the JSON text exactly as it
// arrived, parsed into a Json only when a handler first asks for it.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "naq/json.hpp"

namespace naq {

/// A job's args. A worker builds it from the envelope's text without parsing it, so a handler
/// that never looks at its arguments costs nothing, and one that wants the text (to hand to
/// another parser, or to forward) gets the bytes that were sent. Producers build it from a
/// Json. Copies share one immutable value; every member is safe to call from any thread.
class JobArgs {
public:
    /// An empty object, {}.
    JobArgs();
    /// Arguments given as a value (what producers do).
    JobArgs(Json value);  // NOLINT(google-explicit-constructor): args = Json{...} reads naturally
    /// `args = {{"user", 7}}` means what it means for a Json: the object {"user": 7}.
    JobArgs(Json::initializer_list_t init) : JobArgs(Json(init)) {}
    /// Arguments as JSON text that was already checked to be valid JSON (the envelope decoder
    /// does that); parsed on first use of json().
    static JobArgs from_text(std::string text);
    // Copies share the value; there are no move operations, so a moved-from JobArgs is still
    // a valid copy and never empty.
    JobArgs(const JobArgs&) = default;
    JobArgs& operator=(const JobArgs&) = default;
    ~JobArgs() = default;

    /// The value, parsed from the text on first use. Throws SerializationError if the text is
    /// not JSON (only possible for text from_text() was given unchecked).
    const Json& json() const;
    /// The JSON text: the bytes that were sent, or the value's dump() for one built from a Json.
    std::string_view text() const;
    /// True once the value exists (built from one, or json() was called): tests use it to see
    /// that a job's args were not parsed.
    bool parsed() const;

    /// Lets a handler declared as (JobContext&, const Json& args) take JobArgs.
    operator const Json&() const { return json(); }  // NOLINT(google-explicit-constructor)

    /// Same value (compared as parsed JSON).
    friend bool operator==(const JobArgs& a, const JobArgs& b) { return a.json() == b.json(); }
    friend bool operator==(const JobArgs& a, const Json& b) { return a.json() == b; }

private:
    struct State;
    std::shared_ptr<State> state_;
};

}  // namespace naq
