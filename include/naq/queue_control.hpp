// A queue's control record: whether its workers fetch it, and how fast and how many at once.
// One record per queue in the "<prefix>_queues" KV bucket (key = queue name), written by
// Queue::pause() / resume() / set_limits() and watched by every worker, so a change reaches them
// at once. No record = not paused, no limits.
// docs/queue-control.md describes the behaviour, docs/wire-format.md the JSON form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "naq/durations.hpp"
#include "naq/json.hpp"

namespace naq {

/// Limits on a queue across all of its workers (docs/queue-control.md#rate-and-concurrency-limits).
struct QueueLimits {
    /// At most `rate_max` jobs start per `rate_period` (windows aligned to Unix time); 0 = no rate limit.
    int64_t rate_max = 0;
    Millis rate_period{1000};
    /// At most this many jobs of the queue run at once, over all workers; 0 = no limit.
    int concurrency = 0;
    /// Per task (name → K): at most K of the queue's jobs of that task run at once, over all
    /// workers. A job over its task's limit waits in its worker without a handler slot.
    std::map<std::string, int> tasks;

    bool any() const { return rate_max > 0 || concurrency > 0 || !tasks.empty(); }
    /// Equal limits; without a rate limit the period does not count.
    bool operator==(const QueueLimits& o) const {
        return rate_max == o.rate_max && (rate_max == 0 || rate_period == o.rate_period) &&
               concurrency == o.concurrency && tasks == o.tasks;
    }
};

/// The bounds set_limits() accepts.
inline constexpr int64_t kMaxRateLimit = 1'000'000'000;
inline constexpr int kMaxConcurrencyLimit = 100'000;
inline constexpr std::size_t kMaxTaskLimits = 100;  ///< task limits per queue
inline constexpr Millis kMinRatePeriod{10};
inline constexpr Millis kMaxRatePeriod{7LL * 24 * 3600 * 1000};

/// Throws InvalidArgument saying which bound `limits` passes.
void check_limits(const QueueLimits& limits);
/// Reads "50/s", "50/1s", "1000/1m", "5/250ms" (jobs / period) into rate_max and rate_period;
/// false when `text` is not of that form.
bool parse_rate(std::string_view text, QueueLimits& into);
/// "50/1s", or "" when there is no rate limit: the form parse_rate() reads.
std::string rate_text(const QueueLimits& limits);

struct QueueControl {
    std::string queue;
    bool paused = false;
    std::string reason;         ///< as given to pause(); empty when none or resumed
    std::string changed_by;     ///< the process that made the change ("<host>-<pid>")
    int64_t changed_at_ms = 0;  ///< Unix milliseconds; 0 = never changed
    QueueLimits limits;
};

/// {"v":1,"queue":...,"paused":true,"reason":...,"by":...,"at":...,
///  "rate":{"max":50,"period_ms":1000},"concurrency":3,"tasks":{"send_sms":2}}   (each only when set)
std::string encode(const QueueControl& control);
Json to_json(const QueueControl& control);
/// Throws SerializationError naming the field.
QueueControl decode_queue_control(std::string_view text);

}  // namespace naq
