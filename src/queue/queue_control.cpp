// Pause, resume and limits: the queue control record in the queues bucket, which every worker
// of the queue watches (src/worker/control_watch.cpp), and the queue_paused / queue_resumed /
// queue_limits_changed events.
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

// Applies `change` to the queue's record with compare-and-set (a pause and a limit set at the
// same moment both stick); `change` returns false when there is nothing to change, and then
// nothing is written. Returns the record written, or nullopt.
template <class Change>
std::optional<QueueControl> modify_control(const Config& config, const std::string& queue, Change change) {
    auto kv = kv_store(Bucket::queues, config);
    for (int round = 0; round < 16; ++round) {
        auto entry = kv.try_get(queue);
        QueueControl control;
        if (entry) {
            try {
                control = decode_queue_control(entry->value);
            } catch (const SerializationError& e) {
                spdlog::warn("[queue {}] unreadable control record replaced: {}", queue, e.what());
            }
        }
        const bool was_default = !entry;
        control.queue = queue;
        if (!change(control)) return std::nullopt;
        if (was_default && !control.paused && !control.limits.any()) return std::nullopt;  // still the default
        control.changed_by = this_process();
        control.changed_at_ms = now_ms();
        try {
            if (entry) {
                kv.update(queue, encode(control), entry->revision);
            } else {
                kv.create(queue, encode(control));
            }
            return control;
        } catch (const Conflict&) {
            continue;  // changed by someone else meanwhile: apply the change to theirs
        }
    }
    throw Conflict("queue " + queue + ": its control record kept changing; try again");
}

void publish_change(const Config& config, EventType type, const QueueControl& control, Json data) {
    Event e;
    e.type = type;
    e.queue = control.queue;
    e.data = std::move(data);
    e.data["by"] = control.changed_by;
    EventPublisher(config).publish(e);  // never throws: events never stop a change
}

// Writes the queue's paused state; false when it already was in that state (nothing written,
// no event: pausing twice is not two pauses).
bool set_paused(const Config& config, const std::string& queue, bool paused, const std::string& reason) {
    auto written = modify_control(config, queue, [&](QueueControl& control) {
        if (control.paused == paused) return false;
        control.paused = paused;
        control.reason = paused ? reason : std::string();
        return true;
    });
    if (!written) return false;
    publish_change(config, paused ? EventType::queue_paused : EventType::queue_resumed, *written,
                   written->reason.empty() ? Json::object() : Json{{"reason", written->reason}});
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

bool Queue::set_limits(const QueueLimits& limits) {
    check_limits(limits);
    QueueLimits wanted = limits;
    if (wanted.rate_max == 0) wanted.rate_period = QueueLimits{}.rate_period;  // one spelling of "none"
    auto written = modify_control(config_, name_, [&](QueueControl& control) {
        if (control.limits == wanted) return false;
        control.limits = wanted;
        return true;
    });
    if (!written) return false;
    Json data{{"concurrency", wanted.concurrency},
              {"rate_max", wanted.rate_max},
              {"rate_period_ms", wanted.rate_period.count()},
              {"tasks", wanted.tasks}};
    publish_change(config_, EventType::queue_limits_changed, *written, std::move(data));
    return true;
}

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
