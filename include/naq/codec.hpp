// The JSON wire codec: envelopes and records to text and back. Unknown fields are ignored;
// a missing or ill-typed required field is a SerializationError naming the field.
#pragma once

#include <string>
#include <string_view>

#include "naq/job.hpp"

namespace naq::codec {

/// The envelope as published to `<prefix>.queue.<queue>` (docs/wire-format.md).
std::string encode(const Job& job);
/// Decodes an envelope. `queue_hint` fills "queue" when the envelope leaves it out (the subject
/// already says which queue).
Job decode_job(std::string_view text, std::string_view queue_hint = {});

/// A job status record (bucket job_status); decode_status throws SerializationError.
std::string encode(const JobStatus& status);
JobStatus decode_status(std::string_view text);

/// A result record (bucket results); decode_result throws SerializationError.
std::string encode(const JobResult& result);
JobResult decode_result(std::string_view text);

/// The same records as JSON objects (for printing, e.g. `naq job --json`).
Json to_json(const JobStatus& status);
Json to_json(const JobResult& result);
Json to_json(const Job& job);

}  // namespace naq::codec
