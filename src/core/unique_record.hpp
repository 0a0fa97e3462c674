// A unique job's record in the "<prefix>_unique" KV bucket (key = UniqueClaim::key): which job
// holds the key, since and until when. Written by producers (create, or compare-and-set when the
// holder's claim has lapsed), deleted by the worker that finishes the holder.
// docs/queue-control.md#unique-jobs describes the behaviour, docs/wire-format.md the JSON form.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "naq/job.hpp"

namespace naq::detail {

struct UniqueRecord {
    std::string job_id;  ///< the job that holds the key
    std::string queue;
    int64_t at_ms = 0;     ///< when it took the key (Unix ms)
    int64_t until_ms = 0;  ///< when its claim lapses whatever its state (Unix ms)
    UniqueUntil until = UniqueUntil::finished;
};

/// {"v":1,"job":...,"queue":...,"at":...,"until":...,"mode":"finished"|"expiry"}
std::string encode(const UniqueRecord& record);
/// Throws SerializationError naming the field.
UniqueRecord decode_unique_record(std::string_view text);

}  // namespace naq::detail
