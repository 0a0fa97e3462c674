// Batch status records: the jobs of one enqueue_many chunk share one `queued` status record
// (a manifest) instead of writing one each, which halves what the server stores per job.
// Private to libnaq.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "naq/job.hpp"

namespace naq::detail {

/// Ids for the jobs of one batch: UUIDv7s sharing their first 30 characters, the last six hex
/// digits counting 0, 1, 2 … so that a job's id alone leads to its batch's manifest.
class BatchIds {
public:
    static constexpr std::size_t kMaxJobs = 1u << 24;

    BatchIds();
    /// The next id; throws InvalidArgument past kMaxJobs.
    std::string next();
    /// The manifest's key in the job status bucket.
    std::string key() const;
    /// How many ids next() handed out.
    std::size_t size() const { return count_; }

private:
    std::string prefix_;
    std::size_t count_ = 0;
};

/// The manifest key of the batch `job_id` would belong to; nullopt when the id does not have
/// the shape of a batch id (any other UUIDv7 has it too: the key then simply does not exist).
std::optional<std::string> batch_key_of(std::string_view job_id);

/// One batch: its queue and enqueue time, and runs of consecutive jobs sharing a task.
struct BatchManifest {
    struct Run {
        uint32_t first = 0;  ///< counter of the run's first job
        uint32_t last = 0;   ///< … and of its last, inclusive
        std::string task;
        int max_attempts = 1;
    };
    std::string queue;
    int64_t enqueued_at_ms = 0;
    std::vector<Run> runs;

    /// Appends job number `counter` (counters arrive in order).
    void add(uint32_t counter, const std::string& task, int max_attempts);
};

std::string encode(const BatchManifest& manifest);
/// Throws SerializationError naming what is wrong.
BatchManifest decode_manifest(std::string_view text);

/// The `queued` status `manifest` records for `job_id`; nullopt when the job is not in it.
std::optional<JobStatus> status_in(const BatchManifest& manifest, std::string_view job_id);

}  // namespace naq::detail
