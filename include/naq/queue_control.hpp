// A queue's control record: whether its workers fetch it. One record per queue in the
// "<prefix>_queues" KV bucket (key = queue name), written by Queue::pause() / resume() and
// watched by every worker, so a pause reaches them at once. No record = not paused.
// docs/queue-control.md describes the behaviour, docs/wire-format.md the JSON form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "naq/json.hpp"

namespace naq {

struct QueueControl {
    std::string queue;
    bool paused = false;
    std::string reason;         ///< as given to pause(); empty when none or resumed
    std::string changed_by;     ///< the process that made the change ("<host>-<pid>")
    int64_t changed_at_ms = 0;  ///< Unix milliseconds; 0 = never changed
};

/// {"v":1,"queue":...,"paused":true,"reason":...,"by":...,"at":...}
std::string encode(const QueueControl& control);
Json to_json(const QueueControl& control);
/// Throws SerializationError naming the field.
QueueControl decode_queue_control(std::string_view text);

}  // namespace naq
