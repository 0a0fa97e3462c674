// The JSON wire codec: envelopes and records to text and back. Unknown fields are ignored;
// a missing or ill-typed required field is a SerializationError naming the field.
#pragma once

#include <string>
#include <string_view>

#include "naq/job.hpp"

namespace naq::codec {

std::string encode(const Job& job);
/// Decodes an envelope. `queue_hint` fills "queue" when the envelope leaves it out (the subject
/// already says which queue).
Job decode_job(std::string_view text, std::string_view queue_hint = {});

std::string encode(const JobStatus& status);
JobStatus decode_status(std::string_view text);

std::string encode(const JobResult& result);
JobResult decode_result(std::string_view text);

Json to_json(const JobStatus& status);
Json to_json(const JobResult& result);
Json to_json(const Job& job);

}  // namespace naq::codec
