#include "naq/job_args.hpp"

#include <atomic>
#include <mutex>

#include "core/json_fields.hpp"

namespace naq {

// Text or value comes first; the other is made once, on first use, under a once_flag, so
// shared copies (the dead-letter path reads text() while a handler may call json()) never
// race. `has_text` is fixed at construction; `value_ready` turns true once, after `value` is
// written.
struct JobArgs::State {
    std::string text;
    Json value;
    bool has_text = false;
    std::once_flag text_once;
    std::once_flag value_once;
    std::atomic<bool> value_ready{false};
};

JobArgs::JobArgs() : JobArgs(Json::object()) {}

JobArgs::JobArgs(Json value) : state_(std::make_shared<State>()) {
    state_->value = std::move(value);
    state_->value_ready = true;
}

JobArgs JobArgs::from_text(std::string text) {
    JobArgs args;
    args.state_ = std::make_shared<State>();
    args.state_->text = std::move(text);
    args.state_->has_text = true;
    return args;
}

const Json& JobArgs::json() const {
    State& s = *state_;
    if (!s.value_ready) {
        std::call_once(s.value_once, [&s] {
            s.value = json_fields::parse_value(s.text, "job args");
            s.value_ready = true;
        });
    }
    return s.value;
}

std::string_view JobArgs::text() const {
    State& s = *state_;
    if (!s.has_text) std::call_once(s.text_once, [&s] { s.text = json_fields::dump(s.value); });
    return s.text;
}

bool JobArgs::parsed() const { return state_->value_ready; }

}  // namespace naq
