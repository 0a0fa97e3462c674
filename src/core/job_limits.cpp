// The limits of a job (see job_limits.hpp).
#include "core/job_limits.hpp"

namespace naq::detail {

std::optional<std::string> out_of_range(const char* field, int64_t value, int64_t lo, int64_t hi) {
    if (value >= lo && value <= hi) return std::nullopt;
    return std::string(field) + " must be from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " +
           std::to_string(value);
}

std::optional<std::string> job_limit_violation(const Job& job) {
    if (job.task.empty() || job.task.size() > kMaxTaskNameBytes) {
        return "task must be 1-" + std::to_string(kMaxTaskNameBytes) + " bytes, not " + std::to_string(job.task.size());
    }
    for (unsigned char c : job.task) {
        if (c < 0x20 || c == 0x7F) return std::string("task must not hold control characters");
    }
    if (auto e = out_of_range("options.max_attempts", job.max_attempts, 1, kMaxJobAttempts)) return e;
    if (auto e = out_of_range("options.timeout_ms", job.timeout.count(), 0, kMaxJobDurationMs)) return e;
    if (auto e = out_of_range("options.backoff.base_ms", job.backoff.base.count(), 0, kMaxJobDurationMs)) return e;
    if (auto e = out_of_range("options.backoff.max_ms", job.backoff.max.count(), 0, kMaxJobDurationMs)) return e;
    if (job.result_ttl) {
        if (auto e = out_of_range("options.result_ttl_ms", job.result_ttl->count(), 0, kMaxJobDurationMs)) return e;
    }
    return std::nullopt;
}

}  // namespace naq::detail
