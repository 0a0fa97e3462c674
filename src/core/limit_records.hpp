// The records behind a queue's limits (Queue::set_limits), in the "<prefix>_limits" KV bucket:
//   "<queue>.rate"     the jobs started in the current rate window
//   "<queue>.running"  how many of the queue's jobs each worker holds (running or about to run)
// Both are changed only by compare-and-set, so workers on several machines share one count.
// docs/queue-control.md#rate-and-concurrency-limits describes the behaviour, docs/wire-format.md
// the JSON form.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace naq::detail {

/// A fixed window of the rate limit: `used` jobs started since `window_ms` (Unix ms, a multiple
/// of the period).
struct RateWindow {
    int64_t window_ms = 0;
    int64_t used = 0;
};

/// {"v":1,"w":...,"n":...}
std::string encode(const RateWindow& window);
/// Throws SerializationError naming the field.
RateWindow decode_rate_window(std::string_view text);

/// Jobs of one queue held by each worker: its count and when its claim lapses if it stops
/// renewing it (a worker that crashed).
struct RunningHolders {
    struct Holder {
        int64_t jobs = 0;
        int64_t until_ms = 0;
    };
    std::map<std::string, Holder> holders;  ///< by worker id

    /// Jobs held by live claims (until_ms after `now_ms`), except `but`'s.
    int64_t held_by_others(const std::string& but, int64_t now_ms) const;
    /// Drops the claims that lapsed before `now_ms`.
    void drop_lapsed(int64_t now_ms);
};

/// {"v":1,"holders":{"<worker id>":{"n":2,"until":...},...}}
std::string encode(const RunningHolders& running);
/// Throws SerializationError naming the field.
RunningHolders decode_running_holders(std::string_view text);

}  // namespace naq::detail
