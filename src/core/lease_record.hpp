// The scheduler leader lease record (scheduler_lock bucket); the lease logic is in
// src/scheduler/leader_lease.*. Private to libnaq.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace naq {

/// The key of the lease in the scheduler_lock bucket.
inline constexpr const char* kLeaseKey = "leader_lock";

/// The lease record (JSON in the lease key): who holds it, so operators and tests can find the
/// leader process.
struct LeaseRecord {
    std::string holder;  ///< the scheduler's id
    int64_t pid = 0;
    std::string host;
    int64_t since_ms = 0;  ///< when this holder acquired it
    int64_t renewed_ms = 0;
    bool released = false;  ///< the holder stepped down: anyone may take it at once
};

std::string encode_lease(const LeaseRecord& record);
/// Throws SerializationError.
LeaseRecord decode_lease(std::string_view text);

}  // namespace naq
