// Dead letters: jobs that ran out of attempts (or could not be decoded / had no handler),
// kept with every attempt's error in the dead-letter stream until requeued or purged.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"
#include "naq/json.hpp"

namespace naq {

/// The dead-letter stream of a deployment: list, inspect, requeue, purge (`naq dead ...`).
class DeadLetters {
public:
    explicit DeadLetters(const Config& config = default_config());

    /// Dead letters, oldest first; of one queue when `queue` is given.
    std::vector<DeadLetter> list(const std::string& queue = {}) const;
    /// (Pages of a large stream, filtered: dead_letter_page() in naq/dead_letter_pages.hpp.)

    /// The newest dead letter of a job. Throws NotFound.
    DeadLetter get(const std::string& job_id) const;

    /// Puts the job back on its queue with fresh attempts; the old errors go into the job's
    /// `history`. Removes the dead letter. Returns the job id. Undecodable messages are
    /// republished exactly as they were. Throws NotFound.
    std::string requeue(const std::string& job_id) const;
    /// Requeues this dead letter (as read by list() or dead_letter_page()), as requeue(job_id) does.
    void requeue_letter(const DeadLetter& letter) const;
    /// Requeues every dead letter (of one queue when given); returns how many.
    std::size_t requeue_all(const std::string& queue = {}) const;

    /// Deletes dead letters (of one queue when given); returns how many.
    std::size_t purge(const std::string& queue = {}) const;

private:
    Config config_;
};

}  // namespace naq
