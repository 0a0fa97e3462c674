// The queue control record (queues bucket): its JSON codec.
#include "naq/queue_control.hpp"

#include <charconv>

#include "core/job_limits.hpp"
#include "core/json_fields.hpp"
#include "naq/durations.hpp"
#include "naq/errors.hpp"
#include "naq/job.hpp"

namespace naq {

namespace {
constexpr std::string_view kWhat = "queue control";
}  // namespace

void check_limits(const QueueLimits& l) {
    if (l.rate_max < 0 || l.rate_max > kMaxRateLimit) {
        throw InvalidArgument("rate limit of " + std::to_string(l.rate_max) + " jobs: must be 1 to " +
                              std::to_string(kMaxRateLimit) + " (or 0 for none)");
    }
    if (l.rate_max > 0 && (l.rate_period < kMinRatePeriod || l.rate_period > kMaxRatePeriod)) {
        throw InvalidArgument("rate limit period of " + format_duration(l.rate_period) + ": must be " +
                              format_duration(kMinRatePeriod) + " to " + format_duration(kMaxRatePeriod));
    }
    if (l.concurrency < 0 || l.concurrency > kMaxConcurrencyLimit) {
        throw InvalidArgument("concurrency limit of " + std::to_string(l.concurrency) + ": must be 1 to " +
                              std::to_string(kMaxConcurrencyLimit) + " (or 0 for none)");
    }
    if (l.tasks.size() > kMaxTaskLimits) {
        throw InvalidArgument(std::to_string(l.tasks.size()) + " task limits: at most " +
                              std::to_string(kMaxTaskLimits) + " per queue");
    }
    for (const auto& [task, k] : l.tasks) {
        if (task.empty() || task.size() > detail::kMaxTaskNameBytes) {
            throw InvalidArgument("task limit: the task name must be 1-" + std::to_string(detail::kMaxTaskNameBytes) +
                                  " bytes");
        }
        if (k < 1 || k > kMaxConcurrencyLimit) {
            throw InvalidArgument("concurrency limit of task " + task + ": " + std::to_string(k) + " must be 1 to " +
                                  std::to_string(kMaxConcurrencyLimit));
        }
    }
}

bool parse_rate(std::string_view text, QueueLimits& into) {
    auto slash = text.find('/');
    if (slash == std::string_view::npos) return false;
    int64_t max = 0;
    std::string_view count = text.substr(0, slash);
    auto [end, ec] = std::from_chars(count.data(), count.data() + count.size(), max);
    if (ec != std::errc() || end != count.data() + count.size() || count.empty()) return false;
    std::string period(text.substr(slash + 1));
    if (!period.empty() && (period.front() < '0' || period.front() > '9')) period.insert(0, "1");  // "50/s"
    auto parsed = parse_duration(period);
    if (!parsed || period.find_first_not_of("0123456789.") == std::string::npos) return false;  // a unit is required
    into.rate_max = max;
    into.rate_period = *parsed;
    return true;
}

std::string rate_text(const QueueLimits& l) {
    return l.rate_max > 0 ? std::to_string(l.rate_max) + "/" + format_duration(l.rate_period) : std::string();
}

Json to_json(const QueueControl& c) {
    Json j{{"v", kWireVersion},  {"queue", c.queue},   {"paused", c.paused},
           {"reason", c.reason}, {"by", c.changed_by}, {"at", c.changed_at_ms}};
    if (c.limits.rate_max > 0)
        j["rate"] = Json{{"max", c.limits.rate_max}, {"period_ms", c.limits.rate_period.count()}};
    if (c.limits.concurrency > 0) j["concurrency"] = c.limits.concurrency;
    if (!c.limits.tasks.empty()) j["tasks"] = c.limits.tasks;
    return j;
}

std::string encode(const QueueControl& c) { return json_fields::dump(to_json(c)); }

QueueControl decode_queue_control(std::string_view text) {
    Json j = json_fields::parse(text, kWhat);
    QueueControl c;
    c.queue = json_fields::req_string(j, "queue", kWhat);
    c.paused = json_fields::opt_bool(j, "paused", kWhat, false);
    c.reason = json_fields::opt_string(j, "reason", kWhat);
    c.changed_by = json_fields::opt_string(j, "by", kWhat);
    c.changed_at_ms = json_fields::opt_int(j, "at", kWhat);
    if (const Json* rate = json_fields::find(j, "rate")) {
        if (!rate->is_object()) json_fields::bad_field(kWhat, "rate", "must be an object");
        c.limits.rate_max = json_fields::req_int(*rate, "max", "queue control rate");
        c.limits.rate_period = Millis(json_fields::req_int(*rate, "period_ms", "queue control rate"));
    }
    c.limits.concurrency = static_cast<int>(
        std::clamp<int64_t>(json_fields::opt_int(j, "concurrency", kWhat), -1, kMaxConcurrencyLimit + 1));
    if (const Json* tasks = json_fields::find(j, "tasks")) {
        if (!tasks->is_object() || tasks->size() > kMaxTaskLimits) {
            json_fields::bad_field(kWhat, "tasks", "must map at most 100 task names to limits");
        }
        for (const auto& [task, k] : tasks->items()) {
            if (!k.is_number_integer()) json_fields::bad_field(kWhat, "tasks", "must map task names to integers");
            c.limits.tasks[task] = static_cast<int>(
                std::clamp<int64_t>(k.get<int64_t>(), -1, static_cast<int64_t>(kMaxConcurrencyLimit) + 1));
        }
    }
    try {
        check_limits(c.limits);
    } catch (const InvalidArgument& e) {
        throw SerializationError(std::string(kWhat) + ": " + e.what());
    }
    return c;
}

}  // namespace naq
