// Where a job's status is: its own record, or (for a job enqueue_many put on a queue that no
// worker has started yet) the `queued` record of its batch. Private to libnaq.
#pragma once

#include <optional>
#include <string>

#include "naq/connection.hpp"
#include "naq/job.hpp"

namespace naq::detail {

struct StoredStatus {
    JobStatus status;
    uint64_t revision = 0;  ///< of the job's own record; 0 when it comes from its batch's record
};

/// The job's status from the job status bucket `status_kv`; nullopt when it has none (unknown,
/// expired or erased). Throws SerializationError for an unreadable record.
std::optional<StoredStatus> find_status(const KvStore& status_kv, const std::string& job_id);

}  // namespace naq::detail
