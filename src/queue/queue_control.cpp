// Pause and resume: the queue control record in the queues bucket, which every worker of the
// queue watches (src/worker/pause_watch.cpp), and the queue_paused / queue_resumed events.
#include "naq/queue_control.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <optional>

#include "core/instance_id.hpp"
#include "naq/errors.hpp"
#include "naq/events.hpp"
#include "naq/kv_store.hpp"
#include "naq/queue.hpp"

namespace naq {

namespace {

constexpr std::size_t kMaxPauseReason = 1024;

std::string this_process() { return detail::host_name() + "-" + std::to_string(::getpid()); }

// The queue's stored record; nullopt when it has none. One nobody can read is logged and
// counts as the default (not paused).
std::optional<QueueControl> read_control(const KvStore& kv, const std::string& queue) {
    auto entry = kv.try_get(queue);
    if (!entry) return std::nullopt;
    QueueControl control;
    try {
        control = decode_queue_control(entry->value);
    } catch (const SerializationError& e) {
        spdlog::warn("[queue {}] unreadable control record: {}", queue, e.what());
    }
    return control;
}

// Writes the queue's paused state; false when it already was in that state (nothing written,
// no event: pausing twice is not two pauses).
bool set_paused(const Config& config, const std::string& queue, bool paused, const std::string& reason) {
    auto kv = kv_store(Bucket::queues, config);
    std::optional<QueueControl> stored = read_control(kv, queue);
    if (stored ? stored->paused == paused && stored->queue == queue : !paused) return false;  // no change
    QueueControl control = stored.value_or(QueueControl{});
    control.queue = queue;
    control.paused = paused;
    control.reason = paused ? reason : std::string();
    control.changed_by = this_process();
    control.changed_at_ms = now_ms();
    kv.put(queue, encode(control));

    Event e;
    e.type = paused ? EventType::queue_paused : EventType::queue_resumed;
    e.queue = queue;
    if (!control.reason.empty()) e.data = Json{{"reason", control.reason}};
    e.data["by"] = control.changed_by;
    EventPublisher(config).publish(e);  // never throws: events never stop a change
    return true;
}

}  // namespace

bool Queue::pause(const std::string& reason) {
    if (reason.size() > kMaxPauseReason) {
        throw InvalidArgument("pause reason is " + std::to_string(reason.size()) + " bytes; at most " +
                              std::to_string(kMaxPauseReason) + " are kept");
    }
    return set_paused(config_, name_, true, reason);
}

bool Queue::resume() { return set_paused(config_, name_, false, ""); }

QueueControl Queue::control() const {
    QueueControl control = read_control(kv_store_reader(Bucket::queues, config_), name_).value_or(QueueControl{});
    control.queue = name_;
    return control;
}

std::map<std::string, QueueControl> queue_controls(const Config& config) {
    // One watch reads every record in a single stream (no get per key).
    auto watcher = kv_store_reader(Bucket::queues, config).watch("*");
    std::map<std::string, QueueControl> out;
    for (const KvEntry& entry : watcher.current(config.nats.request_timeout, "reading queue control records")) {
        if (entry.op != KvOp::put) continue;
        try {
            QueueControl control = decode_queue_control(entry.value);
            control.queue = entry.key;  // the key is the truth; a record is only read back by it
            out[entry.key] = std::move(control);
        } catch (const SerializationError& e) {
            spdlog::warn("[queue {}] unreadable control record skipped: {}", entry.key, e.what());
        }
    }
    return out;
}

}  // namespace naq
