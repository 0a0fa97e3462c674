#include "naq/job.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>

#include "config/enum_names.hpp"
#include "config/setting_names.hpp"
#include "naq/errors.hpp"

namespace naq {

namespace {

constexpr detail::EnumNames<JobState, 9> kStateNames{"job state",
                                                     {{
                                                         {JobState::queued, "queued"},
                                                         {JobState::waiting, "waiting"},
                                                         {JobState::running, "running"},
                                                         {JobState::retrying, "retrying"},
                                                         {JobState::succeeded, "succeeded"},
                                                         {JobState::failed, "failed"},
                                                         {JobState::dead, "dead"},
                                                         {JobState::cancelled, "cancelled"},
                                                         {JobState::dependency_failed, "dependency_failed"},
                                                     }}};

constexpr detail::EnumNames<UniqueUntil, 2> kUniqueUntilNames{"unique until",
                                                              {{
                                                                  {UniqueUntil::finished, "finished"},
                                                                  {UniqueUntil::expiry, "expiry"},
                                                              }}};

constexpr detail::EnumNames<Priority, 3> kPriorityNames{"priority",
                                                        {{
                                                            {Priority::high, "high"},
                                                            {Priority::normal, "normal"},
                                                            {Priority::low, "low"},
                                                        }}};

}  // namespace

const char* to_string(Priority priority) { return kPriorityNames.name(priority); }
Priority priority_from_string(std::string_view name) { return kPriorityNames.parse<SerializationError>(name); }

Millis Backoff::delay_after(int attempt, double unit_random) const {
    double base_ms = static_cast<double>(base.count());
    double delay = base_ms;
    switch (kind) {
        case BackoffKind::fixed: break;
        case BackoffKind::linear: delay = base_ms * std::max(attempt, 1); break;
        case BackoffKind::exponential: delay = base_ms * std::pow(2.0, std::clamp(attempt - 1, 0, 62)); break;
    }
    delay = std::min(delay, static_cast<double>(max.count()));
    if (jitter) delay = delay / 2 + delay / 2 * unit_random;
    return Millis(static_cast<int64_t>(delay));
}

const char* to_string(JobState state) { return kStateNames.name(state); }

JobState job_state_from_string(const std::string& name) { return kStateNames.parse<SerializationError>(name); }

bool is_final(JobState state) {
    return state == JobState::succeeded || state == JobState::dead || state == JobState::cancelled ||
           state == JobState::dependency_failed;
}

std::optional<JobResult> result_of(const JobStatus& s) {
    if (!is_final(s.state)) return std::nullopt;
    const bool ok = s.state == JobState::succeeded;
    return JobResult{s.id,      ok,       ok ? s.result : Json(), ok ? std::string() : s.error,
                     s.attempt, s.worker, s.started_at_ms,        s.finished_at_ms};
}

BackoffKind backoff_kind_from_string(const std::string& name) {
    return detail::kBackoffNames.parse<SerializationError>(name);
}

const char* to_string(UniqueUntil until) { return kUniqueUntilNames.name(until); }

UniqueUntil unique_until_from_string(const std::string& name) {
    return kUniqueUntilNames.parse<SerializationError>(name);
}

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string new_job_id() {
    // UUIDv7: 48-bit Unix ms timestamp, version 7, 74 random bits. Sorts by creation time.
    thread_local std::mt19937_64 rng{std::random_device{}()};
    uint64_t ms = static_cast<uint64_t>(now_ms());
    uint64_t r1 = rng();
    uint64_t r2 = rng();
    uint64_t hi = (ms << 16) | 0x7000 | (r1 & 0x0fff);
    uint64_t lo = (r2 & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(36, '-');
    int pos = 0;
    auto put = [&](uint64_t v, int nibbles) {
        for (int i = nibbles - 1; i >= 0; --i) {
            if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
            out[static_cast<std::size_t>(pos++)] = hex[(v >> (i * 4)) & 0xf];
        }
    };
    put(hi, 16);
    put(lo, 16);
    return out;
}

}  // namespace naq
