// The limits every job is held to, by the producer that makes it (Queue::make_job) and by the
// worker that reads it (codec::decode_job): one definition, so a job one side accepts the other
// does not refuse. docs/wire-format.md "Limits" lists them. Private to naq.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "naq/job.hpp"

namespace naq::detail {

inline constexpr int kMaxJobAttempts = 1'000'000;
/// Timeouts, backoff delays and result TTLs: at most a year (a longer one is a mistake, and
/// far longer ones overflow the clocks they are added to).
inline constexpr int64_t kMaxJobDurationMs = 365LL * 24 * 3600 * 1000;
/// Task names become metric labels and log fields: bounded, and printable.
inline constexpr std::size_t kMaxTaskNameBytes = 256;

/// "<field> must be from <lo> to <hi>, not <value>", or nullopt when `value` is within.
std::optional<std::string> out_of_range(const char* field, int64_t value, int64_t lo, int64_t hi);

/// Why `job`'s task or options break a limit ("options.max_attempts must be from 1 to
/// 1000000"), or nullopt when they do not. Ids and queue names are checked by names::.
std::optional<std::string> job_limit_violation(const Job& job);

}  // namespace naq::detail
