// Whether the server stores this worker's job records, as a circuit breaker between the
// OutcomeRecorder (which sees records stored or refused) and the Fetcher (which stops fetching
// while they are refused). Private to src/worker.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "naq/config.hpp"

namespace naq {

/// The longest fetching pause while records are not stored.
inline constexpr Millis kMaxFetchPause{10'000};

/// Closed (records are stored: fetch as usual) → open (a record was refused: fetch nothing for
/// a pause) → probing (the pause is over: fetch one job only when no job is in hand and no
/// record awaits an answer) → closed at the first stored record, or open again for twice as
/// long (1 s, 2 s, … up to kMaxFetchPause).
///
/// Why: with no stream leader or a full disk, every job run only runs again. Refusals that
/// arrive while it is open come from jobs already in flight when it opened (a leader kill fails
/// every pipelined record at once) and change nothing, so one outage pauses 1 s, not 10 s.
class RecordBreaker {
public:
    using Clock = int64_t (*)();  ///< nanoseconds on a steady clock

    static int64_t steady_ns() {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count();
    }

    explicit RecordBreaker(Clock now_ns = steady_ns) : now_ns_(now_ns) {}

    /// A record was sent: stored() or refused() follows, once.
    void sent() {
        awaiting_.fetch_add(1, std::memory_order_relaxed);
        note_change();
    }

    /// A record was refused or not confirmed. Returns the pause it began, or 0 when it was
    /// already open.
    Millis refused() {
        awaiting_.fetch_sub(1, std::memory_order_relaxed);
        last_change_ns_.store(now_ns_(), std::memory_order_relaxed);  // always: it may start probing
        std::lock_guard lock(mutex_);
        const int64_t now = now_ns_();
        if (now < open_until_ns_.load()) return Millis(0);
        const int openings = openings_.load();
        const Millis pause = std::min(kMaxFetchPause, Millis(1000LL << std::min(openings, 4)));
        openings_.store(openings + 1);
        open_until_ns_.store(now + std::chrono::duration_cast<std::chrono::nanoseconds>(pause).count());
        return pause;
    }

    /// A record was stored: closes it. Cheap when closed (called for every job).
    void stored() {
        awaiting_.fetch_sub(1, std::memory_order_relaxed);
        if (openings_.load(std::memory_order_relaxed) == 0) return;
        std::lock_guard lock(mutex_);
        openings_.store(0);
        open_until_ns_.store(0);
    }

    /// What is left of the pause (≤ 0 when it is not open).
    Millis open_for() const {
        return std::chrono::duration_cast<Millis>(std::chrono::nanoseconds(open_until_ns_.load() - now_ns_()));
    }

    /// Records were refused and none was stored since.
    bool probing() const { return openings_.load(std::memory_order_relaxed) != 0; }

    /// Records sent and not answered yet.
    int awaiting() const { return awaiting_.load(std::memory_order_relaxed); }

    /// While probing: whether the next probe may go, that is when no record awaits an answer,
    /// or none was sent or answered for `patience` (answers that never come must not stop the
    /// worker for good; the publisher's sweep should have reported them long before).
    bool may_probe(Millis patience) const {
        if (awaiting() <= 0) return true;
        const int64_t quiet = now_ns_() - last_change_ns_.load(std::memory_order_relaxed);
        return quiet >= std::chrono::duration_cast<std::chrono::nanoseconds>(patience).count();
    }

private:
    // Only may_probe() reads the time of the last change, and only while probing, which begins
    // with a refused() that notes it: closed, sent() reads no clock (it runs for every job).
    void note_change() {
        if (probing()) last_change_ns_.store(now_ns_(), std::memory_order_relaxed);
    }

    Clock now_ns_;
    std::mutex mutex_;  // orders refused() and stored(); the atomics let readers skip it
    std::atomic<int> openings_{0};
    std::atomic<int64_t> open_until_ns_{0};  // steady clock
    std::atomic<int> awaiting_{0};
    std::atomic<int64_t> last_change_ns_{0};  // the last refused(), or sent() while probing
};

}  // namespace naq
