// Dead letters: jobs that ran out of attempts (or could not be decoded / had no handler),
// kept with every attempt's error in the dead-letter stream until requeued or purged.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

/// Which dead letters a page or a bulk requeue takes. Empty fields match anything.
struct DeadLetterFilter {
    std::string queue;   ///< a queue name (checked)
    std::string task;    ///< exact task name
    std::string reason;  ///< the reason (failed, unknown_task, …) or a part of the last error

    bool matches(const DeadLetter& letter) const;
};

/// One page of dead letters, oldest first.
struct DeadLetterPage {
    std::vector<DeadLetter> items;
    std::optional<uint64_t> next;  ///< pass as `after` for the following page; none at the end
    uint64_t total = 0;            ///< dead letters of the queue (or of every queue): before task / reason filters
};

/// The dead-letter stream of a deployment: list, inspect, requeue, purge (`naq dead ...`).
class DeadLetters {
public:
    explicit DeadLetters(const Config& config = default_config());

    /// Dead letters, oldest first; of one queue when `queue` is given.
    std::vector<DeadLetter> list(const std::string& queue = {}) const;
    /// Up to `limit` matching dead letters stored after sequence `after`. Reads at most a few
    /// thousand messages per call (a page of rare matches may come back short, with `next`),
    /// never the whole stream.
    DeadLetterPage page(const DeadLetterFilter& filter, uint64_t after = 0, std::size_t limit = 50) const;
    /// Requeues every matching dead letter; returns how many.
    std::size_t requeue_matching(const DeadLetterFilter& filter) const;

    /// The newest dead letter of a job. Throws NotFound.
    DeadLetter get(const std::string& job_id) const;

    /// Puts the job back on its queue with fresh attempts; the old errors go into the job's
    /// `history`. Removes the dead letter. Returns the job id. Undecodable messages are
    /// republished exactly as they were. Throws NotFound.
    std::string requeue(const std::string& job_id) const;
    /// Requeues every dead letter (of one queue when given); returns how many.
    std::size_t requeue_all(const std::string& queue = {}) const;

    /// Deletes dead letters (of one queue when given); returns how many.
    std::size_t purge(const std::string& queue = {}) const;

private:
    void requeue(const DeadLetter& letter) const;
    Config config_;
};

}  // namespace naq
