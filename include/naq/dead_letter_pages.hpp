// Dead letters a page at a time, filtered: the read side that the dashboard (and any other
// view of a large dead-letter stream) uses. It reads a bounded number of messages per call,
// never the whole stream. Mutations stay with DeadLetters (naq/dead_letters.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "naq/config.hpp"
#include "naq/job.hpp"

namespace naq {

/// Which dead letters a page takes. Empty fields match anything.
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

/// Up to `limit` matching dead letters stored after sequence `after`. Reads at most a few
/// thousand messages per call (a page of rare matches may come back short, with `next`).
DeadLetterPage dead_letter_page(const Config& config, const DeadLetterFilter& filter, uint64_t after = 0,
                                std::size_t limit = 50);

}  // namespace naq
